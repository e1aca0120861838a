-- RoomStore.snapshot. ARGV: prefix, room, now. Returns the snapshot, or nil.
local B = base(ARGV[2])
if redis.call('EXISTS', B .. 'meta') == 0 then return false end
return snapshot(B, tonumber(ARGV[3]))
