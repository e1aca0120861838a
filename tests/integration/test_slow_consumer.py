"""A member who stops reading is cut loose (4008); the room does not wait for it."""

from __future__ import annotations

import asyncio
import time

import httpx

from tests.support.client import connected
from tests.support.metrics import sample
from tests.support.raw import RawPeer, established_on_port
from tests.support.server import start_server

SENDERS = 4
MESSAGES_EACH = 250


async def test_a_stalled_reader_is_dropped_and_the_others_get_everything() -> None:
    server = start_server(
        {
            "PARROT_RATE_MESSAGES": "1000/1",
            "PARROT_RATE_EVENTS": "1000/1",
            "PARROT_SEND_TIMEOUT_S": "1",
            "PARROT_OUTBOX_MAX_BYTES": "131072",
        }
    )
    try:
        room = "slow-room"
        senders = [await connected(server.ws_url, f"sender{i}", room) for i in range(SENDERS)]
        watcher = await connected(server.ws_url, "Watcher", room)
        stalled = RawPeer(server.port, recv_buffer=2048)
        stalled.send_json(type="hello", name="Stalled")
        stalled.send_json(type="join", room=room)
        await watcher.expect("presence", name="Stalled", status="online")
        started = time.monotonic()

        async def blast(index: int) -> None:
            for n in range(MESSAGES_EACH):
                # 500 CJK characters: a 3 KB frame, so the stalled peer's buffers fill fast.
                await senders[index].send(type="send", room=room, text=f"{index}:{n} " + "字" * 500)
                await asyncio.sleep(0.01)

        await asyncio.gather(*(blast(i) for i in range(SENDERS)))
        left = await watcher.expect("system", event="member_left", timeout=10)
        assert left["data"]["name"] == "Stalled"
        # The server lets go of the socket too (aborted: the peer would never read a close),
        # while the stalled peer has still not read a byte.
        for _ in range(100):
            if established_on_port(server.port) == SENDERS + 1:
                break
            await asyncio.sleep(0.05)
        assert established_on_port(server.port) == SENDERS + 1
        assert time.monotonic() - started < 10
        total = SENDERS * MESSAGES_EACH
        while sum(e["type"] == "message" for e in watcher.seen) < total:
            await watcher.expect("message")
        seqs = [e["seq"] for e in watcher.seen if e["type"] == "message"]
        assert seqs == list(range(1, total + 1))
        assert stalled.closed_by_server(15)
        async with httpx.AsyncClient() as http:
            metrics = (await http.get(f"{server.http_url}/metrics")).text
        dropped = sample(metrics, "parrotchat_dropped_msgs_total", reason="slow_consumer")
        assert dropped >= 1
        slow_closes = sample(metrics, "parrotchat_closes_total", code="4008")
        assert slow_closes == 1
        for client in [*senders, watcher]:
            await client.close()
        stalled.close()
    finally:
        server.stop()
