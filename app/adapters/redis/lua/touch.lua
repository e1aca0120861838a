-- RoomStore.touch = Room.touch. ARGV: prefix, room, key, now, sent_message 0/1,
-- the listing member for a last message at `now`. Returns 1 when back from away.
local room = ARGV[2]
return touch_member(room, base(room), ARGV[3], ARGV[4], ARGV[5] == '1', ARGV[6]) or 0
