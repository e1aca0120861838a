"""RoomQueries: read-only views of rooms for the REST API."""

from __future__ import annotations

from dataclasses import dataclass

from app.domain.policies.names import normalize_room_name
from app.ports import Clock, HistoryStore, RoomStore


@dataclass(frozen=True, slots=True)
class RoomSummary:
    name: str
    members: int
    created_at: float
    last_message_at: float | None


@dataclass(frozen=True, slots=True)
class RoomStats:
    name: str
    members: int
    capacity: int
    owner: str | None
    created_at: float
    messages_total: int
    last_message_at: float | None
    history_size: int
    typing: int


class RoomQueries:
    def __init__(self, *, rooms: RoomStore, history: HistoryStore, clock: Clock) -> None:
        self._rooms = rooms
        self._history = history
        self._clock = clock

    async def list_rooms(self, *, limit: int, offset: int) -> tuple[list[RoomSummary], int]:
        """Rooms busiest first (most members, then most recent message, then name), one
        page from the store's listing index."""
        page, total = await self._rooms.list_rooms(limit=limit, offset=offset)
        summaries = [
            RoomSummary(
                name=r.name,
                members=r.members,
                created_at=r.created_at,
                last_message_at=r.last_message_at,
            )
            for r in page
        ]
        return summaries, total

    async def room_stats(self, name: str) -> RoomStats | None:
        """Stats of one room; None when it does not exist. Raises ChatError for a bad name."""
        room = normalize_room_name(name)
        snapshot = await self._rooms.snapshot(room, now=self._clock.now())
        if snapshot is None:
            return None
        return RoomStats(
            name=snapshot.name,
            members=len(snapshot.members),
            capacity=snapshot.capacity,
            owner=snapshot.owner,
            created_at=snapshot.created_at,
            messages_total=await self._history.latest_seq(room),
            last_message_at=await self._history.last_message_at(room),
            history_size=len(await self._history.latest(room)),
            typing=len(snapshot.typing),
        )
