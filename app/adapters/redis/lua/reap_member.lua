-- One membership of a dead node, removed once: the script is atomic, so of two reapers
-- only the first finds the member. ARGV: prefix, node, membership (room/conn/key), now,
-- even if alive 0/1 (NodeRegistry.remove: a membership the node itself no longer has).
-- Returns 'alive' when the node beat again (stop reaping it), nil when there was nothing
-- to remove, else {room, name, key, emptied 0/1, new owner or nothing}.
local node, entry, now_s = ARGV[2], ARGV[3], ARGV[4]
local deadline = redis.call('ZSCORE', NODES, node)
if ARGV[5] ~= '1' and deadline and tonumber(deadline) > tonumber(now_s) then
  return 'alive'
end
redis.call('SREM', node_members(node), entry)
local first = string.find(entry, '/', 1, true)
local second = string.find(entry, '/', first + 1, true)
local room = string.sub(entry, 1, first - 1)
local conn = string.sub(entry, first + 1, second - 1)
local key = string.sub(entry, second + 1)
local B = base(room)
local static = redis.call('HGET', B .. 'mem', key)
if not static then return false end
local m = cjson.decode(static)
if m[2] ~= conn or m[4] ~= node then return false end
local name, emptied, new_owner = remove_member(room, B, key, now_s)
return {room, name, key, emptied and 1 or 0, new_owner or nil}
