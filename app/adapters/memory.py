"""In-memory adapters: the default for one node, and the fakes the tests use.

Each method runs without awaiting anything, so on one event loop every call is atomic, the
same guarantee the Redis adapter gets from Lua scripts.
"""

from __future__ import annotations

import dataclasses
import secrets
from collections.abc import Callable

from app.domain.codes import ErrorCode
from app.domain.errors import ChatError
from app.domain.events import Envelope
from app.domain.history import History, Message
from app.domain.model import LeaveChange, Member, Room
from app.ports import Deliver, JoinOutcome, PresenceChange, RoomSnapshot


def new_epoch() -> str:
    return secrets.token_hex(6)


def _snapshot(room: Room, now: float) -> RoomSnapshot:
    return RoomSnapshot(
        name=room.name,
        epoch=room.epoch,
        created_at=room.created_at,
        capacity=room.capacity,
        members=[dataclasses.replace(m) for m in room.members.values()],
        recent=room.recent_departures(now),
        typing=room.typing_names(now),
    )


class MemoryRoomStore:
    def __init__(
        self, *, recent_max: int = 20, epoch_factory: Callable[[], str] = new_epoch
    ) -> None:
        self._rooms: dict[str, Room] = {}
        self._recent_max = recent_max
        self._epoch_factory = epoch_factory

    async def join(self, room: str, member: Member, *, capacity: int, now: float) -> JoinOutcome:
        current = self._rooms.get(room)
        created = current is None
        if current is None:
            current = Room(
                name=room,
                epoch=self._epoch_factory(),
                created_at=now,
                capacity=capacity,
                recent_max=self._recent_max,
            )
        current.admit(member, now)
        self._rooms[room] = current
        return JoinOutcome(created=created, room=_snapshot(current, now))

    async def leave(self, room: str, key: str, *, now: float) -> LeaveChange | None:
        current = self._rooms.get(room)
        if current is None:
            return None
        change = current.remove(key, now)
        if change is not None and change.room_empty:
            del self._rooms[room]
        return change

    async def evict(
        self,
        room: str,
        actor_key: str,
        target_key: str,
        *,
        ban: bool,
        cooldown_s: float,
        now: float,
    ) -> tuple[Member, LeaveChange]:
        current = self._rooms.get(room)
        if current is None:
            raise ChatError(ErrorCode.NOT_IN_ROOM, "you are not in this room", room=room)
        target, change = current.evict(actor_key, target_key, now, ban=ban, cooldown_s=cooldown_s)
        return dataclasses.replace(target), change

    async def snapshot(self, room: str, *, now: float) -> RoomSnapshot | None:
        current = self._rooms.get(room)
        return None if current is None else _snapshot(current, now)

    async def list_rooms(self, *, now: float) -> list[RoomSnapshot]:
        return [_snapshot(r, now) for r in self._rooms.values()]

    async def touch(self, room: str, key: str, *, now: float, sent_message: bool = False) -> bool:
        current = self._rooms.get(room)
        return current is not None and current.touch(key, now, sent_message=sent_message)

    async def typing(self, room: str, key: str, *, now: float) -> bool:
        current = self._rooms.get(room)
        return current is not None and current.typing(key, now)

    async def sweep(self, *, now: float) -> list[PresenceChange]:
        changes: list[PresenceChange] = []
        for room in self._rooms.values():
            room.sweep(now)
            changes.extend(
                PresenceChange(room=room.name, member=dataclasses.replace(m))
                for m in room.mark_away(now)
            )
        return changes

    async def count(self) -> int:
        return len(self._rooms)


class MemoryHistoryStore:
    def __init__(self, *, size: int) -> None:
        self._size = size
        self._histories: dict[str, History] = {}

    def _history(self, room: str) -> History:
        history = self._histories.get(room)
        if history is None:
            history = self._histories[room] = History(self._size)
        return history

    async def append(self, room: str, make: Callable[[int], Message]) -> Message:
        history = self._history(room)
        message = make(history.next_seq())
        history.append(message)
        return message

    async def latest_seq(self, room: str) -> int:
        history = self._histories.get(room)
        return 0 if history is None else history.seq

    async def latest(self, room: str, limit: int | None = None) -> list[Message]:
        history = self._histories.get(room)
        return [] if history is None else history.latest(limit)

    async def since(self, room: str, seq: int) -> list[Message] | None:
        history = self._histories.get(room)
        if history is None:
            return [] if seq == 0 else None
        return history.since(seq)

    async def before(self, room: str, seq: int | None, limit: int) -> tuple[list[Message], bool]:
        history = self._histories.get(room)
        return ([], False) if history is None else history.before(seq, limit)

    async def last_message_at(self, room: str) -> float | None:
        history = self._histories.get(room)
        return None if history is None else history.last_message_at

    async def drop(self, room: str) -> None:
        self._histories.pop(room, None)


class MemoryBroker:
    """One node: a published envelope is delivered at once, on the publisher's turn."""

    def __init__(self) -> None:
        self._deliver: Deliver | None = None

    async def start(self, deliver: Deliver) -> None:
        self._deliver = deliver

    async def publish(self, envelope: Envelope) -> None:
        if self._deliver is None:
            raise RuntimeError("broker not started")
        self._deliver(envelope)

    async def close(self) -> None:
        self._deliver = None
