-- RoomStore.typing = Room.typing. ARGV: prefix, room, key, now.
-- Returns 1 when the others should be told (not coalesced).
local room, key, now_s = ARGV[2], ARGV[3], ARGV[4]
local now = tonumber(now_s)
local B = base(room)
if redis.call('HEXISTS', B .. 'mem', key) == 0 then return 0 end
local announced = redis.call('HGET', B .. 'typa', key)
local announce = (not announced) or now - tonumber(announced) >= TYPING_COALESCE_S
redis.call('ZADD', B .. 'typ', now + TYPING_TTL_S, key)
if announce then redis.call('HSET', B .. 'typa', key, now_s) end
reschedule(room, B, nil)
return announce and 1 or 0
