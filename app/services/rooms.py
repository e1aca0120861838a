"""RoomQueries: read-only views of rooms for the REST API.

A private room is not listed, and its stats are told only to a request with proof (an invite
valid for it now, or a token whose `sub` is a member); to anyone else it does not exist, with
the very answer of a room that does not (docs/decisions/0025)."""

from __future__ import annotations

from dataclasses import dataclass

from app.domain import invites
from app.domain.errors import ChatError
from app.domain.policies.names import normalize_room_name
from app.domain.signing import Signer
from app.ports import Clock, HistoryStore, RoomSnapshot, RoomStore
from app.services.auth import Authenticator


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
    def __init__(
        self,
        *,
        rooms: RoomStore,
        history: HistoryStore,
        clock: Clock,
        signer: Signer,
        auth: Authenticator,
    ) -> None:
        self._rooms = rooms
        self._history = history
        self._clock = clock
        self._signer = signer
        self._auth = auth

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

    async def room_stats(
        self, name: str, *, invite: str | None = None, bearer: str | None = None
    ) -> RoomStats | None:
        """Stats of one room; None when it does not exist, or is private and the request
        proves nothing (`invite`, a token; `bearer`, a JWT). Raises ChatError for a bad name."""
        room = normalize_room_name(name)
        now = self._clock.now()
        snapshot = await self._rooms.snapshot(room, now=now)
        if snapshot is None:
            return None
        if snapshot.private and not self._may_see(snapshot, invite, bearer, now):
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

    def _may_see(
        self, snapshot: RoomSnapshot, invite: str | None, bearer: str | None, now: float
    ) -> bool:
        """Proof of an invite valid now (for this room and epoch; looking spends no use) or
        of membership (the bearer token's `sub` is a member's)."""
        if invite is not None:
            try:
                invites.verify(
                    self._signer, invite, room=snapshot.name, now=now, epoch=snapshot.epoch
                )
                return True
            except ChatError:
                pass
        if bearer is not None:
            try:
                identity = self._auth.identify(bearer)
            except ChatError:
                return False
            if identity is not None:
                return any(m.sub == identity.sub for m in snapshot.members)
        return False
