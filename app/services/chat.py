"""ChatService: the use cases a connection drives (hello, join, leave, send, typing,
history, ping, disconnect) and the periodic sweep.

It applies the domain's policies, changes state through the ports, answers the caller
through the Hub and tells rooms through the Broker (even on one node, so a shared broker can
replace the in-memory one without touching this file). Denials are raised as ChatError; the
web edge turns them into `error` events.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

from app.domain.codes import ErrorCode
from app.domain.errors import ChatError
from app.domain.events import (
    SYSTEM_PREFIX,
    Banned,
    Envelope,
    Error,
    Eviction,
    HistoryPage,
    Joined,
    Kicked,
    LeaveReason,
    Left,
    Limits,
    MemberView,
    Pong,
    Presence,
    PresenceStatus,
    RecentView,
    RoomEvent,
    SystemEventKind,
    SystemNotice,
    Typing,
    Welcome,
    YouView,
)
from app.domain.history import Message
from app.domain.model import TYPING_TTL_S, Member, ceil_ms
from app.domain.policies.names import name_key, normalize_guest_name, normalize_room_name
from app.domain.policies.profanity import FilterResult
from app.domain.policies.rate_limit import JOIN_RULES, MESSAGE_RULES, AbuseBudget, RateLimiter
from app.domain.policies.text import normalize_message
from app.domain.timefmt import rfc3339
from app.ports import (
    Broker,
    Clock,
    HistoryStore,
    JoinOutcome,
    Metrics,
    RoomSnapshot,
    RoomStore,
)
from app.services.hub import Hub
from app.services.tracing import NULL_TRACER, Tracer, traced

log = logging.getLogger("parrotchat.chat")

MAX_REASON_CHARS = 200


class TextFilter(Protocol):
    def check(self, text: str) -> FilterResult:
        """Block the text, or return it with listed terms masked."""
        ...


@dataclass(frozen=True, slots=True)
class ChatLimits:
    """The limits the chat core enforces (built from Settings by the composition root)."""

    max_message_chars: int = 512
    history_size: int = 50
    max_room_members: int = 100
    max_rooms_per_connection: int = 10
    max_frame_bytes: int = 16384
    kick_cooldown_s: float = 3600.0
    message_rules: tuple[tuple[int, float], ...] = MESSAGE_RULES
    join_rules: tuple[tuple[int, float], ...] = JOIN_RULES

    def as_event(self) -> Limits:
        return Limits(
            max_message_chars=self.max_message_chars,
            history_size=self.history_size,
            max_room_members=self.max_room_members,
            max_rooms_per_connection=self.max_rooms_per_connection,
            max_frame_bytes=self.max_frame_bytes,
            typing_ttl_ms=int(TYPING_TTL_S * 1000),
        )


@dataclass(slots=True)
class Session:
    """One connection's chat state on this node, with its own limits."""

    conn_id: str
    message_limit: RateLimiter
    join_limit: RateLimiter
    name: str | None = None
    key: str | None = None
    rooms: set[str] = field(default_factory=set)
    abuse: AbuseBudget = field(default_factory=AbuseBudget)


def _system(
    kind: SystemEventKind, text: str, now: float, room: str | None, **data: object
) -> SystemNotice:
    return SystemNotice(event=kind, text=SYSTEM_PREFIX + text, ts=now, room=room, data=data)


class ChatService:
    def __init__(
        self,
        *,
        rooms: RoomStore,
        history: HistoryStore,
        broker: Broker,
        hub: Hub,
        clock: Clock,
        metrics: Metrics,
        limits: ChatLimits,
        render_html: Callable[[str], str],
        profanity: TextFilter,
        tracer: Tracer = NULL_TRACER,
    ) -> None:
        self._tracer = tracer
        self._rooms = rooms
        self._history = history
        self._broker = broker
        self._hub = hub
        self._clock = clock
        self._metrics = metrics
        self.limits = limits
        self._render_html = render_html
        self._profanity = profanity
        self._sessions: dict[str, Session] = {}
        hub.on_evicted = self._evicted

    # --- sessions ----------------------------------------------------------------------

    def connect(self, conn_id: str) -> Session:
        session = self._sessions[conn_id] = Session(
            conn_id=conn_id,
            message_limit=RateLimiter(self.limits.message_rules),
            join_limit=RateLimiter(self.limits.join_rules),
        )
        return session

    def session(self, conn_id: str) -> Session | None:
        return self._sessions.get(conn_id)

    @property
    def session_count(self) -> int:
        return len(self._sessions)

    def _named(self, conn_id: str) -> tuple[Session, str, str]:
        session = self._sessions.get(conn_id)
        if session is None or session.name is None or session.key is None:
            raise ChatError(ErrorCode.HELLO_REQUIRED, "send hello with your name first")
        return session, session.name, session.key

    def _in_room(self, conn_id: str, room: str) -> tuple[Session, str, str]:
        session, name, key = self._named(conn_id)
        if room not in session.rooms:
            raise ChatError(ErrorCode.NOT_IN_ROOM, "you are not in this room", room=room)
        return session, name, key

    async def _publish(self, event: RoomEvent, room: str, **routing: str | None) -> None:
        await self._broker.publish(
            Envelope(room=room, event=event, accepted_at=self._clock.monotonic(), **routing)
        )

    def deny(self, conn_id: str, denial: ChatError, ref: str | None = None) -> bool:
        """Answer a refused request with an `error` event. True when the connection has
        now used up its abuse budget (too many denials too fast) and should be closed."""
        self._metrics.error(denial.code.value)
        self._hub.send(
            conn_id,
            Error(
                code=denial.code,
                reason=denial.reason,
                room=denial.room,
                retry_after_ms=denial.retry_after_ms,
                details=denial.details,
            ),
            ref,
        )
        if not denial.code.info.counts_as_abuse:
            return False
        session = self._sessions.get(conn_id)
        return session is not None and session.abuse.record_denial(self._clock.monotonic())

    # --- use cases ---------------------------------------------------------------------

    async def hello(self, conn_id: str, name: str, ref: str | None = None) -> None:
        session = self._sessions.get(conn_id) or self.connect(conn_id)
        if session.rooms:
            raise ChatError(ErrorCode.RENAME_IN_ROOM, "leave every room before changing your name")
        display = normalize_guest_name(name)
        session.name, session.key = display, name_key(display)
        welcome = Welcome(
            connection_id=conn_id,
            name=display,
            limits=self.limits.as_event(),
            server_time=self._clock.now(),
        )
        self._hub.send(conn_id, welcome, ref)

    @traced("chat.join")
    async def join(
        self,
        conn_id: str,
        room_name: str,
        *,
        since: int | None = None,
        epoch: str | None = None,
        ref: str | None = None,
    ) -> None:
        session, name, key = self._named(conn_id)
        room = normalize_room_name(room_name)
        if room in session.rooms:
            raise ChatError(ErrorCode.ALREADY_IN_ROOM, "you are already in this room", room=room)
        if len(session.rooms) >= self.limits.max_rooms_per_connection:
            raise ChatError(
                ErrorCode.TOO_MANY_ROOMS,
                f"one connection may be in at most {self.limits.max_rooms_per_connection} rooms",
                room=room,
            )
        _check_rate(session.join_limit, self._clock.monotonic(), "joins", room)
        now = self._clock.now()
        member = Member(name=name, key=key, conn_id=conn_id, joined_at=now, last_active_at=now)
        # Subscribe before joining, so nothing published in between is missed.
        self._hub.subscribe(room, conn_id)
        try:
            outcome = await self._rooms.join(
                room, member, capacity=self.limits.max_room_members, now=now
            )
        except BaseException:
            self._hub.unsubscribe(room, conn_id)
            raise
        # Only an admitted join counts against the join rate limit.
        session.join_limit.try_acquire(self._clock.monotonic())
        session.rooms.add(room)
        try:
            await self._welcome_to_room(
                session, room, outcome, since=since, epoch=epoch, ref=ref, now=now
            )
        except BaseException:
            # Whatever failed after admission, leave no half-joined member behind.
            session.rooms.discard(room)
            self._hub.unsubscribe(room, conn_id)
            await self._rooms.leave(room, key, now=now)
            raise

    async def _welcome_to_room(
        self,
        session: Session,
        room: str,
        outcome: JoinOutcome,
        *,
        since: int | None,
        epoch: str | None,
        ref: str | None,
        now: float,
    ) -> None:
        conn_id, name = session.conn_id, session.name or ""
        snapshot = outcome.room
        if outcome.created:
            await self._history.drop(room)
        seq = await self._history.latest_seq(room)
        recovered_messages = (
            await self._history.since(room, since)
            if since is not None and epoch is not None and epoch == snapshot.epoch
            else None
        )
        recovered = recovered_messages is not None
        history = (
            recovered_messages
            if recovered_messages is not None
            else await self._history.latest(room, self.limits.history_size)
        )
        joined = Joined(
            room=room,
            epoch=snapshot.epoch,
            seq=seq,
            owner=snapshot.owner or name,
            you=YouView(name=name, owner=snapshot.owner == name),
            members=_member_views(snapshot),
            recent=[RecentView(name=d.name, last_seen=d.last_seen) for d in snapshot.recent],
            history=history,
            recovered=recovered,
        )
        self._tracer.annotate(room=room, members=len(snapshot.members), seq=seq)
        # Anything newer than the snapshot's seq that is already in `history` must not be
        # delivered again from the held events (possible with a shared store).
        newest = max([seq, *(m.seq for m in history[-1:])])
        self._hub.activate(room, conn_id, joined, ref, min_seq=newest)
        if outcome.created:
            self._metrics.rooms(await self._rooms.count())
            await self._publish(
                _system(
                    SystemEventKind.ROOM_CREATED, f"{name} created the room", now, room, owner=name
                ),
                room,
            )
        await self._publish(
            _system(SystemEventKind.MEMBER_JOINED, f"{name} joined", now, room, name=name), room
        )
        await self._publish(
            Presence(room=room, name=name, status=PresenceStatus.ONLINE, last_seen=now), room
        )

    async def leave(self, conn_id: str, room: str, ref: str | None = None) -> None:
        session, _name, _key = self._in_room(conn_id, room)
        self._hub.send(conn_id, Left(room=room, reason=LeaveReason.LEFT), ref)
        await self._depart(session, room)

    @traced("chat.send")
    async def send(self, conn_id: str, room: str, text: str, ref: str | None = None) -> None:
        session, name, key = self._in_room(conn_id, room)
        _check_rate(session.message_limit, self._clock.monotonic(), "messages", room)
        normalized = normalize_message(text, max_chars=self.limits.max_message_chars)
        verdict = self._profanity.check(normalized)
        if verdict.blocked:
            # The reason never repeats the term: echoing it would broadcast it to the sender.
            raise ChatError(
                ErrorCode.MESSAGE_BLOCKED,
                "your message contains a term that is not allowed here",
                room=room,
            )
        clean = verdict.text
        html = self._render_html(clean)
        now = self._clock.now()
        message_id = uuid.uuid4().hex

        def make(seq: int) -> Message:
            return Message(
                room=room, seq=seq, id=message_id, author=name, text=clean, html=html, ts=now
            )

        came_back = await self._rooms.touch(room, key, now=now, sent_message=True)
        if came_back:
            await self._announce_online(room, name, now)
        message = await self._history.append(room, make)
        # Only an accepted message counts against the rate limit; refused ones (empty, too
        # long, blocked) are the abuse budget's business.
        session.message_limit.try_acquire(self._clock.monotonic())
        self._metrics.message_in()
        self._tracer.annotate(room=room, seq=message.seq)
        await self._publish(message, room, reply_conn=conn_id, reply_ref=ref)

    async def typing(self, conn_id: str, room: str) -> None:
        _session, name, key = self._in_room(conn_id, room)
        now = self._clock.now()
        came_back = await self._rooms.touch(room, key, now=now)
        if came_back:
            await self._announce_online(room, name, now)
        if await self._rooms.typing(room, key, now=now):
            await self._publish(
                Typing(room=room, name=name, ttl_ms=int(TYPING_TTL_S * 1000)),
                room,
                exclude_conn=conn_id,
            )

    async def history(
        self,
        conn_id: str,
        room: str,
        *,
        before: int | None = None,
        limit: int | None = None,
        ref: str | None = None,
    ) -> None:
        self._in_room(conn_id, room)
        size = self.limits.history_size if limit is None else max(1, min(limit, 50))
        messages, has_more = await self._history.before(room, before, size)
        self._hub.send(conn_id, HistoryPage(room=room, messages=messages, has_more=has_more), ref)

    async def kick(self, conn_id: str, room: str, target: str, reason: str | None = None) -> None:
        await self._moderate(conn_id, room, target, reason, ban=False)

    async def ban(self, conn_id: str, room: str, target: str, reason: str | None = None) -> None:
        await self._moderate(conn_id, room, target, reason, ban=True)

    async def _moderate(
        self, conn_id: str, room: str, target: str, reason: str | None, *, ban: bool
    ) -> None:
        _session, name, key = self._in_room(conn_id, room)
        reason = self._clean_reason(reason, room)
        now = self._clock.now()
        cooldown_s = self.limits.kick_cooldown_s
        member, change = await self._rooms.evict(
            room, key, name_key(target), ban=ban, cooldown_s=cooldown_s, now=now
        )
        notice: Kicked | Banned = (
            Banned(room=room, by=name, reason=reason)
            if ban
            else Kicked(room=room, by=name, reason=reason, retry_after_ms=ceil_ms(cooldown_s))
        )
        leave_reason = LeaveReason.BANNED if ban else LeaveReason.KICKED
        await self._publish(
            Eviction(room=room, conn_id=member.conn_id, notice=notice, reason=leave_reason), room
        )
        kind = SystemEventKind.MEMBER_BANNED if ban else SystemEventKind.MEMBER_KICKED
        verb = "banned" if ban else "kicked"
        await self._publish(
            _system(
                kind, f"{member.name} was {verb} by {name}", now, room, name=member.name, by=name
            ),
            room,
        )
        await self._publish(
            Presence(
                room=room,
                name=member.name,
                status=PresenceStatus.OFFLINE,
                last_seen=change.departure.last_seen,
            ),
            room,
        )

    def _clean_reason(self, reason: str | None, room: str) -> str | None:
        """A moderation reason reaches the target like a message does: normalised, with
        control and bidi characters removed and the word lists applied."""
        if reason is None:
            return None
        try:
            text = normalize_message(reason, max_chars=MAX_REASON_CHARS)
        except ChatError as refused:
            if refused.code is ErrorCode.MESSAGE_EMPTY:
                return None
            raise
        verdict = self._profanity.check(text)
        if verdict.blocked:
            raise ChatError(
                ErrorCode.MESSAGE_BLOCKED,
                "the reason contains a term that is not allowed here",
                room=room,
            )
        return verdict.text

    def _evicted(self, conn_id: str, room: str) -> None:
        """The Hub removed this connection from `room` on the owner's order."""
        session = self._sessions.get(conn_id)
        if session is not None:
            session.rooms.discard(room)

    async def ping(self, conn_id: str, ref: str | None = None) -> None:
        self._hub.send(conn_id, Pong(server_time=self._clock.now()), ref)

    async def disconnect(self, conn_id: str) -> None:
        """The connection is gone: leave every room, forget the session. Idempotent."""
        session = self._sessions.pop(conn_id, None)
        try:
            if session is not None:
                for room in sorted(session.rooms):
                    try:
                        await self._depart(session, room)
                    except Exception:
                        # One room's failure must not keep the member in the others.
                        log.exception("leaving %s on disconnect failed", room)
        finally:
            self._hub.detach(conn_id)

    async def sweep(self) -> None:
        """Periodic housekeeping: expire typing, departures and cooldowns; mark members away."""
        now = self._clock.now()
        for change in await self._rooms.sweep(now=now):
            await self._publish(
                Presence(
                    room=change.room,
                    name=change.member.name,
                    status=PresenceStatus.AWAY,
                    last_seen=change.member.last_active_at,
                ),
                change.room,
            )

    # --- internals ---------------------------------------------------------------------

    async def _depart(self, session: Session, room: str) -> None:
        now = self._clock.now()
        session.rooms.discard(room)
        self._hub.unsubscribe(room, session.conn_id)
        if session.key is None:
            return
        change = await self._rooms.leave(room, session.key, now=now)
        if change is None:
            return
        if change.room_empty:
            await self._history.drop(room)
            self._metrics.rooms(await self._rooms.count())
            return
        name = change.departure.name
        await self._publish(
            _system(
                SystemEventKind.MEMBER_LEFT,
                f"{name} left",
                now,
                room,
                name=name,
                last_seen=rfc3339(now),
            ),
            room,
        )
        await self._publish(
            Presence(room=room, name=name, status=PresenceStatus.OFFLINE, last_seen=now), room
        )
        if change.new_owner is not None:
            await self._publish(
                _system(
                    SystemEventKind.OWNER_CHANGED,
                    f"{change.new_owner} now owns the room",
                    now,
                    room,
                    owner=change.new_owner,
                    previous=name,
                ),
                room,
            )

    async def _announce_online(self, room: str, name: str, now: float) -> None:
        await self._publish(
            Presence(room=room, name=name, status=PresenceStatus.ONLINE, last_seen=now), room
        )


def _check_rate(limiter: RateLimiter, now: float, what: str, room: str) -> None:
    """Refuse when the limiter would; the caller records the attempt once it succeeds."""
    wait_ms = limiter.retry_after_ms(now)
    if wait_ms > 0:
        raise ChatError(
            ErrorCode.RATE_LIMITED,
            f"too many {what}; try again in {wait_ms / 1000:.1f} s",
            room=room,
            retry_after_ms=wait_ms,
        )


def _member_views(snapshot: RoomSnapshot) -> list[MemberView]:
    owner = snapshot.owner
    return [
        MemberView(
            name=m.name,
            owner=m.name == owner,
            joined_at=m.joined_at,
            last_active_at=m.last_active_at,
        )
        for m in snapshot.members
    ]
