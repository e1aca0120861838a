"""Rooms and their membership: the room store and what it returns."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from app.domain.invites import InviteProof
from app.domain.model import Departure, LeaveChange, Member


@dataclass(frozen=True, slots=True)
class RoomSnapshot:
    """A consistent read of one room."""

    name: str
    epoch: str
    created_at: float
    capacity: int
    members: list[Member]
    recent: list[Departure]
    typing: list[str]  # in no particular order
    private: bool = False

    @property
    def owner(self) -> str | None:
        return self.members[0].name if self.members else None


@dataclass(frozen=True, slots=True)
class RoomListing:
    """One row of the room listing, read from the listing index (no snapshot needed)."""

    name: str
    members: int
    created_at: float
    last_message_at: float | None


@dataclass(frozen=True, slots=True)
class JoinOutcome:
    created: bool
    room: RoomSnapshot


@dataclass(frozen=True, slots=True)
class PresenceChange:
    room: str
    member: Member


class RoomStore(Protocol):
    """Rooms and their membership; a room exists while it has members."""

    async def join(
        self,
        room: str,
        member: Member,
        *,
        capacity: int,
        now: float,
        private: bool = False,
        invite: InviteProof | None = None,
    ) -> JoinOutcome:
        """Admit `member`, creating the room (new epoch; private when `private`) if needed;
        raise ChatError if refused. A private room needs `invite`: its epoch and use count
        are checked and one use spent in the same atomic step, only when the member is
        admitted (invites.admission_refusal, then Room.admit's refusals). A public room
        ignores `invite`, an existing room `private`."""
        ...

    async def set_private(self, room: str, actor_key: str, private: bool, *, now: float) -> None:
        """The owner makes the room private or public (NOT_IN_ROOM when it does not exist,
        NOT_OWNER unless `actor_key` owns it). A private room leaves the listing."""
        ...

    async def leave(self, room: str, key: str, *, now: float) -> LeaveChange | None:
        """Remove a member (deleting the room when it empties); None if not a member."""
        ...

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
        """The owner kicks (cooldown) or bans a member; raise ChatError if not allowed."""
        ...

    async def snapshot(self, room: str, *, now: float) -> RoomSnapshot | None:
        """The room as it is now, or None when it does not exist."""
        ...

    async def list_rooms(self, *, limit: int, offset: int) -> tuple[list[RoomListing], int]:
        """A page of public rooms busiest first (members desc, then last message desc, a room
        without messages last, then name asc), and how many public rooms exist. Served from an
        index kept as rooms change: O(limit + log n), not a sort per call."""
        ...

    async def count(self) -> int:
        """How many rooms exist (private ones too)."""
        ...

    async def touch(self, room: str, key: str, *, now: float, sent_message: bool = False) -> bool:
        """Record activity (a message also ends typing and becomes the room's
        last_message_at); True when back from away."""
        ...

    async def typing(self, room: str, key: str, *, now: float) -> bool:
        """Mark typing; True when the others should be told (not coalesced)."""
        ...

    async def sweep(self, *, now: float) -> list[PresenceChange]:
        """Expire typing marks, departures and cooldowns; return members that went away."""
        ...
