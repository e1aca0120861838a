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
local stored = cjson.decode(static)
local conn = stored[2]
-- Recorded under the name key and, for an authenticated member, `sub:<sub>` too.
local targets = {target}
if stored[5] then targets[2] = 'sub:' .. stored[5] end
local active = redis.call('ZSCORE', B .. 'act', target)
local away = redis.call('ZSCORE', B .. 'live', target) and 0 or 1
-- Room keeps the newest MAX_EXCLUSIONS of each kind: bans in the order they were issued
-- (the `xn` counter), cooldowns by when they end (the same order, for one cooldown length).
if ARGV[5] == '1' then
  local issued = redis.call('HINCRBY', B .. 'meta', 'xn', 1)
  for _, k in ipairs(targets) do redis.call('ZADD', B .. 'bank', issued, k) end
  redis.call('ZADD', B .. 'banc', issued, conn)
  keep_newest(B .. 'bank', MAX_EXCLUSIONS, nil)
  keep_newest(B .. 'banc', MAX_EXCLUSIONS, nil)
else
  local until_n = tonumber(now_s) + tonumber(ARGV[6])
  for _, k in ipairs(targets) do redis.call('ZADD', B .. 'cdk', until_n, k) end
  redis.call('ZADD', B .. 'cdc', until_n, conn)
  keep_newest(B .. 'cdk', MAX_EXCLUSIONS, nil)
  keep_newest(B .. 'cdc', MAX_EXCLUSIONS, nil)
end
local _, _, new_owner = remove_member(room, B, target, now_s)
return {'ok', static, active, away, new_owner or nil}
