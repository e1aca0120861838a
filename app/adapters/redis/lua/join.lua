-- RoomStore.join = Room.admit, creating the room when it does not exist.
-- ARGV: prefix, room, key, stored member, conn_id, node_id, last_active_at, away (0/1),
--       now, capacity, epoch, listing member, departures kept, private (0/1) (the last four
--       used when creating), sub ('' for a guest), invite ('' none, 'bad' a token the service
--       refused, 'ok' a genuine invite, 'pass' a genuine rejoin pass), the invite's id, epoch
--       (a pass's epoch for 'pass'), uses and expiry.
-- Returns {'ok', created 0/1, snapshot} or a refusal {code, detail}, in Room.admit's order:
-- a private room's invite or pass first (invites.admission_refusal), then name, bans,
-- cooldowns and capacity; one use of an invite is spent only when the member is admitted (a
-- pass is never counted).
local room, key, static, conn, node = ARGV[2], ARGV[3], ARGV[4], ARGV[5], ARGV[6]
local now_s = ARGV[9]
local now = tonumber(now_s)
local sub, invite, invite_id = ARGV[15], ARGV[16], ARGV[17]
local B = base(room)
local created = 0
local spend = false
if redis.call('EXISTS', B .. 'meta') == 1 then
  local meta = redis.call('HMGET', B .. 'meta', 'pv', 'epoch', 'cap')
  if meta[1] == '1' then
    if invite == '' then return {'invite_required'} end
    if invite == 'bad' then return {'invite_refused'} end
    -- Use counts are forgotten once kept past their invite's expiry plus a grace (ARGV[20] is
    -- InviteClaim.spent_kept_until; Room._prune_invites).
    local expired = redis.call('ZRANGEBYSCORE', B .. 'invx', '-inf', now_s)
    if #expired > 0 then
      redis.call('ZREM', B .. 'invx', unpack(expired))
      redis.call('HDEL', B .. 'inv', unpack(expired))
    end
    if ARGV[18] ~= meta[2] then return {'invite_invalid'} end
    -- A rejoin pass is bound to the epoch only: never counted, never spent.
    if invite == 'ok' then
      local spent = tonumber(redis.call('HGET', B .. 'inv', invite_id) or '0')
      if spent >= tonumber(ARGV[19]) then return {'invite_used'} end
      spend = true
    end
  end
  if redis.call('HEXISTS', B .. 'mem', key) == 1 then return {'name_taken'} end
  local sub_key = sub ~= '' and ('sub:' .. sub) or nil
  if redis.call('ZSCORE', B .. 'bank', key) or redis.call('ZSCORE', B .. 'banc', conn)
     or (sub_key and redis.call('ZSCORE', B .. 'bank', sub_key)) then
    return {'banned'}
  end
  local until_s, until_n = nil, 0
  local found = {redis.call('ZSCORE', B .. 'cdk', key), redis.call('ZSCORE', B .. 'cdc', conn)}
  if sub_key then found[3] = redis.call('ZSCORE', B .. 'cdk', sub_key) end
  for i = 1, 3 do
    local f = found[i]
    if f and tonumber(f) > until_n then until_s, until_n = f, tonumber(f) end
  end
  if until_n > now then return {'kicked', until_s} end
  if redis.call('ZCARD', B .. 'order') >= tonumber(meta[3]) then return {'room_full', meta[3]} end
else
  if tonumber(ARGV[10]) <= 0 then return {'room_full', ARGV[10]} end
  -- Whatever is left of an earlier room of this name (its history) goes.
  delete_room(room, B)
  redis.call('HSET', B .. 'meta', 'epoch', ARGV[11], 'created', now_s, 'cap', ARGV[10],
             'jn', 0, 'lk', ARGV[12], 'rm', ARGV[13], 'pv', ARGV[14])
  if ARGV[14] == '1' then redis.call('SADD', PRIVS, room) end
  created = 1
end
if spend then
  redis.call('HINCRBY', B .. 'inv', invite_id, 1)
  redis.call('ZADD', B .. 'invx', ARGV[20], invite_id)
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
