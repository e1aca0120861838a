"""Faults: a handler bug, abrupt resets, oversized content — one client's trouble stays its own."""

from __future__ import annotations

import asyncio
import json
import logging
import socket
import struct
from typing import Any

import httpx
import pytest

from tests.support.client import connected
from tests.support.inprocess import app_and_container, serve_in_thread
from tests.support.metrics import sample
from tests.support.raw import RawPeer, encode_frame
from tests.support.server import RunningServer


async def test_a_handler_bug_answers_internal_error_and_everyone_carries_on(
    caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    app, container = app_and_container()
    messaging = container.chat.messaging
    real_send = messaging.send

    async def buggy_send(conn_id: str, room: str, text: str, ref: str | None = None) -> None:
        if text == "trigger the bug":
            raise ZeroDivisionError("a bug in one code path")
        await real_send(conn_id, room, text, ref)

    monkeypatch.setattr(messaging, "send", buggy_send)
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


@pytest.mark.parametrize(
    ("text", "outcome"),
    [
        pytest.param("a" * 512, "message", id="512-ascii"),
        pytest.param("字" * 512, "message", id="512-cjk"),
        pytest.param("\U0001f600" * 512, "message", id="512-emoji"),
        pytest.param("a" * 513, "message_too_long", id="513"),
        pytest.param("\u200b\u202e  ", "message_empty", id="only-invisibles"),
    ],
)
async def test_message_length_limits_on_the_wire(
    server: RunningServer, room: str, text: str, outcome: str
) -> None:
    client = await connected(server.ws_url, "Writer", room)
    # json.dumps escapes non-ASCII, so the emoji travel as \ud83d\ude00 pairs (6 KB frame).
    await client.send_raw(json.dumps({"type": "send", "room": room, "text": text}))
    event = await client.expect("message" if outcome == "message" else "error")
    if outcome == "message":
        assert event["text"] == text
    else:
        assert event["code"] == outcome
    await client.close()


async def test_control_and_bidi_characters_are_removed_before_broadcast(
    server: RunningServer, room: str
) -> None:
    client = await connected(server.ws_url, "Writer", room)
    await client.send(type="send", room=room, text="a\x00b\x1b[2Jc\u202ed\u2066e")
    message = await client.expect("message")
    assert message["text"] == "ab[2Jcde"
    await client.close()


async def test_markup_is_escaped_and_only_emphasis_renders(
    server: RunningServer, room: str
) -> None:
    client = await connected(server.ws_url, "Writer", room)
    await client.send(type="send", room=room, text="<script>alert(1)</script> *b* _i_")
    message = await client.expect("message")
    assert message["html"] == (
        "&lt;script&gt;alert(1)&lt;/script&gt; <strong>b</strong> <em>i</em>"
    )
    await client.close()


async def test_a_binary_frame_is_unsupported_but_the_connection_stays(
    server: RunningServer, room: str
) -> None:
    client = await connected(server.ws_url, "Binary", room)
    await client.send_raw(b"\x01\x02")
    assert (await client.expect("error"))["code"] == "unsupported_frame"
    await client.send(type="ping", ref="p")
    assert (await client.expect("pong"))["ref"] == "p"
    await client.close()


async def test_protocol_garbage_closes_the_offender_only(server: RunningServer, room: str) -> None:
    steady = await connected(server.ws_url, "Steady", room)
    bad = RawPeer(server.port)
    bad.sock.sendall(b"\x81\x05hello")  # an unmasked client frame violates RFC 6455
    assert bad.closed_by_server(5)
    assert bad.close_code() == 1002
    invalid_utf8 = RawPeer(server.port)
    invalid_utf8.send_frame(b"\xff\xfe", opcode=0x1)
    assert invalid_utf8.closed_by_server(5)
    assert invalid_utf8.close_code() == 1007
    reserved_bits = RawPeer(server.port)
    reserved_bits.sock.sendall(b"\xf1" + encode_frame(b"x")[1:])  # RSV1-3 set, no extension
    assert reserved_bits.closed_by_server(5)
    assert reserved_bits.close_code() == 1002
    await steady.send(type="send", room=room, text="unaffected")
    assert (await steady.expect("message"))["text"] == "unaffected"
    await steady.close()
