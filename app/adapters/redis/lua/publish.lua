-- Broker.publish_message: take the seq, keep the message (capped), publish it, in one step,
-- so every node receives a room's messages in seq order.
-- ARGV: prefix, room, history size, envelope head, message tail, channel, PUBLISH or
-- SPUBLISH. Returns the seq, or nil when the room does not exist.
local B = base(ARGV[2])
local epoch = redis.call('HGET', B .. 'meta', 'epoch')
if not epoch then return false end
local seq = redis.call('INCR', B .. 'seq')
local seq_s = string.format('%d', seq)
redis.call('RPUSH', B .. 'log', '[' .. seq_s .. ARGV[5])
redis.call('LTRIM', B .. 'log', -tonumber(ARGV[3]), -1)
redis.call(ARGV[7], ARGV[6], ARGV[4] .. cjson.encode(epoch) .. ',"m",' .. seq_s .. ARGV[5])
return seq
