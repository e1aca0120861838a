"""Inbound backpressure (issue 10, attack 3): a peer that writes pings and never reads its
pongs is no longer read once its outbound buffer is full, and is closed as a slow consumer
(4008) when it stays full; the server's memory does not follow the flood."""

from __future__ import annotations

import asyncio
import time

import httpx

from tests.support.client import connected
from tests.support.metrics import sample
from tests.support.probes import peak_rss_kib, ping_flood, reset_peak_rss, wait_until
from tests.support.raw import RawPeer, established_on_port
from tests.support.server import start_server

FLOOD_BYTES = 64 * 1024 * 1024
STALL_S = 1.0


async def test_a_ping_flood_is_paused_then_closed_4008_while_others_chat(room: str) -> None:
    server = start_server(
        {
            "PARROT_SEND_TIMEOUT_S": str(STALL_S),
            # Neither the keepalive nor the hello deadline may be what ends the flood.
            "PARROT_PING_INTERVAL_S": "120",
            "PARROT_HELLO_TIMEOUT_S": "120",
            "PARROT_RATE_MESSAGES": "1000/1",
        }
    )
    try:
        alice = await connected(server.ws_url, "Alice", room)
        bob = await connected(server.ws_url, "Bob", room)
        flooder = RawPeer(server.port, recv_buffer=4096)
        assert flooder.status == 101
        flooder.send_json(type="hello", name="Flooder")
        await asyncio.sleep(0.3)
        before = reset_peak_rss(server.process.pid)
        flood = asyncio.create_task(
            asyncio.to_thread(
                ping_flood,
                flooder.sock,
                max_bytes=FLOOD_BYTES,
                max_seconds=20,
                stop_when_blocked_s=STALL_S * 5,
            )
        )
        delays: list[float] = []
        while not flood.done():
            sent_at = time.monotonic()
            await alice.send(type="send", room=room, text=f"during the flood {len(delays)}")
            await bob.expect("message", text=f"during the flood {len(delays)}", timeout=5)
            delays.append(time.monotonic() - sent_at)
            await asyncio.sleep(0.05)
        result = await flood
        grown_kib = peak_rss_kib(server.process.pid) - before

        assert result.ended == "closed", result
        assert result.sent < FLOOD_BYTES / 4, result  # it stopped being read long before
        assert grown_kib <= 8 * 1024, f"server RSS peaked {grown_kib} KiB above its start"
        assert delays
        assert max(delays) < 2.0, max(delays)
        async with httpx.AsyncClient() as http:
            metrics = (await http.get(f"{server.http_url}/metrics")).text
        assert sample(metrics, "parrotchat_closes_total", code="4008") == 1
        assert sample(metrics, "parrotchat_dropped_msgs_total", reason="slow_consumer") >= 1
        assert wait_until(lambda: established_on_port(server.port) == 2, 2.0)
        await alice.send(type="send", room=room, text="after the flood")
        assert (await bob.expect("message", text="after the flood"))["author"] == "Alice"
        flooder.close()
        await alice.close()
        await bob.close()
    finally:
        server.stop()
