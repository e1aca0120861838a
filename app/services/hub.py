"""The Hub: this node's room → connection index, and the one place frames are fanned out.

The Broker hands every published Envelope to `deliver` on every node. The Hub encodes the
event once, then puts the same string into each local member's outbox without awaiting
anything (docs/architecture.md, hot-path rule 1). A member who is still joining gets a pending
subscription: room events are held back until its `joined` reply has been queued, so the
reply always comes first and no message between the snapshot and the subscription is lost or
repeated (messages at or below the snapshot's seq are skipped).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

from app.domain.events import Envelope, Eviction, Left, Presence, ServerEvent, Typing
from app.domain.history import Message
from app.ports import NULL_TRACER, Tracer


class Frame:
    """One encoded event, shared by every recipient of a broadcast: its JSON text, and the
    bytes a transport made of it the first time it needed them (a WebSocket frame), so that
    the framing too happens once per broadcast rather than once per recipient."""

    __slots__ = ("text", "wire")

    def __init__(self, text: str) -> None:
        self.text = text
        self.wire: bytes | None = None


class Sink(Protocol):
    """A connection's outbox, as the Hub sees it."""

    def offer(self, frame: Frame, *, droppable: bool = False, accepted_at: float = 0.0) -> bool:
        """Write the frame now or queue it, without waiting; False when it was neither.
        `accepted_at` (the monotonic time a room message was accepted, 0 for anything else)
        lets the writer measure the broadcast latency of a frame that had to wait."""
        ...

    def give_up(self) -> None:
        """This connection cannot be kept in order: drop what it has queued and close it as
        a slow consumer (4008), counted."""
        ...


class Encoder(Protocol):
    def __call__(self, event: ServerEvent, ref: str | None = None) -> str:
        """The event as one JSON text frame; `ref` is added to direct replies."""
        ...


class OutMetrics(Protocol):
    def messages_out(self, count: int) -> None: ...

    def broadcast_latency(self, seconds: float) -> None: ...


@dataclass(slots=True)
class _Subscription:
    sink: Sink | None
    min_seq: int = 0
    # Events held while the member is joining; None once its `joined` is out.
    pending: list[Envelope] | None = field(default_factory=list)


def _is_droppable(event: object) -> bool:
    return isinstance(event, Typing | Presence)


class Hub:
    def __init__(
        self,
        encode: Encoder,
        metrics: OutMetrics,
        monotonic: Callable[[], float],
        tracer: Tracer = NULL_TRACER,
        *,
        max_pending: int = 256,
    ) -> None:
        self._encode = encode
        self._metrics = metrics
        # The clock that stamped Envelope.accepted_at (the Clock port's monotonic).
        self._monotonic = monotonic
        self._max_pending = max_pending
        self._tracer = tracer
        self._sinks: dict[str, Sink] = {}
        self._rooms: dict[str, dict[str, _Subscription]] = {}
        self._rooms_of: dict[str, set[str]] = {}
        self.on_evicted: Callable[[str, str], None] = lambda _conn_id, _room: None

    # --- connections -------------------------------------------------------------------

    def attach(self, conn_id: str, sink: Sink) -> None:
        self._sinks[conn_id] = sink

    def detach(self, conn_id: str) -> None:
        self._sinks.pop(conn_id, None)
        for room in list(self._rooms_of.get(conn_id, ())):
            self.unsubscribe(room, conn_id)
        self._rooms_of.pop(conn_id, None)

    def send(self, conn_id: str, event: ServerEvent, ref: str | None = None) -> bool:
        """A direct reply or notice to one local connection."""
        sink = self._sinks.get(conn_id)
        if sink is None:
            return False
        return sink.offer(Frame(self._encode(event, ref)), droppable=_is_droppable(event))

    def frame(self, event: ServerEvent, ref: str | None = None) -> Frame:
        """The event as the frame `send` would offer (for a frame queued out of turn)."""
        return Frame(self._encode(event, ref))

    # --- rooms -------------------------------------------------------------------------

    def subscribe(self, room: str, conn_id: str) -> None:
        """Start holding room events for a connection that is joining."""
        self._rooms.setdefault(room, {})[conn_id] = _Subscription(self._sinks.get(conn_id))
        self._rooms_of.setdefault(conn_id, set()).add(room)

    def activate(
        self, room: str, conn_id: str, first: ServerEvent, ref: str | None, *, min_seq: int
    ) -> None:
        """Send `first` (the joined reply), then what was held back, then live events."""
        subscription = self._rooms.get(room, {}).get(conn_id)
        if subscription is None:
            return
        held = subscription.pending or []
        subscription.pending = None
        subscription.min_seq = min_seq
        self.send(conn_id, first, ref)
        for envelope in held:
            if not isinstance(envelope.event, Eviction):
                self._fan_out(envelope, {conn_id: subscription})

    def unsubscribe(self, room: str, conn_id: str) -> None:
        self._rooms_of.get(conn_id, set()).discard(room)
        subs = self._rooms.get(room)
        if subs is None:
            return
        subs.pop(conn_id, None)
        if not subs:
            del self._rooms[room]

    def local_members(self, room: str) -> list[str]:
        return list(self._rooms.get(room, {}))

    def memberships(self) -> set[tuple[str, str]]:
        """(room, conn_id) of every subscription on this node, joins in progress included."""
        return {(room, conn_id) for room, subs in self._rooms.items() for conn_id in subs}

    # --- fan-out -----------------------------------------------------------------------

    def deliver(self, envelope: Envelope) -> None:
        """Fan a published room event out to this node's members of the room."""
        subs = self._rooms.get(envelope.room)
        if not subs:
            return
        if isinstance(envelope.event, Eviction):
            self._evict(envelope.event)
            return
        event = envelope.event
        attributes: dict[str, str | int] = {"room": envelope.room, "members": len(subs)}
        if isinstance(event, Message):
            attributes["seq"] = event.seq
        with self._tracer.span("chat.broadcast", attributes):
            self._fan_out(envelope, subs)

    def _fan_out(self, envelope: Envelope, subs: dict[str, _Subscription]) -> None:
        event = envelope.event
        frame = Frame(self._encode(event))
        reply_conn = envelope.reply_conn
        reply_frame = (
            Frame(self._encode(event, envelope.reply_ref))
            if reply_conn in subs and envelope.reply_ref is not None
            else frame
        )
        exclude = envelope.exclude_conn
        if not isinstance(event, Message):
            droppable = _is_droppable(event)
            for conn_id, subscription in subs.items():
                if subscription.pending is not None:
                    self._hold(subscription, envelope)
                elif conn_id != exclude and (sink := subscription.sink) is not None:
                    sink.offer(frame, droppable=droppable)
            return
        # Offers never change the room's subscriptions, so `subs` is iterated as it is.
        seq, accepted_at, delivered = event.seq, envelope.accepted_at, 0
        for conn_id, subscription in subs.items():
            if subscription.pending is not None:
                self._hold(subscription, envelope)
            elif (
                conn_id != exclude
                and seq > subscription.min_seq
                and (sink := subscription.sink) is not None
                and sink.offer(
                    reply_frame if conn_id == reply_conn else frame, accepted_at=accepted_at
                )
            ):
                delivered += 1
        if delivered:
            self._metrics.messages_out(delivered)
            # Once per broadcast: by now every local member has the frame written to its
            # transport or queued behind its backlog (a queued frame is timed again when it
            # is written, app/web/connection.py).
            self._metrics.broadcast_latency(self._monotonic() - accepted_at)

    def _hold(self, subscription: _Subscription, envelope: Envelope) -> None:
        """Keep an event for a member still joining, up to the size of an outbox: a member
        that cannot be caught up in order is given up on, as a slow consumer would be."""
        pending = subscription.pending
        assert pending is not None
        if len(pending) < self._max_pending:
            pending.append(envelope)
        elif subscription.sink is not None:
            subscription.sink.give_up()
            subscription.sink = None

    def _evict(self, eviction: Eviction) -> None:
        if eviction.conn_id not in self._rooms.get(eviction.room, {}):
            return
        self.unsubscribe(eviction.room, eviction.conn_id)
        self.send(eviction.conn_id, eviction.notice)
        self.send(eviction.conn_id, Left(room=eviction.room, reason=eviction.reason))
        self.on_evicted(eviction.conn_id, eviction.room)
