"""Connections: the one owner of a client connection's life on this node.

A transport (the WebSocket route, or a test's recording sink) hands its connection, a `Peer`,
to `Connections.run`, which admits it (the connection cap, the chat session, the Hub's index,
the metrics), runs its reader and writer until either ends, watches its two timers (the hello
deadline, 1008, and the idle timeout, `idle_timeout` then 4000), answers denials (closing the
connection when the code's row says so, or when the abuse budget is used up), and tears it
down once (leaving every room, the final `session closed` log line, the close metric). The
graceful drain goes through here too, so it never reaches into sessions itself. An
authenticated session is closed when its token expires (`auth_failed`, then 1008), on the same
one timer.

A little over ~300 lines on purpose: the timers belong with the life they end, and this module
is that life's one owner.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Callable, Coroutine, Iterable
from typing import Any, Protocol

from app.domain.codes import CloseCode, ErrorCode
from app.domain.errors import ChatError
from app.domain.events import Error
from app.ports import Metrics
from app.services.chat import ChatService
from app.services.hub import Frame, Hub, Sink

log = logging.getLogger("parrotchat.connections")
session_log = logging.getLogger("parrotchat.session")

RECONNECT_MIN_MS = 1_000
RECONNECT_SPREAD_MS = 4_000


class Peer(Sink, Protocol):
    """One client connection as the services see it: an outbox with a writer, and a close."""

    @property
    def id(self) -> str: ...

    @property
    def closing(self) -> bool:
        """True once a close has been queued (or the peer has gone)."""
        ...

    @property
    def depth(self) -> int:
        """Frames waiting in the outbox."""
        ...

    def close(
        self, code: CloseCode, reason: str | None = None, *, discard_input: bool = False
    ) -> None:
        """Queue a close after what is already queued; later offers are refused.
        `discard_input`: after the close, the client is no longer listened to."""
        ...

    def offer_before_close(self, frame: Frame) -> bool:
        """Queue a last frame ahead of a close that has not been written yet."""
        ...

    def stop_writing(self) -> None:
        """The client has gone: drop whatever is still being written."""
        ...

    async def wait_closed(self) -> None:
        """Return once our close has been written (or could not be)."""
        ...

    def summary(self) -> dict[str, object]:
        """Figures for the final log line (events in, frames out, drops, close code...)."""
        ...

    @property
    def final_close_code(self) -> int:
        """The close code the connection ended with (1006 when it ended without one)."""
        ...


class Connections:
    def __init__(
        self,
        *,
        chat: ChatService,
        hub: Hub,
        metrics: Metrics,
        max_connections: int,
        hello_timeout_s: float,
        idle_timeout_s: float,
    ) -> None:
        self._chat = chat
        self._hub = hub
        self._metrics = metrics
        self._max_connections = max_connections
        self._hello_timeout_s = hello_timeout_s
        self._idle_timeout_s = idle_timeout_s
        self._peers: dict[str, Peer] = {}
        self._timers: dict[str, _Timers] = {}
        self.draining = False
        # Set by the node (app/services/node.py): a client event found the store down.
        self.on_store_failure: Callable[[], None] = lambda: None
        metrics.watch_outboxes(self.outbox_depths)

    def __len__(self) -> int:
        return len(self._peers)

    def all(self) -> list[Peer]:
        return list(self._peers.values())

    def outbox_depths(self) -> list[int]:
        """Frames queued per open connection (read when metrics are collected)."""
        return [peer.depth for peer in self._peers.values()]

    # --- one connection's life ---------------------------------------------------------

    def open(self, peer: Peer) -> None:
        """Admit a connection: its chat session, its place in the Hub, the cap. Over the cap it
        is told `server_full` and closed (1013) after that frame."""
        self._chat.sessions.connect(peer.id)
        self._hub.attach(peer.id, peer)
        self._peers[peer.id] = peer
        self._metrics.connection_opened()
        if len(self._peers) > self._max_connections:
            self.deny(peer, ChatError(ErrorCode.SERVER_FULL, "the server is full; retry later"))

    async def run(self, peer: Peer, read: Callable[[], Coroutine[Any, Any, None]]) -> None:
        """Admit `peer`, run `read` (the inbound side) in this task until the client has gone,
        then tear it down. The peer writes what it is offered by itself (directly, or from a
        writer task that exists only while something is queued); when our close has been
        written, the transport reports the end to `read` as it does a client's close."""
        self.open(peer)
        loop = asyncio.get_running_loop()
        self._timers[peer.id] = _Timers(
            loop,
            hello_timeout_s=self._hello_timeout_s,
            idle_timeout_s=self._idle_timeout_s,
            hello_missed=lambda: self._hello_missed(peer),
            idle=lambda: self.deny(
                peer,
                ChatError(ErrorCode.IDLE_TIMEOUT, "closing an idle connection; reconnect to chat"),
            ),
            expired=lambda: self._token_expired(peer),
        )
        try:
            await read()
        finally:
            peer.stop_writing()
            await self.release(peer)

    def activity(self, peer: Peer) -> None:
        """A client event arrived (anything but `ping`): the idle timer starts again."""
        timers = self._timers.get(peer.id)
        if timers is not None:
            timers.last_activity = timers.loop.time()

    def deny(self, peer: Peer, denial: ChatError, ref: str | None = None) -> None:
        """Answer a refused event with an `error`, then close when the code's row says so; a
        connection that keeps getting denied is closed 1008."""
        if self._chat.sessions.deny(peer.id, denial, ref):
            # Whatever else this client has sent is not read, only discarded with the socket.
            peer.close(CloseCode.POLICY, "too many rejected events", discard_input=True)
        elif (close := denial.code.info.closes_with) is not None:
            peer.close(close)

    def refuse_while_draining(self, peer: Peer, ref: str | None) -> None:
        """`server_shutting_down`, even when the goodbye and close are already queued: the
        answer goes ahead of the close, so the client knows this event was not taken."""
        refusal = ChatError(ErrorCode.SERVER_SHUTTING_DOWN, "the server is shutting down")
        if peer.closing:
            answer = Error(code=refusal.code, reason=refusal.reason)
            peer.offer_before_close(self._hub.frame(answer, ref))
        else:
            self.deny(peer, refusal, ref)

    def store_unavailable(self, peer: Peer, ref: str | None) -> None:
        """The event needed the shared store and it failed: `service_unavailable` (not abuse;
        the event may or may not have taken effect), and the node is told (readiness)."""
        self.on_store_failure()
        denial = ChatError(
            ErrorCode.SERVICE_UNAVAILABLE, "the chat store is unavailable; try again shortly"
        )
        self.deny(peer, denial, ref)

    def send_away(self, conn_ids: Iterable[str], reason: str | None = None) -> int:
        """Close these connections 4009 (after what is queued) so that they come back and
        re-join with since/epoch: this node cannot vouch for what they were sent, or the
        store lost their memberships. Returns how many were open."""
        sent = 0
        for conn_id in conn_ids:
            peer = self._peers.get(conn_id)
            if peer is not None and not peer.closing:
                peer.close(CloseCode.RESYNC, reason)
                sent += 1
        return sent

    def token_expires_in(self, conn_id: str, seconds: float | None) -> None:
        """After a `hello`: an authenticated session ends when its token expires (the chat's
        sessions call this; wired in bootstrap.build)."""
        timers = self._timers.get(conn_id)
        if timers is not None:
            timers.expire_in(seconds)

    def _token_expired(self, peer: Peer) -> None:
        self.deny(peer, ChatError(ErrorCode.AUTH_FAILED, "token expired"))

    def _hello_missed(self, peer: Peer) -> None:
        session = self._chat.sessions.get(peer.id)
        if session is None or session.name is None:
            peer.close(CloseCode.POLICY, "no hello in time")

    async def release(self, peer: Peer) -> None:
        """Tear a connection down (idempotent): leave its rooms, log its one summary line,
        count its close."""
        timers = self._timers.pop(peer.id, None)
        if timers is not None:
            timers.cancel()
        if self._peers.get(peer.id) is not peer:
            return
        try:
            self._log_session_end(peer)
            await self._chat.membership.disconnect(peer.id)
        finally:
            del self._peers[peer.id]
            self._metrics.connection_closed(peer.final_close_code)

    def _log_session_end(self, peer: Peer) -> None:
        """The one summary line of a session (never raises: it runs in cleanup)."""
        try:
            session = self._chat.sessions.get(peer.id)
            session_log.info(
                "session closed",
                extra={
                    "user": session.name if session is not None else None,
                    "sub": session.sub if session is not None else None,
                    "rooms": sorted(session.rooms) if session is not None else [],
                    **peer.summary(),
                },
            )
        except Exception:
            session_log.exception("could not log the session summary")

    # --- the graceful drain ------------------------------------------------------------

    async def drain(self, *, timeout_s: float) -> None:
        """Stop taking work, deliver what was accepted, say goodbye, close 1001.

        Order per connection: frames already queued (so every message that was acknowledged
        is delivered), then `left{reason:"shutdown"}` for each room and `system
        {event:"server_shutdown", data:{reconnect_after_ms}}` with a jittered delay so that
        clients do not all come back at once, then close 1001."""
        self.draining = True
        peers = self.all()
        log.info("draining %d connections", len(peers))
        for peer in peers:
            delay_ms = RECONNECT_MIN_MS + random.randrange(RECONNECT_SPREAD_MS)
            self._chat.sessions.say_goodbye(peer.id, reconnect_after_ms=delay_ms)
            peer.close(CloseCode.GOING_AWAY)
        waits = [asyncio.ensure_future(peer.wait_closed()) for peer in peers]
        if waits:
            _done, pending = await asyncio.wait(waits, timeout=timeout_s)
            for waiter in pending:
                waiter.cancel()
            if pending:
                log.warning("%d connections did not finish draining in time", len(pending))


class _Timers:
    """The hello deadline, the idle timeout and the token's expiry of one connection, on one
    loop timer (always set for the nearest of them)."""

    def __init__(
        self,
        loop: asyncio.AbstractEventLoop,
        *,
        hello_timeout_s: float,
        idle_timeout_s: float,
        hello_missed: Callable[[], None],
        idle: Callable[[], None],
        expired: Callable[[], None],
    ) -> None:
        self.loop = loop
        self._idle_timeout_s = idle_timeout_s
        self._hello_missed: Callable[[], None] | None = hello_missed
        self._on_idle = idle
        self._on_expired = expired
        self._expires_at: float | None = None
        self.last_activity = started = loop.time()
        self._hello_at = started + hello_timeout_s
        self._timer = loop.call_at(min(self._hello_at, started + idle_timeout_s), self._check)

    def expire_in(self, seconds: float | None) -> None:
        """The session's token expires in `seconds` (None: it has no expiry any more)."""
        self._expires_at = None if seconds is None else self.loop.time() + max(seconds, 0.0)
        self._timer.cancel()
        self._check()

    def _check(self) -> None:
        now = self.loop.time()
        if self._hello_missed is not None and now >= self._hello_at:
            hello_missed, self._hello_missed = self._hello_missed, None
            hello_missed()
        if self._expires_at is not None and now >= self._expires_at:
            self._expires_at = None
            self._on_expired()
            return
        idle_at = self.last_activity + self._idle_timeout_s
        if now >= idle_at:
            self._on_idle()
            return
        due = min(
            at
            for at in (idle_at, self._hello_at if self._hello_missed else None, self._expires_at)
            if at is not None
        )
        self._timer = self.loop.call_at(due, self._check)

    def cancel(self) -> None:
        self._timer.cancel()
