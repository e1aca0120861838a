"""RoomQueries: read-only views of rooms for the REST API.

A private room is not listed, and its stats are told only to a request with proof (an invite
valid for it now, or a token whose `sub` is a member); to anyone else it does not exist, with
the very answer of a room that does not (docs/decisions/0025)."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass

from app.domain import invites
from app.domain.errors import ChatError
from app.domain.policies.names import normalize_room_name
from app.domain.signing import Signer
from app.ports import Clock, HistoryStore, RoomStore
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
        # The proofs are checked before the room is read, whatever it turns out to be, so a
        # private room and a missing one cost the same (docs/security.md P4).
        invite_epoch, sub = self._proofs(room, invite, bearer, now)
        snapshot = await self._rooms.snapshot(room, now=now)
        if snapshot is None:
            return None
        if snapshot.private and not (
            invite_epoch == snapshot.epoch
            or (sub is not None and any(m.sub == sub for m in snapshot.members))
        ):
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

    def _proofs(
        self, room: str, invite: str | None, bearer: str | None, now: float
    ) -> tuple[str | None, str | None]:
        """The epoch of an invite valid now for `room` (looking spends no use), and the `sub`
        of a valid bearer token; None for what the request does not prove."""
        invite_epoch: str | None = None
        if invite is not None:
            with contextlib.suppress(ChatError):
                invite_epoch = invites.verify(self._signer, invite, room=room, now=now).epoch
        sub: str | None = None
        if bearer is not None:
            try:
                identity = self._auth.identify(bearer)
            except ChatError:
                identity = None
            sub = identity.sub if identity is not None else None
        return invite_epoch, sub
