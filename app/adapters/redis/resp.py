"""The hot path's Redis links: one connection each, replies parsed by hiredis straight from
the socket's callback, no task, stream or pool per command (docs/decisions/0026).

redis-py opens the connection (address, AUTH, TLS, CLIENT SETNAME, RESP2: the same
connection class as everywhere else), then `take_over` moves its transport to a `Link`
protocol. A `Link` writes commands as they come (concurrent callers pipeline on the one
connection) and answers them in order from `data_received`; replies that are no answer to a
command (publications on a pub/sub link) go to `on_push`. `CommandLink` is the publish
script's connection: it opens on first use, evaluates a script by its SHA (loading it again
on NOSCRIPT) and fails every pending call when Redis stalls past the command timeout or the
connection drops. Nothing is retried: a script that may have run is never run again.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import Callable
from typing import Any, cast

import hiredis
from redis.asyncio.connection import AbstractConnection
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import ResponseError
from redis.exceptions import TimeoutError as RedisTimeoutError

from app.adapters.redis.connection import CONNECTION_ERRORS

log = logging.getLogger("parrotchat.redis.link")

Push = Callable[[Any], None]


class Link(asyncio.Protocol):
    """A connection's replies, in order: each answers the oldest pending command, unless
    `is_push` says it is a publication (handed to `on_push`). `pause` stops parsing (and
    reading) until `resume`, so a handler that must await keeps later replies in order."""

    def __init__(self, on_push: Push | None = None, is_push: Callable[[Any], bool] | None = None):
        self._reader = hiredis.Reader(replyError=ResponseError)
        self._pending: deque[tuple[asyncio.Future[Any], float]] = deque()
        self._on_push = on_push
        self._is_push = is_push
        self._transport: asyncio.Transport | None = None
        self._paused = False
        self._timer: asyncio.TimerHandle | None = None
        # The stream writer redis-py opened: held, since dropping it closes the transport.
        self._writer: asyncio.StreamWriter | None = None
        self._loop = asyncio.get_running_loop()
        self.lost: asyncio.Future[BaseException] = self._loop.create_future()
        self.active = False  # set by every read; the health check clears it

    # --- asyncio.Protocol --------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # uvloop's transports are not asyncio.Transport subclasses, but have its methods.
        self._transport = cast(asyncio.Transport, transport)

    def data_received(self, data: bytes) -> None:
        self.active = True
        self._reader.feed(data)
        self._parse()

    def connection_lost(self, exc: Exception | None) -> None:
        self._fail(RedisConnectionError(f"Redis closed the connection ({exc or 'EOF'})"))

    # --- use -----------------------------------------------------------------------------

    @property
    def open(self) -> bool:
        return not self.lost.done()

    def send(self, *args: str | bytes | int) -> None:
        """Write a command whose reply is not awaited (SUBSCRIBE, PING on a pub/sub link)."""
        if self._transport is not None and self.open:
            self._transport.write(hiredis.pack_command(args))  # type: ignore[arg-type]  # the stub types a 1-tuple

    def call(self, args: tuple[str | bytes | int, ...], timeout_s: float) -> asyncio.Future[Any]:
        """Write a command; the future gets its reply (a ResponseError instance for an
        error reply), or the connection's failure."""
        loop = self._loop
        future: asyncio.Future[Any] = loop.create_future()
        if self._transport is None or not self.open:
            future.set_exception(RedisConnectionError("the Redis connection is closed"))
            return future
        self._transport.write(hiredis.pack_command(args))  # type: ignore[arg-type]  # the stub types a 1-tuple
        self._pending.append((future, loop.time() + timeout_s))
        if self._timer is None:
            self._timer = loop.call_at(self._pending[0][1], self._check_deadline)
        return future

    def pause(self) -> None:
        self._paused = True
        if self._transport is not None:
            self._transport.pause_reading()

    def resume(self) -> None:
        self._paused = False
        if self._transport is not None and self.open:
            self._transport.resume_reading()
            self._parse()

    def close(self, reason: BaseException | None = None) -> None:
        """Drop the connection now; pending calls fail with `reason`."""
        self._fail(reason or RedisConnectionError("the Redis connection was closed"))
        if self._transport is not None:
            self._transport.abort()

    # --- inside ------------------------------------------------------------------------

    def _parse(self) -> None:
        reader, pending = self._reader, self._pending
        try:
            while not self._paused and (reply := reader.gets()) is not False:
                if self._is_push is not None and self._is_push(reply):
                    assert self._on_push is not None
                    self._on_push(reply)
                elif pending:
                    future, _ = pending.popleft()
                    if not future.done():
                        future.set_result(reply)
                else:
                    log.warning("a Redis reply nobody asked for: %r", reply)
        except Exception as exc:
            # A protocol error or a failing handler: this connection cannot be trusted to
            # stay in order any more (the owner reconnects).
            log.exception("Redis link failed while reading")
            self.close(exc)

    def _check_deadline(self) -> None:
        self._timer = None
        if not self._pending:
            return
        loop = self._loop
        deadline = self._pending[0][1]
        if loop.time() >= deadline:
            self.close(RedisTimeoutError("Redis did not answer within the command timeout"))
        else:
            self._timer = loop.call_at(deadline, self._check_deadline)

    def _fail(self, exc: BaseException) -> None:
        if not self.lost.done():
            self.lost.set_result(exc)
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        while self._pending:
            future, _ = self._pending.popleft()
            if not future.done():
                future.set_exception(exc)


async def take_over(conn: AbstractConnection, link: Link) -> Link:
    """Connect `conn` (redis-py does the handshake), then let `link` read its socket."""
    await conn.connect()  # type: ignore[no-untyped-call]  # redis-py leaves it unannotated
    writer = conn._writer  # redis-py 8.1 (pinned) keeps its stream here
    reader = conn._reader
    if writer is None or reader is None:  # pragma: no cover - connect() sets both or raises
        raise RedisConnectionError("redis-py connected without a stream")
    # Empty after the handshake's replies; handed on if not.
    leftover = bytes(reader._buffer)  # type: ignore[attr-defined]  # StreamReader's own buffer
    transport = writer.transport
    # The connection object must not close the transport it no longer owns.
    conn._writer = conn._reader = None
    link._writer = writer  # kept alive: its finaliser closes the transport
    transport.set_protocol(link)
    link.connection_made(transport)
    if leftover:
        link.data_received(leftover)
    if transport.is_closing():
        link.connection_lost(None)
    return link


class CommandLink:
    """The connection the publish script runs on (one per node, pipelined)."""

    def __init__(self, connect: Callable[[], AbstractConnection], *, timeout_s: float) -> None:
        self._connect = connect
        self._timeout_s = timeout_s
        self._link: Link | None = None
        self._opening: asyncio.Task[Link] | None = None

    async def _open(self) -> Link:
        if self._opening is None:
            self._opening = asyncio.get_running_loop().create_task(self._dial())
        try:
            return await asyncio.shield(self._opening)
        finally:
            if self._opening is not None and self._opening.done():
                self._opening = None

    async def _dial(self) -> Link:
        async with asyncio.timeout(self._timeout_s):
            link = await take_over(self._connect(), Link())
        self._link = link
        return link

    async def connect(self) -> None:
        """Open the connection now; a failure is logged (the next call tries again)."""
        try:
            await self._open()
        except CONNECTION_ERRORS as exc:
            log.warning("cannot open the publish connection yet (%s)", exc)

    async def call(self, *args: str | bytes | int) -> Any:
        link = self._link
        if link is None or not link.open:
            link = await self._open()
        reply = await link.call(args, self._timeout_s)
        if isinstance(reply, ResponseError):
            raise reply
        return reply

    async def evalsha(self, sha: str, source: str, args: tuple[str | int, ...]) -> Any:
        """EVALSHA with no keys; EVAL of `source` when Redis no longer has the script (it
        did not run then, so running it now is not running it twice)."""
        try:
            return await self.call("EVALSHA", sha, 0, *args)
        except ResponseError as exc:
            if not str(exc).startswith("NOSCRIPT"):
                raise
        return await self.call("EVAL", source, 0, *args)

    def close(self) -> None:
        if self._opening is not None:
            self._opening.cancel()
            self._opening = None
        if self._link is not None:
            self._link.close()
            self._link = None
