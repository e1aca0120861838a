-- NodeRegistry.heartbeat. ARGV: prefix, node, now, ttl_s.
-- Returns 1 when the node was alive already (its deadline not passed).
local node, now_s = ARGV[2], ARGV[3]
local now, ttl = tonumber(now_s), tonumber(ARGV[4])
local before = redis.call('ZSCORE', NODES, node)
redis.call('ZADD', NODES, now + ttl, node)
redis.call('SET', PREFIX .. 'node:' .. node, now_s, 'PX', math.max(1, math.ceil(ttl * 1000)))
if before and tonumber(before) > now then return 1 end
return 0
