-- RoomStore.set_private = Room.set_private. ARGV: prefix, room, actor key, private (0/1).
-- Returns {'ok'} or a refusal {code}.
local room, actor = ARGV[2], ARGV[3]
local B = base(room)
if redis.call('EXISTS', B .. 'meta') == 0 then return {'not_in_room'} end
if redis.call('ZRANGE', B .. 'order', 0, 0)[1] ~= actor then return {'not_owner'} end
redis.call('HSET', B .. 'meta', 'pv', ARGV[4])
if ARGV[4] == '1' then redis.call('SADD', PRIVS, room) else redis.call('SREM', PRIVS, room) end
relist(B)
return {'ok'}
