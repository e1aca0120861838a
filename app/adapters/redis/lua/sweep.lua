-- RoomStore.sweep for the rooms that are due (not every room): Room.sweep + mark_away.
-- ARGV: prefix, now, batch. Returns {rooms looked at, {room, key, stored member,
-- last_active_at}...} for members who went away, in join order per room.
local now_s = ARGV[2]
local now = tonumber(now_s)
local due = redis.call('ZRANGEBYSCORE', DUE, '-inf', now_s, 'LIMIT', 0, tonumber(ARGV[3]))
local away = {}
for _, room in ipairs(due) do
  local B = base(room)
  if redis.call('EXISTS', B .. 'meta') == 0 then
    redis.call('ZREM', DUE, room)
  else
    local expired = redis.call('ZRANGEBYSCORE', B .. 'typ', '-inf', now_s)
    if #expired > 0 then
      redis.call('ZREM', B .. 'typ', unpack(expired))
      redis.call('HDEL', B .. 'typa', unpack(expired))
    end
    prune_departures(B, now)
    redis.call('ZREMRANGEBYSCORE', B .. 'cdk', '-inf', now_s)
    redis.call('ZREMRANGEBYSCORE', B .. 'cdc', '-inf', now_s)
    -- The bound is loose by a second; Room.mark_away's own test decides.
    local candidates = redis.call('ZRANGEBYSCORE', B .. 'live', '-inf',
                                  num(now - AWAY_AFTER_S + 1), 'WITHSCORES')
    local newly = {}
    for i = 1, #candidates, 2 do
      if now - tonumber(candidates[i + 1]) >= AWAY_AFTER_S then
        local key = candidates[i]
        redis.call('ZREM', B .. 'live', key)
        newly[#newly + 1] = {tonumber(redis.call('ZSCORE', B .. 'order', key)), key,
                             candidates[i + 1]}
      end
    end
    table.sort(newly, function(a, b) return a[1] < b[1] end)
    for _, m in ipairs(newly) do
      away[#away + 1] = {room, m[2], redis.call('HGET', B .. 'mem', m[2]), m[3]}
    end
    reschedule(room, B, now)
  end
end
return {#due, away}
