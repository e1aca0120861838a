-- RoomStore.touch = Room.touch. ARGV: prefix, room, key, now, sent_message 0/1,
-- the listing member for a last message at `now`. Returns 1 when back from away.
local room, key, now_s = ARGV[2], ARGV[3], ARGV[4]
local B = base(room)
if redis.call('HEXISTS', B .. 'mem', key) == 0 then return 0 end
local back = redis.call('ZSCORE', B .. 'live', key) and 0 or 1
redis.call('ZADD', B .. 'act', now_s, key)
redis.call('ZADD', B .. 'live', now_s, key)
if ARGV[5] == '1' then
  redis.call('ZREM', B .. 'typ', key)
  redis.call('HDEL', B .. 'typa', key)
  redis.call('ZREM', ROOMS, redis.call('HGET', B .. 'meta', 'lk'))
  redis.call('HSET', B .. 'meta', 'lm', now_s, 'lk', ARGV[6])
  relist(B)
end
reschedule(room, B, nil)
return back
