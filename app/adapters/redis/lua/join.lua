-- RoomStore.join = Room.admit, creating the room when it does not exist.
-- ARGV: prefix, room, key, stored member, conn_id, node_id, last_active_at, away (0/1),
--       now, capacity, epoch, listing member, departures kept (the last three used when
--       creating)
-- Returns {'ok', created 0/1, snapshot} or a refusal {code, detail}, in Room.admit's order.
local room, key, static, conn, node = ARGV[2], ARGV[3], ARGV[4], ARGV[5], ARGV[6]
local now_s = ARGV[9]
local now = tonumber(now_s)
local B = base(room)
local created = 0
if redis.call('EXISTS', B .. 'meta') == 1 then
  if redis.call('HEXISTS', B .. 'mem', key) == 1 then return {'name_taken'} end
  if redis.call('ZSCORE', B .. 'bank', key) or redis.call('ZSCORE', B .. 'banc', conn) then
    return {'banned'}
  end
  local until_s, until_n = nil, 0
  for _, found in ipairs({redis.call('ZSCORE', B .. 'cdk', key),
                          redis.call('ZSCORE', B .. 'cdc', conn)}) do
    if found and tonumber(found) > until_n then until_s, until_n = found, tonumber(found) end
  end
  if until_n > now then return {'kicked', until_s} end
  local cap = redis.call('HGET', B .. 'meta', 'cap')
  if redis.call('ZCARD', B .. 'order') >= tonumber(cap) then return {'room_full', cap} end
else
  if tonumber(ARGV[10]) <= 0 then return {'room_full', ARGV[10]} end
  -- Whatever is left of an earlier room of this name (its history) goes.
  delete_room(room, B)
  redis.call('HSET', B .. 'meta', 'epoch', ARGV[11], 'created', now_s, 'cap', ARGV[10],
             'jn', 0, 'lk', ARGV[12], 'rm', ARGV[13])
  created = 1
end
local joined = redis.call('HINCRBY', B .. 'meta', 'jn', 1)
redis.call('ZADD', B .. 'order', joined, key)
redis.call('HSET', B .. 'mem', key, static)
redis.call('ZADD', B .. 'act', ARGV[7], key)
if ARGV[8] == '0' then redis.call('ZADD', B .. 'live', ARGV[7], key) end
redis.call('ZREM', B .. 'gone', key)
redis.call('HDEL', B .. 'gonen', key)
redis.call('SADD', node_members(node), membership(room, conn, key))
relist(B)
reschedule(room, B, nil)
return {'ok', created, snapshot(B, now)}
