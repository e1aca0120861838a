-- NodeRegistry.reap, last step: forget a dead node once it has no memberships left.
-- ARGV: prefix, node, now. Returns 1 when forgotten.
local node = ARGV[2]
local deadline = redis.call('ZSCORE', NODES, node)
if deadline and tonumber(deadline) > tonumber(ARGV[3]) then return 0 end
if redis.call('SCARD', node_members(node)) > 0 then return 0 end
redis.call('ZREM', NODES, node)
redis.call('DEL', PREFIX .. 'node:' .. node)
return 1
