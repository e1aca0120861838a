// The active rooms, from GET /api/rooms (busiest first), as buttons to join one.

export async function fetchRooms(limit = 50) {
  const response = await fetch(`/api/rooms?limit=${limit}`, { headers: { Accept: "application/json" } });
  if (!response.ok) throw new Error(`HTTP ${response.status}`);
  const body = await response.json();
  return body.rooms;
}

/** Render `rooms` into `list`; `onPick(name)` when one is chosen; `joined` are marked. */
export function renderDirectory(list, rooms, joined, onPick) {
  list.replaceChildren();
  for (const room of rooms) {
    const li = document.createElement("li");
    const button = document.createElement("button");
    button.type = "button";
    button.className = "directory-room";
    button.dataset.room = room.name;
    const name = document.createElement("span");
    name.textContent = `#${room.name}`;
    const count = document.createElement("span");
    count.className = "count";
    count.textContent = String(room.members);
    count.setAttribute("aria-label", `${room.members} ${room.members === 1 ? "member" : "members"}`);
    button.append(name, " ", count);
    if (joined.has(room.name)) button.setAttribute("aria-current", "true");
    button.onclick = () => onPick(room.name);
    li.append(button);
    list.append(li);
  }
}
