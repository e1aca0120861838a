"""The admission rules without a network: the pending cap and its eviction order, deadlines,
and the head guard never handing the parser more than the limit. A fake loop holds the
clock, so nothing here depends on timing."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any, cast

import pytest

from app.web.admission import EVICTABLE_AFTER_S, LOG_EVERY_S, Admission, AdmissionLimits
from app.web.http_admission import HeadGuard

LIMITS = AdmissionLimits(
    handshake_timeout_s=5.0, max_pending=3, max_header_bytes=100, max_headers=4
)


class FakeTimer:
    def __init__(self, when: float, callback: Callable[..., None], args: tuple[Any, ...]):
        self.when, self.callback, self.args, self.cancelled = when, callback, args, False

    def cancel(self) -> None:
        self.cancelled = True


class FakeLoop:
    def __init__(self) -> None:
        self.now = 0.0
        self.timers: list[FakeTimer] = []

    def time(self) -> float:
        return self.now

    def call_later(self, delay: float, callback: Callable[..., None], *args: Any) -> FakeTimer:
        timer = FakeTimer(self.now + delay, callback, args)
        self.timers.append(timer)
        return timer

    def advance(self, seconds: float) -> None:
        self.now += seconds
        for timer in sorted(self.timers, key=lambda t: t.when):
            if timer.when <= self.now and not timer.cancelled:
                timer.cancelled = True
                timer.callback(*timer.args)


class FakeTransport:
    def __init__(self) -> None:
        self.written = b""
        self.closing = False
        self.eof = False
        self.protocol: object = None

    def is_closing(self) -> bool:
        return self.closing

    def get_protocol(self) -> object:
        return self.protocol

    def write(self, data: bytes) -> None:
        self.written += data

    def can_write_eof(self) -> bool:
        return True

    def write_eof(self) -> None:
        self.eof = True

    def close(self) -> None:
        self.closing = True


def _loop(fake: FakeLoop) -> asyncio.AbstractEventLoop:
    return cast(asyncio.AbstractEventLoop, fake)


def _appender(seen: list[int], n: int) -> Callable[[], None]:
    return lambda: seen.append(n)


def test_over_the_cap_a_fresh_pool_refuses_the_newcomer() -> None:
    admission, loop = Admission(LIMITS), FakeLoop()
    expired: list[int] = []
    for n in range(3):
        assert admission.open(_loop(loop), n, None, _appender(expired, n)) is not None
    assert admission.open(_loop(loop), 3, None, lambda: expired.append(3)) is None
    assert (admission.pending, expired) == (3, [])


def test_over_the_cap_the_oldest_stalled_socket_makes_room() -> None:
    admission, loop = Admission(LIMITS), FakeLoop()
    expired: list[int] = []
    for n in range(3):
        admission.open(_loop(loop), n, None, _appender(expired, n))
        loop.advance(0.01)
    loop.advance(EVICTABLE_AFTER_S)
    assert admission.open(_loop(loop), 3, None, lambda: expired.append(3)) is not None
    assert (admission.pending, expired) == (3, [0])


def test_a_missed_deadline_expires_the_ticket_and_a_released_one_never_does() -> None:
    admission, loop = Admission(LIMITS), FakeLoop()
    expired: list[str] = []
    late = admission.open(_loop(loop), "late", None, lambda: expired.append("late"))
    done = admission.open(_loop(loop), "done", None, lambda: expired.append("done"))
    assert late is not None
    assert done is not None
    admission.release(done)
    loop.advance(LIMITS.handshake_timeout_s)
    assert (admission.pending, expired) == (0, ["late"])


def test_an_adopted_ticket_keeps_its_deadline_and_calls_the_new_owner() -> None:
    admission, loop = Admission(LIMITS), FakeLoop()
    calls: list[str] = []
    admission.open(_loop(loop), "t", "http", lambda: calls.append("http"))
    loop.advance(3)
    ticket = admission.adopt("t", "ws", lambda: calls.append("ws"))
    assert ticket is not None
    assert ticket.owner == "ws"
    loop.advance(2)
    assert calls == ["ws"]


def _guard(admission: Admission, fed: list[bytes]) -> tuple[HeadGuard, FakeTransport, FakeLoop]:
    owner = object()
    transport, loop = FakeTransport(), FakeLoop()
    transport.protocol = owner
    guard = HeadGuard(admission, owner, fed.append)
    guard.connection_made(cast(asyncio.Transport, transport), _loop(loop))
    return guard, transport, loop


def test_the_parser_never_gets_more_of_a_head_than_the_limit() -> None:
    fed: list[bytes] = []
    guard, transport, _ = _guard(Admission(LIMITS), fed)
    for _ in range(10):
        guard.data_received(b"x" * 30)
    assert sum(map(len, fed)) == LIMITS.max_header_bytes
    assert transport.written.startswith(b"HTTP/1.1 431 ")
    assert transport.eof  # half-closed, so the client can still read the answer


def test_after_the_head_the_body_is_not_counted_and_the_next_head_is() -> None:
    fed: list[bytes] = []
    guard, transport, _ = _guard(Admission(LIMITS), fed)
    guard.data_received(b"h" * 90)
    guard.head_complete()
    guard.data_received(b"b" * 1000)  # a body: the app's to bound
    guard.message_complete()
    guard.data_received(b"n" * 150)  # the next head, too long
    assert fed == [b"h" * 90, b"b" * 1000, b"n" * 100]
    assert transport.written.startswith(b"HTTP/1.1 431 ")


def test_a_socket_over_a_fresh_full_pool_is_answered_503_and_closed() -> None:
    admission = Admission(LIMITS)
    for _ in range(LIMITS.max_pending):
        _guard(admission, [])
    _, transport, _ = _guard(admission, [])
    assert transport.written.startswith(b"HTTP/1.1 503 ")
    assert transport.closing


def test_a_late_partial_head_gets_408_and_a_silent_socket_is_just_closed() -> None:
    admission = Admission(LIMITS)
    _, silent, silent_loop = _guard(admission, [])
    partial_guard, partial, partial_loop = _guard(admission, [])
    partial_guard.data_received(b"GET / HTTP/1.1\r\n")
    silent_loop.advance(LIMITS.handshake_timeout_s)
    partial_loop.advance(LIMITS.handshake_timeout_s)
    assert (silent.written, silent.closing) == (b"", True)
    assert partial.written.startswith(b"HTTP/1.1 408 ")
    assert partial.closing
    assert admission.pending == 0


def test_too_many_headers_is_answered_431_instead_of_uvicorns_400() -> None:
    guard, transport, _ = _guard(Admission(LIMITS), [])
    assert not guard.too_many_headers(LIMITS.max_headers)
    assert guard.too_many_headers(LIMITS.max_headers + 1)
    assert guard.answer_parse_error()
    assert b"431" in transport.written.split(b"\r\n")[0]
    assert b"too many header fields" in transport.written


def test_refusals_are_logged_as_one_summary_line_per_interval(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.WARNING, logger="parrotchat.admission")
    admission, loop = Admission(LIMITS), FakeLoop()
    loop.now = LOG_EVERY_S  # the first line is due at once
    for n in range(LIMITS.max_pending):
        admission.open(_loop(loop), n, None, lambda: None)
    for n in range(50):
        admission.open(_loop(loop), f"flood-{n}", None, lambda: None)
    assert len(caplog.records) == 1
    loop.now += LOG_EVERY_S
    admission.open(_loop(loop), "one more", None, lambda: None)  # evicts the oldest
    assert len(caplog.records) == 2
    # The first refusal went into the first line, the other 49 wait for the next one.
    assert "evicted 1, refused 49" in caplog.records[1].getMessage()
    assert all(r.exc_info is None for r in caplog.records)
