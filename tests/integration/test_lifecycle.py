"""Connection lifecycle on a real uvicorn with timers set to fractions of a second."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Iterator

import httpx
import pytest
from websockets.exceptions import ConnectionClosed

from tests.support.client import ChatClient, connected
from tests.support.raw import RawPeer
from tests.support.server import RunningServer, start_server


@pytest.fixture(scope="module")
def fast_server() -> Iterator[RunningServer]:
    running = start_server(
        {
            "PARROT_HELLO_TIMEOUT_S": "0.5",
            "PARROT_IDLE_TIMEOUT_S": "1.0",
            "PARROT_PING_INTERVAL_S": "0.3",
            "PARROT_SEND_TIMEOUT_S": "1.0",
            "PARROT_MAX_CONNECTIONS": "40",
        }
    )
    yield running
    running.stop()


@pytest.fixture(scope="module")
def heartbeat_server() -> Iterator[RunningServer]:
    running = start_server({"PARROT_PING_INTERVAL_S": "0.3"})
    yield running
    running.stop()


async def test_silence_after_connect_closes_1008(fast_server: RunningServer) -> None:
    client = await ChatClient.open(fast_server.ws_url)
    started = time.monotonic()
    assert await client.close_code() == 1008
    assert time.monotonic() - started >= 0.4


async def test_hello_in_time_keeps_the_connection(fast_server: RunningServer, room: str) -> None:
    client = await connected(fast_server.ws_url, "Prompt", room)
    await asyncio.sleep(0.7)
    await client.send(type="send", room=room, text="still here")
    assert (await client.expect("message"))["text"] == "still here"
    await client.close()


async def test_idle_connection_gets_idle_timeout_then_4000(
    fast_server: RunningServer, room: str
) -> None:
    client = await connected(fast_server.ws_url, "Sleepy", room)
    error = await client.expect("error", timeout=3)
    assert error["code"] == "idle_timeout"
    assert await client.close_code() == 4000


async def test_activity_resets_the_idle_timer_but_pings_do_not(
    fast_server: RunningServer, room: str
) -> None:
    busy = await connected(fast_server.ws_url, "Busy", room)
    pinger = await connected(fast_server.ws_url, "Pinger", room)
    for _ in range(6):
        await asyncio.sleep(0.25)
        await busy.send(type="typing", room=room)
        with contextlib.suppress(ConnectionClosed):
            await pinger.send(type="ping")
    assert await pinger.close_code(0.1) == 4000
    assert [e["code"] for e in pinger.seen if e["type"] == "error"] == ["idle_timeout"]
    assert [e for e in busy.seen if e.get("code") == "idle_timeout"] == []
    await busy.send(type="send", room=room, text="awake")
    await busy.expect("message", text="awake")
    await busy.close()


async def test_a_peer_that_stops_answering_pings_is_dropped_and_leaves_once(
    heartbeat_server: RunningServer, room: str
) -> None:
    fast_server = heartbeat_server
    watcher = await connected(fast_server.ws_url, "Watcher", room)
    peer = RawPeer(fast_server.port)
    assert peer.status == 101
    peer.send_json(type="hello", name="Ghost")
    peer.send_json(type="join", room=room)
    await watcher.expect("presence", name="Ghost", status="online")
    started = time.monotonic()
    # The peer never reads again, so it never answers a ping.
    left = await watcher.expect("system", event="member_left", timeout=3)
    assert left["data"]["name"] == "Ghost"
    assert time.monotonic() - started < 2 * 0.3 + 1.0
    extra = [e for e in await watcher.quiet(0.5) if e.get("event") == "member_left"]
    assert extra == []
    peer.close()
    await watcher.close()


async def test_connections_over_the_cap_get_server_full_and_1013(
    fast_server: RunningServer,
) -> None:
    async with httpx.AsyncClient(base_url=fast_server.http_url) as http:
        open_now = (await http.get("/api/stats")).json()["connections"]
    clients = [await ChatClient.open(fast_server.ws_url) for _ in range(40 - open_now)]
    extra = await ChatClient.open(fast_server.ws_url)
    assert (await extra.expect("error"))["code"] == "server_full"
    assert await extra.close_code() == 1013
    await clients[0].hello("StillFine")
    for client in clients:
        await client.close()


async def test_a_frame_over_the_limit_closes_1009_and_the_room_carries_on(
    server: RunningServer, room: str
) -> None:
    alice = await connected(server.ws_url, "Alice", room)
    bob = await connected(server.ws_url, "Bob", room)
    await bob.send(type="send", room=room, text="x" * 70_000)
    assert await bob.close_code() == 1009
    left = await alice.expect("system", event="member_left")
    assert left["data"]["name"] == "Bob"
    await alice.send(type="send", room=room, text="carry on")
    assert (await alice.expect("message"))["text"] == "carry on"
    await alice.close()


async def test_no_deflate_is_negotiated(server: RunningServer) -> None:
    client = await ChatClient.open(server.ws_url, compression="deflate")
    assert client.ws.response is not None
    assert "Sec-WebSocket-Extensions" not in client.ws.response.headers
    await client.close()


async def test_500_connect_disconnect_cycles_leave_nothing_behind(
    server: RunningServer, room: str
) -> None:
    async with httpx.AsyncClient(base_url=server.http_url) as http:

        async def settled() -> dict[str, int]:
            for _ in range(100):
                stats: dict[str, int] = (await http.get("/api/stats")).json()
                if stats["connections"] == 0:
                    return stats
                await asyncio.sleep(0.05)
            raise AssertionError(f"connections did not settle: {stats}")

        baseline = await settled()
        for i in range(500):
            client = await ChatClient.open(server.ws_url)
            if i % 2:
                await client.hello(f"cycler{i}")
                await client.join(room)
            await client.close()
        after = await settled()
        assert after["sessions"] == 0
        assert after["rooms"] == baseline["rooms"]
        assert after["tasks"] == baseline["tasks"]
