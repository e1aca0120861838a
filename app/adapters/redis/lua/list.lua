-- RoomStore.list_rooms: one page of the listing index. ARGV: prefix, offset, limit.
-- Returns {total, {name, members, created_at, last_message_at or nothing}..., private rooms}:
-- private rooms are not in the index, so not in the total either.
local offset, limit = tonumber(ARGV[2]), tonumber(ARGV[3])
local rows = {}
if limit > 0 then
  local page = redis.call('ZRANGE', ROOMS, offset, offset + limit - 1, 'WITHSCORES')
  for i = 1, #page, 2 do
    local name = string.sub(page[i], 17)
    local meta = redis.call('HMGET', base(name) .. 'meta', 'created', 'lm')
    rows[#rows + 1] = {name, page[i + 1], meta[1], meta[2] or nil}
  end
end
return {redis.call('ZCARD', ROOMS), rows, redis.call('SCARD', PRIVS)}
