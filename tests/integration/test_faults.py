"""Faults: a handler bug, abrupt resets, oversized content — one client's trouble stays its own."""

from __future__ import annotations

import asyncio
import logging
import socket
import struct
from typing import Any

import httpx
import pytest

from app.main import create_app
from app.settings import Settings
from tests.support.client import connected
from tests.support.inprocess import serve_in_thread
from tests.support.metrics import sample
from tests.support.raw import RawPeer
from tests.support.server import RunningServer


async def test_a_handler_bug_answers_internal_error_and_everyone_carries_on(
    caplog: pytest.LogCaptureFixture,
) -> None:
    app = create_app(Settings())
    chat = app.state.container.chat
    real_send = chat.send

    async def buggy_send(conn_id: str, room: str, text: str, ref: str | None = None) -> None:
        if text == "trigger the bug":
            raise ZeroDivisionError("a bug in one code path")
        await real_send(conn_id, room, text, ref)

    chat.send = buggy_send
    caplog.set_level(logging.ERROR, logger="parrotchat.ws")
    with serve_in_thread(app) as port:
        url = f"ws://127.0.0.1:{port}/ws"
        victim = await connected(url, "Victim", "faulty")
        other = await connected(url, "Other", "faulty")
        await victim.send(type="send", room="faulty", text="trigger the bug", ref="b")
        error = await victim.expect("error")
        assert (error["code"], error["ref"]) == ("internal_error", "b")
        assert "ZeroDivisionError" not in error["reason"]
        await victim.send(type="send", room="faulty", text="fine now")
        assert (await other.expect("message"))["text"] == "fine now"
        await other.send(type="send", room="faulty", text="me too")
        assert (await victim.expect("message", text="me too"))["author"] == "Other"
        await victim.close()
        await other.close()
    tracebacks = [r for r in caplog.records if r.exc_info and r.exc_info[0] is ZeroDivisionError]
    assert len(tracebacks) == 1


async def _lost_connections(http: httpx.AsyncClient) -> float:
    exposition = (await http.get("/metrics")).text
    return sample(exposition, "parrotchat_closes_total", code="1006")


def _reset(peer: RawPeer) -> None:
    """Close with RST instead of FIN (SO_LINGER 0): an abrupt network failure."""
    peer.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    peer.sock.close()


async def test_abrupt_resets_mid_broadcast_clean_up_and_the_broadcast_completes(
    server: RunningServer, room: str
) -> None:
    async with httpx.AsyncClient(base_url=server.http_url) as http:
        before: dict[str, Any] = (await http.get("/api/stats")).json()
        lost_before = sample(
            (await http.get("/metrics")).text, "parrotchat_closes_total", code="1006"
        )
        sender = await connected(server.ws_url, "Sender", room)
        steady = await connected(server.ws_url, "Steady", room)
        peers = []
        for i in range(10):
            peer = RawPeer(server.port)
            peer.send_json(type="hello", name=f"flaky{i}")
            peer.send_json(type="join", room=room)
            peers.append(peer)
        await steady.expect("presence", name="flaky9", status="online")
        for i in range(5):
            await sender.send(type="send", room=room, text=f"burst {i}")
        for peer in peers:
            _reset(peer)
        for i in range(5):
            assert (await steady.expect("message"))["text"] == f"burst {i}"
        left: set[str] = set()
        while len(left) < 10:
            event = await steady.expect("system", event="member_left")
            left.add(event["data"]["name"])
        assert left == {f"flaky{i}" for i in range(10)}
        await sender.close()
        await steady.close()
        for _ in range(100):
            after: dict[str, Any] = (await http.get("/api/stats")).json()
            if after["connections"] == before["connections"]:
                break
            await asyncio.sleep(0.05)
        assert after["connections"] == before["connections"]
        assert after["sessions"] == before["sessions"]
        assert after["tasks"] == before["tasks"]
        # A reset is a connection lost without a close frame: counted as 1006.
        lost_after = sample(
            (await http.get("/metrics")).text, "parrotchat_closes_total", code="1006"
        )
        assert lost_after - lost_before >= 10
    assert "Traceback" not in server.log_text()
