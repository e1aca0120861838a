"""Room fan-out across nodes."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol

from app.domain.events import Envelope
from app.domain.history import Message, MessageDraft

Deliver = Callable[[Envelope], None]


class GapReason(StrEnum):
    TRIMMED = "trimmed"
    """Messages after `after_seq` are no longer kept in the room's history."""
    RECREATED = "recreated"
    """The room was deleted (and maybe created again, with a new epoch) meanwhile."""


@dataclass(frozen=True, slots=True)
class Gap:
    """This node's members of `room` may have missed messages after `after_seq` that the
    broker could not deliver from history. The handler should send those members away to
    resume (they rejoin with since/epoch and get recovered: false, or the new epoch)."""

    room: str
    after_seq: int
    reason: GapReason
    epoch: str | None = None
    """The room's epoch now (None when it no longer exists): members who joined this
    epoch already have everything and need not be sent away."""


OnGap = Callable[[Gap], None]


class Broker(Protocol):
    """Room fan-out across nodes: what one node publishes, every node's Hub delivers.

    A node receives the rooms it subscribed to. Messages of one room arrive in seq order,
    each once; a message the node missed (its link to the other nodes dropped, or a seq
    jumped) is delivered from history before later ones, or reported to `on_gap` when it
    is no longer kept."""

    async def start(self, deliver: Deliver, on_gap: OnGap | None = None) -> None:
        """Begin delivering published envelopes to `deliver` (and gaps to `on_gap`)."""
        ...

    async def publish(self, envelope: Envelope) -> None:
        """Send an envelope to every node (this one included)."""
        ...

    async def publish_message(
        self,
        draft: MessageDraft,
        *,
        reply_conn: str | None,
        reply_ref: str | None,
        accepted_at: float,
        author_key: str | None = None,
    ) -> Message:
        """In one atomic step: take the room's next seq, keep the numbered message in its
        history (capped at the history size) and publish it; return the message. With
        `author_key` (a send), the same step records the author's activity as
        `RoomStore.touch(sent_message=True)` does and, when the author was away, publishes
        their presence (online, at `draft.ts`) just before the message; an author who is not
        a member is refused (not_in_room), as is a room that does not exist."""
        ...

    async def subscribe(self, room: str) -> None:
        """Listen to `room` on this node; returns once the subscription is confirmed, so
        nothing published afterwards is missed. Calls are counted: the node listens while
        it has made more subscribe than unsubscribe calls for the room."""
        ...

    async def unsubscribe(self, room: str) -> None:
        """Undo one subscribe call."""
        ...

    async def close(self) -> None:
        """Stop delivering; release connections."""
        ...
