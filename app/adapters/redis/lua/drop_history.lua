-- HistoryStore.drop: forget the history of a room that no longer exists. A room that
-- exists keeps it: another node may have created it again and written to it already.
-- ARGV: prefix, room.
local B = base(ARGV[2])
if redis.call('EXISTS', B .. 'meta') == 1 then return 0 end
return redis.call('DEL', B .. 'seq', B .. 'log')
