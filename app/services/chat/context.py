"""What every chat use case shares: the ports, the limits, and this node's sessions."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

from app.domain.codes import ErrorCode
from app.domain.errors import ChatError
from app.domain.events import Envelope, Limits, Presence, PresenceStatus, RoomEvent
from app.domain.model import TYPING_TTL_S
from app.domain.policies.emoji import emojize
from app.domain.policies.profanity import FilterResult
from app.domain.policies.rate_limit import AbuseBudget, RateLimiter
from app.domain.policies.text import normalize_message
from app.ports import Broker, Clock, HistoryStore, Metrics, RoomStore, Tracer
from app.services.hub import Hub


class TextFilter(Protocol):
    def check(self, text: str) -> FilterResult:
        """Block the text, or return it with listed terms masked."""
        ...


def screen(profanity: TextFilter, raw: str, *, max_chars: int, room: str, what: str) -> str:
    """Text that people will read: `:shortcodes:` turned into emoji, normalised
    (app/domain/policies/text.py), with redact-listed terms masked; MESSAGE_BLOCKED when a
    deny-listed term is in it. The reason never repeats the term: echoing it would send it to
    the author after all."""
    verdict = profanity.check(normalize_message(emojize(raw), max_chars=max_chars))
    if verdict.blocked:
        raise ChatError(
            ErrorCode.MESSAGE_BLOCKED, f"{what} contains a term that is not allowed here", room=room
        )
    return verdict.text


@dataclass(frozen=True, slots=True)
class ChatLimits:
    """The limits the chat core enforces (built from Settings by the composition root, which
    holds their defaults)."""

    max_message_chars: int
    history_size: int
    max_room_members: int
    max_rooms_per_connection: int
    max_frame_bytes: int
    kick_cooldown_s: float
    message_rules: tuple[tuple[int, float], ...]
    join_rules: tuple[tuple[int, float], ...]
    event_rules: tuple[tuple[int, float], ...]
    reply_chars: int
    """The most a reply with history (`joined`, `history`) may carry, in characters: half a
    connection's outbox, so that it always fits with room to spare."""
    max_attachment_bytes: int = 0

    def as_event(self) -> Limits:
        return Limits(
            max_message_chars=self.max_message_chars,
            history_size=self.history_size,
            max_room_members=self.max_room_members,
            max_rooms_per_connection=self.max_rooms_per_connection,
            max_frame_bytes=self.max_frame_bytes,
            typing_ttl_ms=int(TYPING_TTL_S * 1000),
            max_attachment_bytes=self.max_attachment_bytes,
        )


@dataclass(slots=True)
class Session:
    """One connection's chat state on this node, with its own limits."""

    conn_id: str
    message_limit: RateLimiter
    join_limit: RateLimiter
    event_limit: RateLimiter
    name: str | None = None
    key: str | None = None
    # The verified token's `sub` (None for a guest): the stable user id.
    sub: str | None = None
    rooms: set[str] = field(default_factory=set)
    abuse: AbuseBudget = field(default_factory=AbuseBudget)
    # The epoch each room had when this connection joined it (a gap in a room created again
    # spares the members who joined the new one).
    epochs: dict[str, str] = field(default_factory=dict)


@dataclass(slots=True)
class ChatContext:
    rooms: RoomStore
    history: HistoryStore
    broker: Broker
    hub: Hub
    clock: Clock
    metrics: Metrics
    limits: ChatLimits
    tracer: Tracer
    sessions: dict[str, Session] = field(default_factory=dict)
    # This process among the nodes: stamped on its members, so that the others can remove
    # them if it dies (NodeRegistry.reap).
    node_id: str = ""

    def named(self, conn_id: str) -> tuple[Session, str, str]:
        """The connection's session, name and name key; HELLO_REQUIRED before `hello`."""
        session = self.sessions.get(conn_id)
        if session is None or session.name is None or session.key is None:
            raise ChatError(ErrorCode.HELLO_REQUIRED, "send hello with your name first")
        return session, session.name, session.key

    def in_room(self, conn_id: str, room: str) -> tuple[Session, str, str]:
        """As `named`, and NOT_IN_ROOM unless the connection is in `room`."""
        session, name, key = self.named(conn_id)
        if room not in session.rooms:
            raise ChatError(ErrorCode.NOT_IN_ROOM, "you are not in this room", room=room)
        return session, name, key

    async def publish(self, event: RoomEvent, room: str, **routing: str | None) -> None:
        """Tell the room, through the Broker (even on one node)."""
        await self.broker.publish(
            Envelope(room=room, event=event, accepted_at=self.clock.monotonic(), **routing)
        )

    async def announce(
        self, room: str, name: str, status: PresenceStatus, last_seen: float
    ) -> None:
        """A member's presence in `room` changed."""
        await self.publish(Presence(room=room, name=name, status=status, last_seen=last_seen), room)


def check_rate(limiter: RateLimiter, now: float, what: str, room: str) -> None:
    """Refuse when the limiter would; the caller records the attempt once it succeeds."""
    wait_ms = limiter.retry_after_ms(now)
    if wait_ms > 0:
        raise ChatError(
            ErrorCode.RATE_LIMITED,
            f"too many {what}; try again in {wait_ms / 1000:.1f} s",
            room=room,
            retry_after_ms=wait_ms,
        )
