-- Broker.publish_message: take the seq, keep the message (capped), publish it, in one step,
-- so every node receives a room's messages in seq order. For a send, the same step records
-- the author's activity (RoomStore.touch with a message) and, when the author was away,
-- publishes their presence (online) first: one script per message.
-- ARGV: prefix, room, history size, envelope head, message tail, channel, PUBLISH or
-- SPUBLISH, author key ('' for none), now, listing member for a last message at `now`,
-- the presence envelope to publish if the author comes back from away.
-- Returns the seq, or nil when the room does not exist or the author is not a member.
local room = ARGV[2]
local B = base(room)
local epoch = redis.call('HGET', B .. 'meta', 'epoch')
if not epoch then return false end
if ARGV[8] ~= '' then
  local back = touch_member(room, B, ARGV[8], ARGV[9], true, ARGV[10])
  if back == nil then return false end
  if back == 1 then redis.call(ARGV[7], ARGV[6], ARGV[11]) end
end
local seq = redis.call('INCR', B .. 'seq')
local seq_s = string.format('%d', seq)
redis.call('RPUSH', B .. 'log', '[' .. seq_s .. ARGV[5])
redis.call('LTRIM', B .. 'log', -tonumber(ARGV[3]), -1)
redis.call(ARGV[7], ARGV[6], ARGV[4] .. cjson.encode(epoch) .. ',"m",' .. seq_s .. ARGV[5])
return seq
