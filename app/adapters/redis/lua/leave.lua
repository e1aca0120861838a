-- RoomStore.leave = Room.remove. ARGV: prefix, room, key, now
-- Returns nil when not a member, else {name, emptied 0/1, new owner or nothing}.
local name, emptied, new_owner = remove_member(ARGV[2], base(ARGV[2]), ARGV[3], ARGV[4])
if name == nil then return false end
return {name, emptied and 1 or 0, new_owner or nil}
