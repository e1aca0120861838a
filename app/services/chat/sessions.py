"""Sessions and denials: a connection's name, its limits, its abuse budget, and the answers that
concern the connection rather than a room (`welcome`, `pong`, `error`, the goodbye of a drain)."""

from __future__ import annotations

from collections.abc import Callable

from app.domain.codes import ErrorCode
from app.domain.errors import ChatError
from app.domain.events import Error, LeaveReason, Left, Pong, Welcome
from app.domain.notices import server_shutdown
from app.domain.policies.names import name_key, normalize_guest_name
from app.domain.policies.rate_limit import RateLimiter
from app.services.auth import Authenticator
from app.services.chat.context import ChatContext, Session


class Sessions:
    def __init__(self, ctx: ChatContext, auth: Authenticator | None = None) -> None:
        self._ctx = ctx
        self._auth = auth or Authenticator()
        # Set by Connections, the owner of timers: (conn_id, seconds until the session's
        # token expires, None when it has no expiry any more) after each `hello`.
        self.on_token_expiry: Callable[[str, float | None], None] = lambda _conn, _left: None

    def connect(self, conn_id: str) -> Session:
        limits = self._ctx.limits
        session = self._ctx.sessions[conn_id] = Session(
            conn_id=conn_id,
            message_limit=RateLimiter(limits.message_rules),
            join_limit=RateLimiter(limits.join_rules),
            event_limit=RateLimiter(limits.event_rules),
        )
        return session

    def count_event(self, conn_id: str) -> None:
        """One inbound frame, of any kind: RATE_LIMITED when the connection is over its event
        budget (each refusal feeds the abuse budget, so a flood ends in a 1008 close)."""
        session = self._ctx.sessions.get(conn_id)
        if session is None:
            return
        wait_ms = session.event_limit.try_acquire(self._ctx.clock.monotonic())
        if wait_ms is not None:
            raise ChatError(
                ErrorCode.RATE_LIMITED,
                f"too many events; try again in {wait_ms / 1000:.1f} s",
                retry_after_ms=wait_ms,
            )

    def get(self, conn_id: str) -> Session | None:
        return self._ctx.sessions.get(conn_id)

    def __len__(self) -> int:
        return len(self._ctx.sessions)

    def memberships(self) -> set[tuple[str, str]]:
        """(room, conn_id) of every room a connection on this node has been admitted to."""
        return {(room, s.conn_id) for s in self._ctx.sessions.values() for room in s.rooms}

    def joined_epoch(self, conn_id: str, room: str) -> str | None:
        """The room's epoch when this connection joined it (None: not in it, or joining)."""
        session = self._ctx.sessions.get(conn_id)
        return None if session is None else session.epochs.get(room)

    async def hello(
        self, conn_id: str, name: str, ref: str | None = None, *, token: str | None = None
    ) -> None:
        ctx = self._ctx
        session = ctx.sessions.get(conn_id) or self.connect(conn_id)
        if session.rooms:
            raise ChatError(ErrorCode.RENAME_IN_ROOM, "leave every room before changing your name")
        identity = self._auth.identify(token)
        if identity is not None and identity.name is not None:
            try:
                display = normalize_guest_name(identity.name)
            except ChatError as refused:
                raise ChatError(refused.code, f"the name in your token: {refused.reason}") from None
        else:
            display = normalize_guest_name(name)
        session.name, session.key = display, name_key(display)
        session.sub = identity.sub if identity is not None else None
        expires_at = identity.expires_at if identity is not None else None
        self.on_token_expiry(conn_id, None if expires_at is None else expires_at - ctx.clock.now())
        welcome = Welcome(
            connection_id=conn_id,
            name=display,
            limits=ctx.limits.as_event(),
            server_time=ctx.clock.now(),
            authenticated=identity is not None,
        )
        ctx.hub.send(conn_id, welcome, ref)

    async def ping(self, conn_id: str, ref: str | None = None) -> None:
        self._ctx.hub.send(conn_id, Pong(server_time=self._ctx.clock.now()), ref)

    def deny(self, conn_id: str, denial: ChatError, ref: str | None = None) -> bool:
        """Answer a refused request with an `error` event. True when the connection has
        now used up its abuse budget (too many denials too fast) and should be closed; denials
        whose code does not count as abuse (app/domain/codes.py) never use it up."""
        ctx = self._ctx
        ctx.metrics.error(denial.code.value)
        error = Error(
            code=denial.code,
            reason=denial.reason,
            room=denial.room,
            retry_after_ms=denial.retry_after_ms,
            details=denial.details,
        )
        ctx.hub.send(conn_id, error, ref)
        if not denial.code.info.counts_as_abuse:
            return False
        session = ctx.sessions.get(conn_id)
        return session is not None and session.abuse.record_denial(ctx.clock.monotonic())

    def say_goodbye(self, conn_id: str, *, reconnect_after_ms: int) -> None:
        """The drain's last words to one connection: `left{reason:"shutdown"}` for each of its
        rooms, then `system{event:"server_shutdown"}` with when to come back."""
        ctx = self._ctx
        session = ctx.sessions.get(conn_id)
        for room in sorted(session.rooms if session else ()):
            ctx.hub.send(conn_id, Left(room=room, reason=LeaveReason.SHUTDOWN))
        ctx.hub.send(conn_id, server_shutdown(ctx.clock.now(), reconnect_after_ms))
