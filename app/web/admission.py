"""Sockets that have not finished their handshake: a deadline for each, and a cap on them all.

A socket is *pending* from the moment it is accepted (or a kept-alive connection becomes
ready for its next request) until its request head is complete, or, for a WebSocket, until
the 101 (or a refusal) is written. That is the window in which the application knows nothing
of it, so nothing else would ever time it out or count it: uvicorn's `timeout_keep_alive`
stops at the first byte, and `limit_concurrency` is checked only once a head is complete.

The pending sockets are kept in arrival order. Over the cap, the oldest one gives up its slot
to the newcomer (treated as if its deadline had passed) unless it arrived less than
`EVICTABLE_AFTER_S` ago, in which case the newcomer is refused (503) at once. A real client's
head arrives right behind its TCP handshake and its 101 follows within milliseconds, while a
slowloris socket holds on until its deadline: so a pool full of stalled sockets does not
lock real clients out (an attacker would have to open `max_pending` sockets every
`EVICTABLE_AFTER_S` to do that), and a sudden burst of sockets is turned away rather than
allowed to push out the ones that came first.

The HTTP protocols (app/web/http_admission.py) open the tickets; the WebSocket protocol
(app/web/transport.py) adopts the ticket of the socket it takes over.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass
from http import HTTPStatus

log = logging.getLogger("parrotchat.admission")

# A pending socket older than this (or a quarter of a shorter deadline) may be evicted for
# a newcomer.
EVICTABLE_AFTER_S = 0.25
# After refusing a head that is too large, keep reading (and discarding) for this long so the
# client, still sending, can read the answer instead of losing it to a reset.
LINGER_S = 1.0
# Refusals and expiries are logged as one summary line at most this often.
LOG_EVERY_S = 10.0


@dataclass(frozen=True, slots=True)
class AdmissionLimits:
    handshake_timeout_s: float
    max_pending: int
    max_header_bytes: int
    max_headers: int


class Ticket:
    """One pending socket: its deadline, and what to do when it passes (set by whichever
    protocol object currently owns the socket)."""

    __slots__ = ("key", "on_expire", "owner", "since", "timer")

    def __init__(self, key: object, owner: object, on_expire: Callable[[], None], since: float):
        self.key = key
        self.owner = owner
        self.on_expire = on_expire
        self.since = since
        self.timer: asyncio.TimerHandle | None = None


class Admission:
    """The pending sockets of one server (shared by all its protocol objects)."""

    def __init__(self, limits: AdmissionLimits) -> None:
        self.limits = limits
        self._pending: dict[object, Ticket] = {}
        self._evictable_after_s = min(EVICTABLE_AFTER_S, limits.handshake_timeout_s / 4)
        self._tally: dict[str, int] = {}
        self._logged_at = 0.0

    @property
    def pending(self) -> int:
        return len(self._pending)

    def open(
        self,
        loop: asyncio.AbstractEventLoop,
        key: object,
        owner: object,
        on_expire: Callable[[], None],
    ) -> Ticket | None:
        """Start the deadline for `key` (the transport); None: refuse it, the server is full."""
        now = loop.time()
        if len(self._pending) >= self.limits.max_pending:
            oldest = next(iter(self._pending.values()))
            if now - oldest.since < self._evictable_after_s:
                self.note(loop, "refused")
                return None
            self.note(loop, "evicted")
            self._expire(oldest)
        ticket = Ticket(key, owner, on_expire, now)
        timeout = self.limits.handshake_timeout_s
        ticket.timer = loop.call_later(timeout, self._deadline, loop, ticket)
        self._pending[key] = ticket
        return ticket

    def adopt(self, key: object, owner: object, on_expire: Callable[[], None]) -> Ticket | None:
        """The WebSocket protocol takes over `key` after the upgrade, deadline and all."""
        ticket = self._pending.get(key)
        if ticket is not None:
            ticket.owner = owner
            ticket.on_expire = on_expire
        return ticket

    def release(self, ticket: Ticket) -> None:
        """The handshake is over (or the socket is gone); idempotent."""
        if self._pending.get(ticket.key) is ticket:
            del self._pending[ticket.key]
        if ticket.timer is not None:
            ticket.timer.cancel()
            ticket.timer = None

    def note(self, loop: asyncio.AbstractEventLoop, what: str) -> None:
        """Count a refusal or an expiry; log the counts at most every LOG_EVERY_S (an attack
        would otherwise write a line per socket)."""
        self._tally[what] = self._tally.get(what, 0) + 1
        now = loop.time()
        if now - self._logged_at >= LOG_EVERY_S:
            self._logged_at = now
            counts = ", ".join(f"{name} {count}" for name, count in sorted(self._tally.items()))
            log.warning(
                "sockets refused or cut off before their handshake finished: %s (pending now %d)",
                counts,
                len(self._pending),
            )
            self._tally.clear()

    def _deadline(self, loop: asyncio.AbstractEventLoop, ticket: Ticket) -> None:
        # Noted by the owner, which knows whether it was a stalled head or only an idle
        # kept-alive connection (not worth a line).
        self._expire(ticket)

    def _expire(self, ticket: Ticket) -> None:
        self.release(ticket)
        ticket.on_expire()


def http_refusal(status: HTTPStatus, text: str) -> bytes:
    """A whole HTTP/1.1 response that ends the connection, written straight to the transport
    (the parser may be in an error state, or may not have seen a request at all)."""
    body = (text + "\n").encode("ascii")
    return (
        f"HTTP/1.1 {status.value} {status.phrase}\r\n"
        "content-type: text/plain; charset=utf-8\r\n"
        f"content-length: {len(body)}\r\n"
        "connection: close\r\n\r\n"
    ).encode("ascii") + body
