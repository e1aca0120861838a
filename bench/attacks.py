"""Issue 10's attacks 1-3 as the issue ran them: a fresh server with default settings, one
attacker on 127.0.0.1, the figures printed (and written to bench/results/attacks.json).
Bounded: 1,000 sockets at most, 64 MB of pings at most, about a minute in all.

    uv run python bench/attacks.py                    # all of them
    uv run python bench/attacks.py --only flood       # slowloris, rest, headers or flood
"""

from __future__ import annotations

import argparse
import asyncio
import json
import socket
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.support.client import connected
from tests.support.probes import (
    HALF_OPEN_REST,
    HALF_OPEN_UPGRADE,
    exchange,
    half_open,
    many_headers,
    peak_rss_kib,
    ping_flood,
    request_with_headers,
    reset_peak_rss,
    rss_kib,
)
from tests.support.raw import RawPeer, established_on_port
from tests.support.server import RunningServer, start_server

RESULTS = Path(__file__).resolve().parent / "results"
SOCKETS = 1000
WAIT_S = 15.0


async def _real_client_chats(server: RunningServer, room: str) -> str:
    try:
        async with asyncio.timeout(5):
            alice = await connected(server.ws_url, "Alice", room)
            bob = await connected(server.ws_url, "Bob", room)
            await alice.send(type="send", room=room, text="hi")
            await bob.expect("message")
            await alice.close()
            await bob.close()
        return "chats"
    except Exception as error:  # what a real client meets is the figure here
        return f"fails: {type(error).__name__}: {error}"[:120]


async def half_open_attack(head: bytes, label: str) -> dict[str, Any]:
    server = start_server()
    try:
        stalled: list[socket.socket] = []
        refused = 0
        for _ in range(SOCKETS):
            try:
                stalled.append(half_open(server.port, head))
            except OSError:
                refused += 1
        await asyncio.sleep(1.0)
        open_at_1s = established_on_port(server.port)
        client_at_1s = await _real_client_chats(server, f"{label}-1")
        await asyncio.sleep(WAIT_S - 1.0)
        open_at_15s = established_on_port(server.port)
        for sock in stalled:
            sock.close()
        return {
            "sockets": SOCKETS,
            "connect_refused": refused,
            "server_sockets_open_after_1s": open_at_1s,
            "real_client_after_1s": client_at_1s,
            "server_sockets_open_after_15s": open_at_15s,
        }
    finally:
        server.stop()


async def header_attack() -> dict[str, Any]:
    server = start_server()
    try:
        before = reset_peak_rss(server.process.pid)
        answers = {}
        for label, request in (
            ("1 MB header", request_with_headers([("X-Big", "a" * 1_048_576)])),
            ("32 MB header", request_with_headers([("X-Big", "a" * 32 * 1_048_576)])),
            ("20,000 headers", request_with_headers(many_headers(20_000))),
        ):
            outcome = await asyncio.to_thread(exchange, server.port, request, 30.0)
            answers[label] = outcome.status
        return {
            "answers": answers,
            "rss_growth_mb": round((rss_kib(server.process.pid) - before) / 1024, 1),
            "peak_rss_growth_mb": round((peak_rss_kib(server.process.pid) - before) / 1024, 1),
        }
    finally:
        server.stop()


async def flood_attack() -> dict[str, Any]:
    server = start_server()
    try:
        flooder = RawPeer(server.port, recv_buffer=4096)
        flooder.send_json(type="hello", name="Flooder")
        await asyncio.sleep(0.3)
        before = reset_peak_rss(server.process.pid)
        started = time.monotonic()
        result = await asyncio.to_thread(
            ping_flood,
            flooder.sock,
            max_bytes=64 * 1024 * 1024,
            max_seconds=30,
            stop_when_blocked_s=10,
        )
        grown = rss_kib(server.process.pid) - before
        peak_grown = peak_rss_kib(server.process.pid) - before
        flooder.close()
        return {
            "sent_mb": round(result.sent / 1_048_576, 1),
            "ended": result.ended,
            "seconds": round(time.monotonic() - started, 1),
            "rss_growth_mb": round(grown / 1024, 1),
            "peak_rss_growth_mb": round(peak_grown / 1024, 1),
        }
    finally:
        server.stop()


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--only", choices=["slowloris", "rest", "headers", "flood"])
    parser.add_argument("--out", default="attacks.json", help="file name under bench/results")
    args = parser.parse_args()
    runs = {
        "slowloris": lambda: half_open_attack(HALF_OPEN_UPGRADE, "slowloris"),
        "rest": lambda: half_open_attack(HALF_OPEN_REST, "rest"),
        "headers": header_attack,
        "flood": flood_attack,
    }
    results = {}
    for name, run in runs.items():
        if args.only in (None, name):
            results[name] = await run()
            print(name, json.dumps(results[name]), flush=True)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / args.out).write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    asyncio.run(main())
