"""The ports: every piece of I/O the services need, as small async Protocols.

Each method is one atomic step, so an adapter backed by a shared store (Redis, Lua) can
keep the same guarantees the in-memory adapter gets from running on one event loop.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import AbstractContextManager
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol

from app.domain.events import Envelope
from app.domain.history import Message, MessageDraft
from app.domain.model import Departure, LeaveChange, Member


class StoreUnavailable(Exception):
    """A port could not reach the store behind it (Redis down, a timeout, a dropped
    connection). After a timeout the step may or may not have happened; the caller tells
    its client (`service_unavailable`) rather than guess."""


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

    async def join(self, room: str, member: Member, *, capacity: int, now: float) -> JoinOutcome:
        """Admit `member`, creating the room (new epoch) if needed; raise ChatError if refused."""
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
        """A page of rooms busiest first (members desc, then last message desc, a room
        without messages last, then name asc), and how many rooms exist. Served from an
        index kept as rooms change: O(limit + log n), not a sort per call."""
        ...

    async def count(self) -> int:
        """How many rooms exist."""
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


class HistoryStore(Protocol):
    """Per-room message history with a seq that grows by exactly one per message. Messages
    are added by `Broker.publish_message`, which numbers, keeps and publishes in one step."""

    async def latest_seq(self, room: str) -> int:
        """The room's newest seq (0 before the first message)."""
        ...

    async def latest(self, room: str, limit: int | None = None) -> list[Message]:
        """The newest `limit` kept messages, oldest first."""
        ...

    async def since(self, room: str, seq: int) -> list[Message] | None:
        """Every message after `seq`, or None when some are no longer kept."""
        ...

    async def before(self, room: str, seq: int | None, limit: int) -> tuple[list[Message], bool]:
        """A page of messages older than `seq`, and whether older ones remain."""
        ...

    async def last_message_at(self, room: str) -> float | None:
        """When the newest kept message was sent."""
        ...

    async def drop(self, room: str) -> None:
        """Forget the room's history (the room was deleted)."""
        ...


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


@dataclass(frozen=True, slots=True, order=True)
class NodeMembership:
    """One membership a node owns, as the store indexes it."""

    room: str
    conn_id: str
    key: str


class NodeRegistry(Protocol):
    """Which nodes are alive, and removing the members of those that died.

    A member records its node (`Member.node_id`); the store indexes memberships per node.
    Nodes' clocks must agree to well within a TTL (NTP): liveness is judged by `now`."""

    async def heartbeat(self, node_id: str, *, now: float, ttl_s: float) -> bool:
        """The node is alive until `now + ttl_s`. True when it was alive already; False on
        its first beat and when it had been presumed dead (its TTL ran out), in which case
        survivors may have removed its members and it must send its clients away."""
        ...

    async def dead_nodes(self, *, now: float) -> list[str]:
        """Nodes whose TTL ran out and that have not been forgotten yet."""
        ...

    async def reap(self, node_id: str, *, now: float) -> list[tuple[str, LeaveChange]]:
        """Remove every membership of a dead node (handing ownership over, deleting rooms
        that emptied with their history), then forget the node. Each removed membership is
        returned, as (room, change), to exactly one of several concurrent reapers, which
        announces it. Nothing happens to a node that is alive again."""
        ...

    async def alive_nodes(self, *, now: float) -> list[str]:
        """Nodes whose TTL has not run out."""
        ...

    async def memberships(self, node_id: str) -> list[NodeMembership]:
        """Every membership the store says `node_id` owns (to compare with what it holds)."""
        ...

    async def remove(
        self, node_id: str, membership: NodeMembership, *, now: float
    ) -> LeaveChange | None:
        """Remove one membership of `node_id`, alive or not (a member the node no longer
        has: its leave failed, or a previous process with the same id left it behind), if
        it is still there with that node and connection; the change, or None. Exactly one
        of several concurrent callers (and reapers) gets it."""
        ...


class Clock(Protocol):
    """Time, injected so that tests control it."""

    def now(self) -> float:
        """Wall-clock seconds since the epoch (for timestamps shown to people)."""
        ...

    def monotonic(self) -> float:
        """Seconds from an arbitrary start, never going back (for limits and timers)."""
        ...


METRIC_PREFIX = "parrotchat"
"""Every metric name ParrotChat exports starts with this (the chat's own and the HTTP ones)."""


@dataclass(frozen=True, slots=True)
class BrokerFigures:
    """A cross-node broker's counters since start (all zero for the in-memory broker)."""

    published: int = 0
    received: int = 0
    repaired: int = 0
    """Messages delivered from history because the live copy was missed."""
    gaps: int = 0
    """Rooms whose missed messages history no longer had (members sent away to resume)."""
    reconnects: int = 0
    """Times the pub/sub link came back after failing."""


class Metrics(Protocol):
    """Counters the services and the web edge report; adapters decide where they go."""

    def connection_opened(self) -> None: ...

    def connection_closed(self, code: int) -> None: ...

    def message_in(self) -> None: ...

    def messages_out(self, count: int) -> None: ...

    def dropped(self, reason: str, count: int = 1) -> None: ...

    def error(self, code: str) -> None: ...

    def rooms(self, count: int) -> None: ...

    def broadcast_latency(self, seconds: float) -> None:
        """A room message reached the transports `seconds` after it was accepted: once per
        broadcast, and once more for each recipient whose copy had to wait in its outbox."""
        ...

    def watch_outboxes(self, depths: Callable[[], list[int]]) -> None:
        """Read the outbox depth of every open connection when metrics are collected (so the
        hot path pays nothing for it)."""
        ...

    def store_latency(self, operation: str, seconds: float) -> None:
        """One round trip to the shared store (Redis), by operation (a script's name or a
        command group)."""
        ...

    def store_up(self, up: bool) -> None:
        """Whether the shared store answered this node's last heartbeat."""
        ...

    def nodes_alive(self, count: int) -> None:
        """Nodes whose heartbeat has not run out, as this node last saw them."""
        ...

    def reaped(self, count: int) -> None:
        """Memberships of dead nodes (or left behind) that this node removed and announced."""
        ...

    def resynced(self, reason: str, count: int) -> None:
        """Connections sent away to resume (close 4009), by why: `gap` (room messages this
        node could not repair) or `lost` (the store no longer had their memberships)."""
        ...

    def watch_broker(self, figures: Callable[[], BrokerFigures]) -> None:
        """Read the broker's counters when metrics are collected."""
        ...


class NullMetrics:
    """Metrics that go nowhere: the default for services and tests that do not read them."""

    def connection_opened(self) -> None:
        pass

    def connection_closed(self, code: int) -> None:
        pass

    def message_in(self) -> None:
        pass

    def messages_out(self, count: int) -> None:
        pass

    def dropped(self, reason: str, count: int = 1) -> None:
        pass

    def error(self, code: str) -> None:
        pass

    def rooms(self, count: int) -> None:
        pass

    def broadcast_latency(self, seconds: float) -> None:
        pass

    def watch_outboxes(self, depths: Callable[[], list[int]]) -> None:
        pass

    def store_latency(self, operation: str, seconds: float) -> None:
        pass

    def store_up(self, up: bool) -> None:
        pass

    def nodes_alive(self, count: int) -> None:
        pass

    def reaped(self, count: int) -> None:
        pass

    def resynced(self, reason: str, count: int) -> None:
        pass

    def watch_broker(self, figures: Callable[[], BrokerFigures]) -> None:
        pass


AttributeValue = str | int | float | bool


class Span(Protocol):
    """The part of a tracing span the services use."""

    def set_attribute(self, key: str, value: AttributeValue) -> None: ...


class Tracer(Protocol):
    """Spans around use cases; the adapter decides whether they are recorded and exported."""

    def span(
        self, name: str, attributes: Mapping[str, AttributeValue] | None = None
    ) -> AbstractContextManager[Span]:
        """A span, current while the `with` block runs (children nest under it)."""
        ...

    def annotate(self, **attributes: AttributeValue) -> None:
        """Add attributes to the current span (nothing when no span records)."""
        ...


class _NoSpan:
    """A span that records nothing; entering and leaving it costs one method call each."""

    __slots__ = ()

    def __enter__(self) -> _NoSpan:
        return self

    def __exit__(self, *_exc: object) -> None:
        return None

    def set_attribute(self, key: str, value: AttributeValue) -> None:
        pass


_NO_SPAN = _NoSpan()


class NullTracer:
    """The tracer when tracing is off: no allocation, no context switch, nothing exported.
    It lives beside the port so that services can default to it without importing adapters."""

    def span(
        self, name: str, attributes: Mapping[str, AttributeValue] | None = None
    ) -> AbstractContextManager[Span]:
        return _NO_SPAN

    def annotate(self, **attributes: AttributeValue) -> None:
        pass


NULL_TRACER: Tracer = NullTracer()


# --- identity and attachments (issue 13) ---------------------------------------------------


@dataclass(frozen=True, slots=True)
class Identity:
    """Who a verified token says the client is."""

    sub: str
    """The stable user id (the token's `sub`)."""
    name: str | None
    """The display name the token carries, if any (docs/protocol.md, `hello`)."""


class TokenRejected(Exception):
    """The token was refused. `reason` is safe to show the client: it says what was wrong
    with the token (expired, wrong audience...), never anything about the server's keys."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class TokenVerifier(Protocol):
    """Checks a bearer token (a JWT) against the configured keys, locally: no key is ever
    fetched from a URL the token names."""

    def verify(self, token: str) -> Identity:
        """The identity of a valid token; raise TokenRejected otherwise."""
        ...


class UploadState(StrEnum):
    RESERVED = "reserved"
    """`attach` was accepted; the upload URL is out, nothing is stored yet."""
    UPLOADING = "uploading"
    """A PUT is streaming the bytes in (a second one is refused)."""
    STORED = "stored"
    """The file is uploaded and checked; it can be sent."""
    SENT = "sent"
    """A message carries it; it cannot be sent again."""


@dataclass(frozen=True, slots=True)
class UploadRecord:
    """What the store keeps beside an attachment's bytes."""

    id: str
    room: str
    name: str
    size: int
    content_type: str
    owner: str
    """The connection that asked for it: only it may upload and send it."""
    upload_by: float
    """The upload URL's expiry: a reservation not uploaded by then counts for nothing."""
    state: UploadState = UploadState.RESERVED


class UploadTooLarge(Exception):
    """The bytes written went past the limit given; nothing was kept."""


class UploadStore(Protocol):
    """Attachments' bytes and records, per room (a directory here; S3 or the like could
    replace it). A room's attachments go when the room is deleted."""

    async def reserve(self, record: UploadRecord) -> None:
        """Keep the record of an attachment that is about to be uploaded."""
        ...

    async def get(self, room: str, upload_id: str) -> UploadRecord | None:
        """The record, or None when there is none in that room."""
        ...

    async def advance(
        self, room: str, upload_id: str, current: UploadState, new: UploadState
    ) -> bool:
        """Move the record from `current` to `new` in one step; False (nothing changed) when
        it is not in `current` or no longer exists."""
        ...

    async def write(
        self, room: str, upload_id: str, chunks: AsyncIterator[bytes], *, max_bytes: int
    ) -> int:
        """Store the bytes (atomically: all or nothing) and return how many there were;
        raise UploadTooLarge past `max_bytes`. Any exception from `chunks` leaves nothing."""
        ...

    def read(self, room: str, upload_id: str) -> AsyncIterator[bytes]:
        """The stored bytes, in chunks (FileNotFoundError when there are none)."""
        ...

    async def room_bytes(self, room: str, *, now: float) -> int:
        """Bytes the room's attachments take or have reserved (expired reservations count
        for nothing)."""
        ...

    async def delete_room(self, room: str) -> int:
        """Delete every attachment of the room; how many there were."""
        ...
