"""Attack 8 (issue 10), logs: what a client does wrong is logged at INFO or WARNING without a
traceback; only a fault of the server logs ERROR, with its traceback, once."""

from __future__ import annotations

import json
import socket
import struct
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from websockets.exceptions import InvalidStatus

from tests.support.client import ChatClient, connected
from tests.support.faulty_server import BUG_TRIGGER
from tests.support.handshake import get_status, ws_handshake_status
from tests.support.raw import RawPeer, encode_frame
from tests.support.server import RunningServer, start_server

SERIOUS = {"error", "critical"}


def _lines(server: RunningServer, since: int = 0) -> list[dict[str, Any]]:
    return [json.loads(raw) for raw in server.output[since:] if raw.strip()]


def _wait_for(condition: Callable[[], bool], timeout: float = 5.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return condition()


def _sessions_closed(server: RunningServer, since: int) -> int:
    return sum(1 for line in _lines(server, since) if line["msg"] == "session closed")


@pytest.fixture(scope="module")
def json_server() -> Iterator[RunningServer]:
    running = start_server({"PARROT_LOG_FORMAT": "json"})
    yield running
    running.stop()


def _closed_with(peer: RawPeer) -> int | None:
    assert peer.closed_by_server(5)
    code = peer.close_code()
    peer.close()
    return code


async def test_client_faults_log_no_error_and_no_traceback(json_server: RunningServer) -> None:
    port, start = json_server.port, len(json_server.output)
    invalid_utf8 = RawPeer(port)
    invalid_utf8.send_frame(b"\xff\xfe")
    assert _closed_with(invalid_utf8) == 1007
    split_utf8 = RawPeer(port)  # a character cut across two fragments, the second one wrong
    split_utf8.sock.sendall(encode_frame(b"\xe2\x82", fin=False) + encode_frame(b"(", opcode=0))
    assert _closed_with(split_utf8) == 1007
    unmasked = RawPeer(port)
    unmasked.sock.sendall(b"\x81\x05hello")
    assert _closed_with(unmasked) == 1002
    bad_opcode = RawPeer(port)
    bad_opcode.sock.sendall(encode_frame(b"x", opcode=0x3))
    assert _closed_with(bad_opcode) == 1002
    bad_close = RawPeer(port)  # 1005 may never be sent in a close frame
    bad_close.sock.sendall(encode_frame(struct.pack("!H", 1005), opcode=0x8))
    assert _closed_with(bad_close) == 1002
    too_big = RawPeer(port)
    too_big.send_frame(b"a" * 20_000)
    assert _closed_with(too_big) == 1009
    reset = RawPeer(port)
    reset.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    reset.sock.close()
    with pytest.raises(InvalidStatus) as refused:
        await ChatClient.open(f"ws://127.0.0.1:{port}/ws", origin="http://evil.example")
    assert refused.value.response.status_code == 403
    ws_handshake_status(port, host="evil.example", origin="http://evil.example")
    get_status(port, "/api/rooms", host="evil.example")
    assert get_status(port, "/api/rooms/no-such-room", host=f"127.0.0.1:{port}") == 404
    garbage = await connected(json_server.ws_url, "Garbage")
    await garbage.send_raw("not json")
    await garbage.send_raw(b"\x00binary")
    await garbage.send(type="send", room="lobby", text="x", ref="bad\x07ref")
    await garbage.close()

    assert _wait_for(lambda: _sessions_closed(json_server, start) >= 8)
    lines = _lines(json_server, start)
    serious = [line for line in lines if line["level"] in SERIOUS or "exc" in line]
    assert serious == []
    assert "Traceback" not in "".join(json_server.output[start:])
    origin_lines = [line for line in lines if line["msg"] == "origin refused"]
    assert [(line["level"], line["origin"]) for line in origin_lines] == [
        ("info", "http://evil.example")
    ]
    utf8_lines = [line for line in lines if "UTF-8" in line["msg"]]
    assert utf8_lines
    assert {line["level"] for line in utf8_lines} <= {"info", "warning"}


@pytest.fixture(scope="module")
def faulty_server() -> Iterator[RunningServer]:
    running = start_server({"PARROT_LOG_FORMAT": "json"}, module="tests.support.faulty_server")
    yield running
    running.stop()


async def test_a_server_fault_logs_error_with_its_traceback_once(
    faulty_server: RunningServer,
) -> None:
    start = len(faulty_server.output)
    victim = await connected(faulty_server.ws_url, "Victim", "faulty")
    await victim.send(type="send", room="faulty", text=BUG_TRIGGER, ref="b")
    assert (await victim.expect("error"))["code"] == "internal_error"
    await victim.send(type="send", room="faulty", text="still here", ref="c")
    assert (await victim.expect("message"))["ref"] == "c"
    await victim.close()

    assert _wait_for(lambda: _sessions_closed(faulty_server, start) >= 1)
    serious = [line for line in _lines(faulty_server, start) if line["level"] in SERIOUS]
    assert len(serious) == 1
    assert serious[0]["logger"] == "parrotchat.ws"
    assert "Traceback" in serious[0]["exc"]
    assert "InjectedBugError: a bug in one code path" in serious[0]["exc"]
