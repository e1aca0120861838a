"""This node's pub/sub link: one connection, the channels it should listen to, publications
handed on as they are parsed, and reconnection with backoff.

It is written on a `resp.Link` (redis-py opens the connection) rather than redis-py's PubSub
class because the broker must know exactly when a channel's subscription is confirmed (on
the first subscribe and again after every reconnect) to read the room's history at that
point: PubSub reconnects and re-subscribes silently. Publications are handled inside the
socket's read callback, without a task or an await per message (docs/decisions/0026); a
handler that must await (a confirmation's or a gap's history read) returns an awaitable,
and the link stops reading until it is done, so every later publication still comes after
it, in order.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from redis.asyncio.connection import AbstractConnection
from redis.exceptions import ResponseError

from app.adapters.redis.connection import CONNECTION_ERRORS
from app.adapters.redis.resp import Link, take_over
from app.ports import StoreUnavailable

log = logging.getLogger("parrotchat.redis.pubsub")

OnConfirmed = Callable[[bytes], Awaitable[None]]
# None when the publication was handled at once; else what must be awaited first.
OnPublication = Callable[[bytes, bytes], Awaitable[None] | None]

_PUBLICATIONS = (b"message", b"smessage")
_CONFIRMATIONS = (b"subscribe", b"ssubscribe", b"unsubscribe", b"sunsubscribe")


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


def _is_push(_reply: Any) -> bool:
    return True  # in subscribed mode every reply is handled in order by `_handle`


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
        self._link: Link | None = None
        self._task: asyncio.Task[None] | None = None
        self._waiting: asyncio.Task[None] | None = None  # a handler being awaited
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
            self._send(self._sub, channel, wanted)
        try:
            await asyncio.wait_for(wanted.confirmed.wait(), self._options.subscribe_timeout_s)
        except TimeoutError as exc:
            raise StoreUnavailable(f"subscribing to {channel!r} timed out") from exc

    async def unsubscribe(self, channel: bytes) -> None:
        if self._wanted.pop(channel, None) is not None:
            self._send(self._unsub, channel, None)

    def _send(self, command: str, channel: bytes, wanted: _Wanted | None) -> None:
        link = self._link
        if link is None or not link.open:
            return  # the reader subscribes every wanted channel when it reconnects
        self._expect.append((channel, wanted))
        link.send(command, channel)

    # --- the link ----------------------------------------------------------------------

    async def _run(self) -> None:
        failures = 0
        while True:
            link = Link(on_push=self._handle, is_push=_is_push)
            try:
                await take_over(self._connect(), link)
            except CONNECTION_ERRORS as exc:
                link.close()
                failures += 1
                log.warning("pub/sub link: cannot connect (%s); retrying", exc)
                await asyncio.sleep(self._backoff(failures))
                continue
            if failures:
                self.reconnects += 1
                log.info("pub/sub link back after %d failed attempts", failures)
            try:
                self._link = link
                self._expect.clear()
                for channel, wanted in list(self._wanted.items()):
                    self._send(self._sub, channel, wanted)
                self.connected.set()
                failures = 0
                reason = await self._watch(link)
                failures += 1
                if isinstance(reason, (*CONNECTION_ERRORS, LinkSilent, StoreUnavailable)):
                    # StoreUnavailable: a confirmation's history read failed; reconnecting
                    # confirms (and reads) again.
                    log.warning("pub/sub link lost (%s); reconnecting", reason)
                else:
                    # A bug in a handler must not end the node's only reader: start over,
                    # which re-reads every room's history.
                    log.error("pub/sub reader failed; reconnecting", exc_info=reason)
            finally:
                self.connected.clear()
                self._link = None
                waiting, self._waiting = self._waiting, None
                if waiting is not None:
                    waiting.cancel()
                for wanted in self._wanted.values():
                    wanted.confirmed.clear()
                link.close()
            await asyncio.sleep(self._backoff(failures))

    async def _watch(self, link: Link) -> BaseException:
        """Until the link is lost (its reason): a PING after a silent health interval, and
        LinkSilent when that is not answered either."""
        pinged = False
        while True:
            done, _ = await asyncio.wait({link.lost}, timeout=self._options.health_interval_s)
            if done:
                return link.lost.result()
            if link.active:
                link.active, pinged = False, False
            elif pinged:
                link.close(LinkSilent("no answer to PING on the pub/sub link"))
            else:
                link.send("PING")
                pinged = True

    def _backoff(self, failures: int) -> float:
        ceiling = min(self._options.backoff_max_s, self._options.backoff_min_s * 2**failures)
        return random.uniform(ceiling / 2, ceiling)

    # --- replies, in order (inside the link's read callback) -----------------------------

    def _handle(self, reply: object) -> None:
        if isinstance(reply, ResponseError):
            # A (un)subscribe Redis refused (NOPERM, CROSSSLOT...): it answers that command, so
            # it takes its place in the order; the subscribe waiting for it times out.
            expected, _ = self._expect.popleft() if self._expect else (None, None)
            log.warning("pub/sub command for %r refused: %s", expected, reply)
            return
        if not isinstance(reply, list) or not reply:
            return  # PONG outside subscribed mode
        kind = reply[0]
        if kind in _PUBLICATIONS:
            if reply[1] in self._wanted:
                self._await(self._on_publication(reply[1], reply[2]))
        elif kind in _CONFIRMATIONS:
            channel = reply[1]
            expected, wanted = self._expect.popleft() if self._expect else (None, None)
            if expected != channel:
                log.warning("pub/sub reply for %r, expected %r", channel, expected)
            if wanted is not None and self._wanted.get(channel) is wanted:
                self._await(self._confirm(channel, wanted))

    async def _confirm(self, channel: bytes, wanted: _Wanted) -> None:
        await self._on_confirmed(channel)
        wanted.confirmed.set()

    def _await(self, pending: Awaitable[None] | None) -> None:
        """Finish `pending` before reading on."""
        link = self._link
        if pending is None:
            return
        if link is None:  # pragma: no cover - handlers run only while a link reads
            if asyncio.iscoroutine(pending):
                pending.close()
            return
        link.pause()
        self._waiting = asyncio.ensure_future(pending)
        self._waiting.add_done_callback(lambda task: self._awaited(link, task))

    def _awaited(self, link: Link, task: asyncio.Future[None]) -> None:
        if self._waiting is task:
            self._waiting = None
        if task.cancelled():
            return
        exc = task.exception()
        if exc is not None:
            link.close(exc)
        else:
            link.resume()
