"""ChatService: the use cases a connection drives (hello, join, leave, send, typing, history,
kick, ban, ping, disconnect) and the periodic sweep, behind one face for the web edge.

It applies the domain's policies, changes state through the ports, answers the caller through
the Hub and tells rooms through the Broker (even on one node, so a shared broker can replace the
in-memory one without touching this package). Denials are raised as ChatError; the caller turns
them into `error` events with `deny`. The work is split by concern: sessions.py (names, limits,
denials), membership.py (join, leave, presence), messaging.py (send, typing, history) and
moderation.py (kick, ban).
"""

from __future__ import annotations

from collections.abc import Callable

from app.domain.errors import ChatError
from app.ports import NULL_TRACER, Broker, Clock, HistoryStore, Metrics, RoomStore, Tracer
from app.services.chat.context import ChatContext, ChatLimits, Session, TextFilter
from app.services.chat.membership import Membership
from app.services.chat.messaging import Messaging
from app.services.chat.moderation import Moderation
from app.services.chat.sessions import Sessions
from app.services.hub import Hub


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
        ctx = ChatContext(
            rooms=rooms,
            history=history,
            broker=broker,
            hub=hub,
            clock=clock,
            metrics=metrics,
            limits=limits,
            tracer=tracer,
        )
        self.limits = limits
        self._sessions = Sessions(ctx)
        self._membership = Membership(ctx)
        self._messaging = Messaging(ctx, render_html=render_html, profanity=profanity)
        self._moderation = Moderation(ctx, profanity=profanity)

    # --- sessions ----------------------------------------------------------------------

    def connect(self, conn_id: str) -> Session:
        return self._sessions.connect(conn_id)

    def session(self, conn_id: str) -> Session | None:
        return self._sessions.get(conn_id)

    @property
    def session_count(self) -> int:
        return len(self._sessions)

    def deny(self, conn_id: str, denial: ChatError, ref: str | None = None) -> bool:
        """Send the `error`; True when the connection used up its abuse budget."""
        return self._sessions.deny(conn_id, denial, ref)

    def say_goodbye(self, conn_id: str, *, reconnect_after_ms: int) -> None:
        self._sessions.say_goodbye(conn_id, reconnect_after_ms=reconnect_after_ms)

    async def hello(self, conn_id: str, name: str, ref: str | None = None) -> None:
        await self._sessions.hello(conn_id, name, ref)

    async def ping(self, conn_id: str, ref: str | None = None) -> None:
        await self._sessions.ping(conn_id, ref)

    # --- rooms -------------------------------------------------------------------------

    async def join(
        self,
        conn_id: str,
        room: str,
        *,
        since: int | None = None,
        epoch: str | None = None,
        ref: str | None = None,
    ) -> None:
        await self._membership.join(conn_id, room, since=since, epoch=epoch, ref=ref)

    async def leave(self, conn_id: str, room: str, ref: str | None = None) -> None:
        await self._membership.leave(conn_id, room, ref)

    def forget_room(self, conn_id: str, room: str) -> None:
        self._membership.forget_room(conn_id, room)

    async def disconnect(self, conn_id: str) -> None:
        await self._membership.disconnect(conn_id)

    async def sweep(self) -> None:
        await self._membership.sweep()

    # --- messages ----------------------------------------------------------------------

    async def send(self, conn_id: str, room: str, text: str, ref: str | None = None) -> None:
        await self._messaging.send(conn_id, room, text, ref)

    async def typing(self, conn_id: str, room: str) -> None:
        await self._messaging.typing(conn_id, room)

    async def history(
        self,
        conn_id: str,
        room: str,
        *,
        before: int | None = None,
        limit: int | None = None,
        ref: str | None = None,
    ) -> None:
        await self._messaging.history(conn_id, room, before=before, limit=limit, ref=ref)

    # --- moderation --------------------------------------------------------------------

    async def kick(self, conn_id: str, room: str, target: str, reason: str | None = None) -> None:
        await self._moderation.evict(conn_id, room, target, reason, ban=False)

    async def ban(self, conn_id: str, room: str, target: str, reason: str | None = None) -> None:
        await self._moderation.evict(conn_id, room, target, reason, ban=True)
