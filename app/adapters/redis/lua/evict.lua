-- RoomStore.evict = Room.evict. ARGV: prefix, room, actor key, target key, ban 0/1,
-- cooldown_s, now. Returns a refusal {code} or
-- {'ok', target's stored member, last_active_at, away 0/1, new owner or nothing}.
local room, actor, target = ARGV[2], ARGV[3], ARGV[4]
local now_s = ARGV[7]
local B = base(room)
if redis.call('EXISTS', B .. 'meta') == 0 then return {'not_in_room'} end
if redis.call('ZRANGE', B .. 'order', 0, 0)[1] ~= actor then return {'not_owner'} end
if target == actor then return {'cannot_target_self'} end
local static = redis.call('HGET', B .. 'mem', target)
if not static then return {'member_not_found'} end
local conn = cjson.decode(static)[2]
local active = redis.call('ZSCORE', B .. 'act', target)
local away = redis.call('ZSCORE', B .. 'live', target) and 0 or 1
if ARGV[5] == '1' then
  redis.call('SADD', B .. 'bank', target)
  redis.call('SADD', B .. 'banc', conn)
else
  local until_n = tonumber(now_s) + tonumber(ARGV[6])
  redis.call('ZADD', B .. 'cdk', until_n, target)
  redis.call('ZADD', B .. 'cdc', until_n, conn)
end
local _, _, new_owner = remove_member(room, B, target, now_s)
return {'ok', static, active, away, new_owner or nil}
