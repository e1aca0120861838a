"""Broker on Redis pub/sub: one channel per room, a node subscribed to the rooms it has
members in, messages numbered, kept and published by one script, and gaps repaired from
history (docs/decisions/0015).

Per subscribed room the broker remembers the room's epoch and the newest seq it delivered.
A message that is not the next one is handled before delivery: an older or repeated seq is
dropped; a jump is filled from history first; when the missing messages are no longer kept,
or the room was re-created, `on_gap` is told (app.ports.Gap). When a channel's subscription
is confirmed (first time, and after every reconnect) the broker reads the room's history:
the first time that fixes where delivery starts, later it fills what the outage lost.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from redis.asyncio import Redis
from redis.asyncio.connection import AbstractConnection

from app.adapters.redis import codec
from app.adapters.redis.codec import number
from app.adapters.redis.history import RedisHistoryStore
from app.adapters.redis.keys import Keys, listing_member
from app.adapters.redis.resp import CommandLink
from app.adapters.redis.scripts import Scripts
from app.adapters.redis.subscriber import LinkOptions, Subscriber
from app.domain import refusals
from app.domain.events import Envelope
from app.domain.history import History, Message, MessageDraft
from app.ports import Clock, Deliver, Gap, GapReason, OnGap

log = logging.getLogger("parrotchat.redis.broker")


@dataclass(slots=True)
class _Room:
    refs: int = 0
    epoch: str | None = None
    last_seq: int | None = None  # None until the subscription is confirmed


@dataclass(slots=True)
class BrokerCounters:
    published: int = 0
    received: int = 0
    duplicates: int = 0
    repaired: int = 0
    gaps: int = 0


class RedisBroker:
    def __init__(
        self,
        client: Redis,
        scripts: Scripts,
        keys: Keys,
        history: RedisHistoryStore,
        *,
        clock: Clock,
        connect_pubsub: Callable[[], AbstractConnection],
        commands: CommandLink,
        link: LinkOptions | None = None,
    ) -> None:
        self._client = client
        self._scripts = scripts
        self._keys = keys
        self._history = history
        self._clock = clock
        # The publish script runs on a connection of its own (resp.CommandLink), not through
        # redis-py's client: it is the one round trip every message makes.
        self._commands = commands
        self._publish_sha = scripts.sha("publish")
        self._publish_source = scripts.source_of("publish")
        link = link or LinkOptions()
        self._publish_command = "SPUBLISH" if link.sharded else "PUBLISH"
        self._subscriber = Subscriber(
            connect_pubsub, link, on_confirmed=self._confirmed, on_publication=self._received
        )
        self._rooms: dict[str, _Room] = {}
        self._channels: dict[bytes, str] = {}
        self._deliver: Deliver | None = None
        self._on_gap: OnGap | None = None
        self.counters = BrokerCounters()

    @property
    def reconnects(self) -> int:
        return self._subscriber.reconnects

    def _wall_offset(self) -> float:
        return self._clock.now() - self._clock.monotonic()

    async def start(self, deliver: Deliver, on_gap: OnGap | None = None) -> None:
        self._deliver, self._on_gap = deliver, on_gap
        self._subscriber.start()
        # Opened now rather than on the first message, like the client's pool: a node keeps
        # publishing on the connection it has while new ones cannot log in.
        await self._commands.connect()

    async def close(self) -> None:
        await self._subscriber.close()
        self._commands.close()
        self._deliver = None

    # --- publishing ------------------------------------------------------------------

    async def publish(self, envelope: Envelope) -> None:
        data = codec.encode_envelope(envelope, wall_offset=self._wall_offset())
        channel = self._keys.channel(envelope.room)
        with self._scripts.round_trip("publish_event"):
            if self._publish_command == "SPUBLISH":
                await self._client.spublish(channel, data)
            else:
                await self._client.publish(channel, data)
        self.counters.published += 1

    async def publish_message(
        self,
        draft: MessageDraft,
        *,
        reply_conn: str | None,
        reply_ref: str | None,
        accepted_at: float,
        author_key: str | None = None,
    ) -> Message:
        room = draft.room
        wall_offset = self._wall_offset()
        head = codec.message_head(
            room,
            reply_conn=reply_conn,
            reply_ref=reply_ref,
            accepted_wall=accepted_at + wall_offset if accepted_at else 0.0,
        )
        # Published by the script only if the author was away (presence before message).
        online = "" if author_key is None else codec.presence_online(room, draft.author, draft.ts)
        args = (
            self._scripts.prefix,
            room,
            self._history.size,
            head,
            codec.message_tail(draft),
            self._keys.channel(room),
            self._publish_command,
            author_key or "",
            number(draft.ts),
            listing_member(room, draft.ts),
            online,
        )
        with self._scripts.round_trip("publish"):
            seq = await self._commands.evalsha(self._publish_sha, self._publish_source, args)
        if seq is None:
            raise refusals.not_in_room(room)
        self.counters.published += 1
        return draft.numbered(int(seq))

    # --- subscriptions ---------------------------------------------------------------

    async def subscribe(self, room: str) -> None:
        state = self._rooms.get(room)
        if state is None:
            state = self._rooms[room] = _Room()
            channel = self._keys.channel(room).encode()
            self._channels[channel] = room
        state.refs += 1
        try:
            await self._subscriber.subscribe(self._keys.channel(room).encode())
        except BaseException:
            await self.unsubscribe(room)
            raise

    async def unsubscribe(self, room: str) -> None:
        state = self._rooms.get(room)
        if state is None:
            return
        state.refs -= 1
        if state.refs > 0:
            return
        del self._rooms[room]
        channel = self._keys.channel(room).encode()
        self._channels.pop(channel, None)
        await self._subscriber.unsubscribe(channel)

    # --- receiving (on the reader task) -------------------------------------------------

    async def _confirmed(self, channel: bytes) -> None:
        room = self._channels.get(channel)
        state = None if room is None else self._rooms.get(room)
        if room is None or state is None:
            return
        epoch, history = await self._history.read(room)
        if state.last_seq is None:
            state.epoch, state.last_seq = epoch, history.seq
            return
        self._catch_up(room, state, epoch, history, before=None)

    def _received(self, channel: bytes, data: bytes) -> Awaitable[None] | None:
        """Hand a publication on at once (inside the link's read callback), or return what
        must be awaited first: the history read that fills a jump in seq."""
        room = self._channels.get(channel)
        state = None if room is None else self._rooms.get(room)
        if room is None or state is None or state.last_seq is None:
            return None
        try:
            received = codec.decode_envelope(data, wall_offset=self._wall_offset())
        except codec.CodecError:
            log.exception("dropped a publication on %s that this version cannot read", room)
            return None
        self.counters.received += 1
        envelope, event = received.envelope, received.envelope.event
        if isinstance(event, Message):
            if received.epoch is not None and received.epoch != state.epoch:
                if state.epoch is not None:
                    self._gap(room, state.last_seq, GapReason.RECREATED, received.epoch)
                    state.last_seq = event.seq - 1
                state.epoch = received.epoch
            if event.seq <= state.last_seq:
                self.counters.duplicates += 1
                return None
            if event.seq > state.last_seq + 1:
                return self._fill_then_hand_on(room, state, envelope, event.seq)
            state.last_seq = event.seq
        self._hand_on(envelope)
        return None

    async def _fill_then_hand_on(
        self, room: str, state: _Room, envelope: Envelope, seq: int
    ) -> None:
        epoch, history = await self._history.read(room)
        self._catch_up(room, state, epoch, history, before=seq)
        assert state.last_seq is not None
        if seq <= state.last_seq:
            return
        state.last_seq = seq
        self._hand_on(envelope)

    def _catch_up(
        self, room: str, state: _Room, epoch: str | None, history: History, *, before: int | None
    ) -> None:
        """Deliver what `history` has after state.last_seq (and below `before`), or report
        the gap when it no longer has it."""
        assert state.last_seq is not None
        if state.epoch is not None and epoch != state.epoch:
            self._gap(room, state.last_seq, GapReason.RECREATED, epoch)
            state.epoch, state.last_seq = epoch, history.seq
            return
        state.epoch = epoch
        missing = history.since(state.last_seq)
        if missing is None:
            self._gap(room, state.last_seq, GapReason.TRIMMED, epoch)
            state.last_seq = history.seq if before is None else before - 1
            return
        for message in missing:
            if before is not None and message.seq >= before:
                break
            self.counters.repaired += 1
            state.last_seq = message.seq
            self._hand_on(Envelope(room=room, event=message))

    def _gap(self, room: str, after_seq: int, reason: GapReason, epoch: str | None) -> None:
        self.counters.gaps += 1
        log.warning("room %s: messages after seq %d missed (%s)", room, after_seq, reason)
        if self._on_gap is not None:
            try:
                self._on_gap(Gap(room=room, after_seq=after_seq, reason=reason, epoch=epoch))
            except Exception:
                log.exception("the gap handler failed")

    def _hand_on(self, envelope: Envelope) -> None:
        if self._deliver is None:
            return
        try:
            self._deliver(envelope)
        except Exception:
            # One failing delivery must not stop the node's only reader.
            log.exception("delivering an event of %s failed", envelope.room)
