"""Admission before the app (issue 10, attacks 1 and 2), under both HTTP parsers uvicorn can
run: a deadline for the request head and the upgrade, a cap on sockets still in their
handshake, and limits on the head's size and header count."""

from __future__ import annotations

import asyncio
import socket
import time
from collections.abc import Iterator

import pytest

from tests.support.client import connected
from tests.support.probes import (
    HALF_OPEN_REST,
    HALF_OPEN_UPGRADE,
    exchange,
    half_open,
    many_headers,
    peak_rss_kib,
    read_outcome,
    request_with_headers,
    reset_peak_rss,
    wait_until,
)
from tests.support.raw import established_on_port
from tests.support.server import RunningServer, start_server

HANDSHAKE_S = 2.0
PENDING_CAP = 40
STALLED = 200
MAX_HEADERS = 100
# The deadline is checked by a loop timer; the close and /proc/net/tcp catching up with it
# take a little longer on a busy machine.
SLACK_S = 1.5


@pytest.fixture(scope="module", params=["httptools", "h11"])
def guarded(request: pytest.FixtureRequest) -> Iterator[RunningServer]:
    server = start_server(
        {
            "PARROT_HTTP_IMPL": request.param,
            "PARROT_HANDSHAKE_TIMEOUT_S": str(HANDSHAKE_S),
            "PARROT_MAX_PENDING_HANDSHAKES": str(PENDING_CAP),
            "PARROT_MAX_HEADER_BYTES": "16384",
            "PARROT_MAX_HEADERS": str(MAX_HEADERS),
        }
    )
    yield server
    server.stop()


def _close_all(sockets: list[socket.socket]) -> None:
    for sock in sockets:
        sock.close()


async def test_half_open_upgrades_are_cut_off_while_real_clients_still_chat(
    guarded: RunningServer, room: str
) -> None:
    port = guarded.port
    assert established_on_port(port) == 0
    started = time.monotonic()
    stalled = [half_open(port, HALF_OPEN_UPGRADE) for _ in range(STALLED)]
    try:
        # Over the cap, newcomers are refused at once: the server holds at most the cap.
        assert wait_until(lambda: established_on_port(port) <= PENDING_CAP, 2.0)
        # Once the stalled ones have waited a while, a real client takes the oldest one's
        # slot and gets through (its handshake takes milliseconds), and chats.
        await asyncio.sleep(HANDSHAKE_S / 2)
        alice = await connected(guarded.ws_url, "Alice", room)
        bob = await connected(guarded.ws_url, "Bob", room)
        assert time.monotonic() - started < HANDSHAKE_S, "the real clients came too late"
        await alice.send(type="send", room=room, text="still here")
        assert (await bob.expect("message"))["text"] == "still here"
        # Every stalled socket is gone by the deadline: only the two chatting ones remain.
        left_s = HANDSHAKE_S + SLACK_S - (time.monotonic() - started)
        assert wait_until(lambda: established_on_port(port) == 2, left_s), (
            f"{established_on_port(port)} sockets still open"
        )
        outcomes = [read_outcome(sock, 0.5) for sock in stalled]
        assert all(o.closed for o in outcomes)
        # 503 for those refused on arrival, 408 for those cut off by the deadline or making
        # room for a newer socket.
        statuses = {o.status for o in outcomes}
        assert statuses <= {408, 503}, statuses
        await alice.close()
        await bob.close()
    finally:
        _close_all(stalled)


def test_a_rest_head_that_never_ends_gets_408_within_the_deadline(guarded: RunningServer) -> None:
    started = time.monotonic()
    sock = half_open(guarded.port, HALF_OPEN_REST)
    with sock:
        outcome = read_outcome(sock, HANDSHAKE_S + 5)
    assert outcome.closed
    assert outcome.status == 408
    assert b"\r\n\r\n" in outcome.received
    assert time.monotonic() - started < HANDSHAKE_S + SLACK_S


def test_the_next_request_on_a_kept_alive_connection_gets_the_same_deadline(
    guarded: RunningServer,
) -> None:
    with socket.create_connection(("127.0.0.1", guarded.port), timeout=5) as sock:
        sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        first = b""
        while not first.endswith(b"}"):
            first += sock.recv(4096)
        assert first.startswith(b"HTTP/1.1 200")
        started = time.monotonic()
        sock.sendall(HALF_OPEN_REST)
        outcome = read_outcome(sock, HANDSHAKE_S + 5)
    assert (outcome.status, outcome.closed) == (408, True)
    assert time.monotonic() - started < HANDSHAKE_S + SLACK_S


def test_a_head_that_arrives_slowly_but_in_time_is_served(guarded: RunningServer) -> None:
    with socket.create_connection(("127.0.0.1", guarded.port), timeout=5) as sock:
        sock.sendall(b"GET /healthz HTTP/1.1\r\n")
        time.sleep(HANDSHAKE_S / 4)
        sock.sendall(b"Host: 127.0.0.1\r\n")
        time.sleep(HANDSHAKE_S / 4)
        sock.sendall(b"\r\n")
        sock.settimeout(5)
        assert sock.recv(4096).startswith(b"HTTP/1.1 200")


def test_oversized_heads_get_431_and_cost_no_memory(guarded: RunningServer) -> None:
    port = guarded.port
    before = reset_peak_rss(guarded.process.pid)
    one_mb = exchange(port, request_with_headers([("X-Big", "a" * 1_048_576)]))
    thirty_two_mb = exchange(port, request_with_headers([("X-Big", "a" * 32 * 1_048_576)]))
    twenty_thousand = exchange(port, request_with_headers(many_headers(20_000)))
    big_upgrade = exchange(
        port,
        HALF_OPEN_UPGRADE + b"Connection: Upgrade\r\nX-Big: " + b"a" * 1_048_576 + b"\r\n\r\n",
    )
    peak_growth_kib = peak_rss_kib(guarded.process.pid) - before
    for outcome in (one_mb, thirty_two_mb, twenty_thousand, big_upgrade):
        assert outcome.status == 431, outcome.received[:200]
        assert outcome.closed
    # Not even for a moment: the head is not buffered past the limit.
    assert peak_growth_kib < 4096, f"RSS peaked {peak_growth_kib} KiB above where it started"


def test_the_header_count_is_limited_below_the_size_limit(guarded: RunningServer) -> None:
    # Host, Connection and 98 more are exactly the limit; one more is refused, though the
    # whole head is only ~1 KB.
    at_limit = exchange(guarded.port, request_with_headers(many_headers(MAX_HEADERS - 2)))
    over = exchange(guarded.port, request_with_headers(many_headers(MAX_HEADERS - 1)))
    assert at_limit.status == 200
    assert (over.status, over.closed) == (431, True)
    assert b"too many header fields" in over.received
