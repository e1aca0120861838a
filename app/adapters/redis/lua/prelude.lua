-- Shared by every ParrotChat script: scripts.py puts it in front of each one and fills in
-- the domain's constants from app/domain/model.py, so the rules have one source.
-- ARGV[1] is always the key prefix. Times arrive as exact decimal strings (Python repr);
-- a Lua number turned back into text must go through num(), never `..` or tostring()
-- (they keep 14 digits only).
local AWAY_AFTER_S = @AWAY_AFTER_S@
local RECENT_DEPARTURE_S = @RECENT_DEPARTURE_S@
local TYPING_TTL_S = @TYPING_TTL_S@
local TYPING_COALESCE_S = @TYPING_COALESCE_S@
-- Bans and kick cooldowns a room keeps, each kind (the newest; model.MAX_EXCLUSIONS).
local MAX_EXCLUSIONS = @MAX_EXCLUSIONS@
-- Departures kept when a room's meta has no `rm` (Room.recent_max's default).
local DEFAULT_RECENT_MAX = 20
-- Due times are hints for sweep: early costs one idle look, late would delay what
-- clients see, so they are moved this much earlier.
local DUE_MARGIN_S = 0.001

local PREFIX = ARGV[1]
local ROOMS = PREFIX .. 'rooms'
local DUE = PREFIX .. 'due'
local NODES = PREFIX .. 'nodes'
local PRIVS = PREFIX .. 'privs'
local PARTS = {'meta', 'order', 'mem', 'act', 'live', 'typ', 'typa', 'gone', 'gonen',
               'bank', 'banc', 'cdk', 'cdc', 'inv', 'invx', 'seq', 'log'}

local function num(x) return string.format('%.17g', x) end
local function base(room) return PREFIX .. '{' .. room .. '}:' end
local function node_members(node) return PREFIX .. 'node:' .. node .. ':m' end
local function membership(room, conn, key) return room .. '/' .. conn .. '/' .. key end

local function first_score(key)
  local r = redis.call('ZRANGE', key, 0, 0, 'WITHSCORES')
  if r[2] then return tonumber(r[2]) end
  return nil
end

-- When sweep next has something to do in this room (typing or a cooldown ending, a
-- departure leaving recent[], a member going away); never at or before `floor`.
local function reschedule(room, B, floor)
  local due = nil
  local function consider(t)
    if t ~= nil and (due == nil or t < due) then due = t end
  end
  consider(first_score(B .. 'typ'))
  consider(first_score(B .. 'cdk'))
  consider(first_score(B .. 'cdc'))
  local gone = first_score(B .. 'gone')
  if gone ~= nil then consider(gone + RECENT_DEPARTURE_S) end
  local live = first_score(B .. 'live')
  if live ~= nil then consider(live + AWAY_AFTER_S) end
  if due == nil then
    redis.call('ZREM', DUE, room)
    return
  end
  due = due - DUE_MARGIN_S
  if floor ~= nil and due <= floor then due = floor + DUE_MARGIN_S end
  redis.call('ZADD', DUE, due, room)
end

-- The listing's score is minus the member count (see keys.listing_member); a private room
-- (meta `pv` 1) is never listed.
local function relist(B)
  local meta = redis.call('HMGET', B .. 'meta', 'lk', 'pv')
  local lk = meta[1]
  local count = redis.call('ZCARD', B .. 'order')
  if count == 0 or meta[2] == '1' then
    redis.call('ZREM', ROOMS, lk)
  else
    redis.call('ZADD', ROOMS, -count, lk)
  end
end

local function delete_room(room, B)
  local lk = redis.call('HGET', B .. 'meta', 'lk')
  if lk then redis.call('ZREM', ROOMS, lk) end
  redis.call('ZREM', DUE, room)
  redis.call('SREM', PRIVS, room)
  local keys = {}
  for i, part in ipairs(PARTS) do keys[i] = B .. part end
  redis.call('DEL', unpack(keys))
end

local function name_of(B, key)
  return cjson.decode(redis.call('HGET', B .. 'mem', key))[1]
end

-- Keep the `most` highest-scored entries of a sorted set (and their fields in `hash`).
local function keep_newest(key, most, hash)
  local extra = redis.call('ZCARD', key) - most
  if extra <= 0 then return end
  local old = redis.call('ZRANGE', key, 0, extra - 1)
  redis.call('ZREM', key, unpack(old))
  if hash then redis.call('HDEL', hash, unpack(old)) end
end

local function prune_departures(B, now)
  local cutoff = '(' .. num(now - RECENT_DEPARTURE_S)
  local old = redis.call('ZRANGEBYSCORE', B .. 'gone', '-inf', cutoff)
  if #old > 0 then
    redis.call('ZREM', B .. 'gone', unpack(old))
    redis.call('HDEL', B .. 'gonen', unpack(old))
  end
end

-- Room.remove: returns the name, whether the room emptied (it is then deleted with its
-- history) and the new owner's name when the owner left (else false); nil when `key` is
-- not a member.
local function remove_member(room, B, key, now_s)
  local static = redis.call('HGET', B .. 'mem', key)
  if not static then return nil end
  local m = cjson.decode(static)
  local owner_before = redis.call('ZRANGE', B .. 'order', 0, 0)[1]
  redis.call('ZREM', B .. 'order', key)
  redis.call('HDEL', B .. 'mem', key)
  redis.call('ZREM', B .. 'act', key)
  redis.call('ZREM', B .. 'live', key)
  redis.call('ZREM', B .. 'typ', key)
  redis.call('HDEL', B .. 'typa', key)
  redis.call('SREM', node_members(m[4]), membership(room, m[2], key))
  if redis.call('ZCARD', B .. 'order') == 0 then
    delete_room(room, B)
    return m[1], true, false
  end
  redis.call('ZADD', B .. 'gone', now_s, key)
  redis.call('HSET', B .. 'gonen', key, m[1])
  local most = tonumber(redis.call('HGET', B .. 'meta', 'rm') or DEFAULT_RECENT_MAX)
  keep_newest(B .. 'gone', most, B .. 'gonen')
  prune_departures(B, tonumber(now_s))
  local new_owner = false
  if owner_before == key then
    new_owner = name_of(B, redis.call('ZRANGE', B .. 'order', 0, 0)[1])
  end
  relist(B)
  reschedule(room, B, nil)
  return m[1], false, new_owner
end

-- Room.touch: record activity (a message also ends typing and becomes the room's last
-- message, `lk` its listing member for that time). Returns 1 when back from away, 0 when
-- not, nil when `key` is not a member.
local function touch_member(room, B, key, now_s, sent_message, lk)
  if redis.call('HEXISTS', B .. 'mem', key) == 0 then return nil end
  local back = redis.call('ZSCORE', B .. 'live', key) and 0 or 1
  redis.call('ZADD', B .. 'act', now_s, key)
  redis.call('ZADD', B .. 'live', now_s, key)
  if sent_message then
    redis.call('ZREM', B .. 'typ', key)
    redis.call('HDEL', B .. 'typa', key)
    redis.call('ZREM', ROOMS, redis.call('HGET', B .. 'meta', 'lk'))
    redis.call('HSET', B .. 'meta', 'lm', now_s, 'lk', lk)
    relist(B)
  end
  reschedule(room, B, nil)
  return back
end

-- A consistent read of the room: {epoch, created_at, capacity, members, recent, typing,
-- private 0/1},
-- members as {key, stored member, last_active_at, away 0/1} in join order.
local function snapshot(B, now)
  local meta = redis.call('HMGET', B .. 'meta', 'epoch', 'created', 'cap', 'pv')
  local keys = redis.call('ZRANGE', B .. 'order', 0, -1)
  local members = {}
  if #keys > 0 then
    local statics = redis.call('HMGET', B .. 'mem', unpack(keys))
    local active = redis.call('ZMSCORE', B .. 'act', unpack(keys))
    local live = redis.call('ZMSCORE', B .. 'live', unpack(keys))
    for i, key in ipairs(keys) do
      members[i] = {key, statics[i], active[i], live[i] and 0 or 1}
    end
  end
  local recent = {}
  local gone = redis.call('ZRANGEBYSCORE', B .. 'gone', num(now - RECENT_DEPARTURE_S), '+inf',
                          'WITHSCORES')
  for i = 1, #gone, 2 do
    recent[#recent + 1] = {gone[i], redis.call('HGET', B .. 'gonen', gone[i]), gone[i + 1]}
  end
  local typing = {}
  for _, key in ipairs(redis.call('ZRANGEBYSCORE', B .. 'typ', '(' .. num(now), '+inf')) do
    local static = redis.call('HGET', B .. 'mem', key)
    if static then typing[#typing + 1] = cjson.decode(static)[1] end
  end
  return {meta[1], meta[2], meta[3], members, recent, typing, meta[4] == '1' and 1 or 0}
end
