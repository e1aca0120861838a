"""This node's pub/sub link: one connection, the channels it should listen to, a reader
task that hands publications on, and reconnection with backoff.

It is written on redis-py's Connection rather than its PubSub class because the broker
must know exactly when a channel's subscription is confirmed (on the first subscribe and
again after every reconnect) to read the room's history at that point: PubSub reconnects
and re-subscribes silently.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from redis.asyncio.connection import AbstractConnection

from app.adapters.redis.connection import CONNECTION_ERRORS
from app.ports import StoreUnavailable

log = logging.getLogger("parrotchat.redis.pubsub")

OnConfirmed = Callable[[bytes], Awaitable[None]]
OnPublication = Callable[[bytes, bytes], Awaitable[None]]


class LinkSilent(Exception):
    """Redis answered neither publications nor a PING for a health interval."""


@dataclass(eq=False, slots=True)
class _Wanted:
    """One generation of a channel's subscription (a channel dropped and wanted again is a
    new generation, so a late confirmation of the old one is not taken for the new)."""

    confirmed: asyncio.Event = field(default_factory=asyncio.Event)


@dataclass(frozen=True, slots=True)
class LinkOptions:
    sharded: bool = False
    health_interval_s: float = 5.0
    backoff_min_s: float = 0.05
    backoff_max_s: float = 2.0
    subscribe_timeout_s: float = 5.0


class Subscriber:
    def __init__(
        self,
        connect: Callable[[], AbstractConnection],
        options: LinkOptions,
        *,
        on_confirmed: OnConfirmed,
        on_publication: OnPublication,
    ) -> None:
        self._connect = connect
        self._options = options
        self._on_confirmed = on_confirmed
        self._on_publication = on_publication
        sub, unsub = (
            ("SSUBSCRIBE", "SUNSUBSCRIBE") if options.sharded else ("SUBSCRIBE", "UNSUBSCRIBE")
        )
        self._sub, self._unsub = sub, unsub
        self._wanted: dict[bytes, _Wanted] = {}
        # Replies to (un)subscribe commands come in the order the commands were sent.
        self._expect: deque[tuple[bytes, _Wanted | None]] = deque()
        self._conn: AbstractConnection | None = None
        self._task: asyncio.Task[None] | None = None
        self.reconnects = 0
        self.connected = asyncio.Event()

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._run(), name="redis-pubsub")

    async def close(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)

    async def subscribe(self, channel: bytes) -> None:
        """Listen to `channel`; returns once Redis confirmed it and on_confirmed ran."""
        wanted = self._wanted.get(channel)
        if wanted is None:
            wanted = self._wanted[channel] = _Wanted()
            await self._send(self._sub, channel, wanted)
        try:
            await asyncio.wait_for(wanted.confirmed.wait(), self._options.subscribe_timeout_s)
        except TimeoutError as exc:
            raise StoreUnavailable(f"subscribing to {channel!r} timed out") from exc

    async def unsubscribe(self, channel: bytes) -> None:
        if self._wanted.pop(channel, None) is not None:
            await self._send(self._unsub, channel, None)

    async def _send(self, command: str, channel: bytes, wanted: _Wanted | None) -> None:
        conn = self._conn
        if conn is None:
            return  # the reader subscribes every wanted channel when it reconnects
        self._expect.append((channel, wanted))
        try:
            await conn.send_command(command, channel, check_health=False)
        except CONNECTION_ERRORS:
            log.info("pub/sub link lost while sending %s; the reader reconnects", command)

    # --- the reader ------------------------------------------------------------------

    async def _run(self) -> None:
        failures = 0
        while True:
            conn = self._connect()
            try:
                await conn.connect()  # type: ignore[no-untyped-call]  # redis-py leaves it unannotated
            except CONNECTION_ERRORS as exc:
                failures += 1
                log.warning("pub/sub link: cannot connect (%s); retrying", exc)
                await asyncio.sleep(self._backoff(failures))
                continue
            if failures:
                self.reconnects += 1
                log.info("pub/sub link back after %d failed attempts", failures)
            try:
                self._conn = conn
                self._expect.clear()
                for channel, wanted in list(self._wanted.items()):
                    await self._send(self._sub, channel, wanted)
                self.connected.set()
                failures = 0
                await self._read(conn)
            except (*CONNECTION_ERRORS, LinkSilent, StoreUnavailable) as exc:
                # StoreUnavailable: a confirmation's history read failed; reconnecting
                # confirms (and reads) again.
                failures += 1
                log.warning("pub/sub link lost (%s); reconnecting", exc)
            except Exception:
                # A bug in a handler must not end the node's only reader: start over, which
                # re-reads every room's history.
                failures += 1
                log.exception("pub/sub reader failed; reconnecting")
            finally:
                self.connected.clear()
                self._conn = None
                for wanted in self._wanted.values():
                    wanted.confirmed.clear()
                await conn.disconnect(nowait=True)
            await asyncio.sleep(self._backoff(failures))

    def _backoff(self, failures: int) -> float:
        ceiling = min(self._options.backoff_max_s, self._options.backoff_min_s * 2**failures)
        return random.uniform(ceiling / 2, ceiling)

    async def _read(self, conn: AbstractConnection) -> None:
        pinged = False
        while True:
            reply = await conn.read_response(
                timeout=self._options.health_interval_s, disconnect_on_error=False
            )
            if reply is None:
                if pinged:
                    raise LinkSilent("no answer to PING on the pub/sub link")
                await conn.send_command("PING", check_health=False)
                pinged = True
                continue
            pinged = False
            await self._handle(reply)

    async def _handle(self, reply: object) -> None:
        if not isinstance(reply, list) or not reply:
            return  # PONG outside subscribed mode
        kind = reply[0]
        if kind in (b"message", b"smessage"):
            if reply[1] in self._wanted:
                await self._on_publication(reply[1], reply[2])
        elif kind in (b"subscribe", b"ssubscribe", b"unsubscribe", b"sunsubscribe"):
            channel = reply[1]
            expected, wanted = self._expect.popleft() if self._expect else (None, None)
            if expected != channel:
                log.warning("pub/sub reply for %r, expected %r", channel, expected)
            if wanted is not None and self._wanted.get(channel) is wanted:
                await self._on_confirmed(channel)
                wanted.confirmed.set()
