"""The outbound side of a connection: the direct path keeps order with the outbox, and the
frame bytes it writes are the WebSocket frames websockets itself would send (ADR 0023)."""

from __future__ import annotations

import asyncio
import weakref
from typing import Any

import pytest
from websockets.frames import Frame as WsFrame
from websockets.frames import Opcode
from websockets.streams import StreamReader

from app.adapters.clock import ManualClock
from app.domain.codes import CloseCode
from app.ports import NullMetrics
from app.services.hub import Frame
from app.web.connection import Connection
from app.web.transport import FRAME_WRITER_KEY, text_frame


def _parse(data: bytes) -> WsFrame:
    reader = StreamReader()
    reader.feed_data(data)
    reader.feed_eof()
    parser = WsFrame.parse(reader.read_exact, mask=False)
    try:
        while True:
            next(parser)
    except StopIteration as done:
        frame: WsFrame = done.value
        return frame


@pytest.mark.parametrize("size", [0, 1, 125, 126, 127, 65_535, 65_536, 100_000])
def test_text_frames_are_what_websockets_parses(size: int) -> None:
    text = ("é" if size % 2 else "a") * size
    frame = _parse(text_frame(text))
    assert (frame.opcode, frame.fin, bytes(frame.data).decode()) == (Opcode.TEXT, True, text)


class _Transport:
    """A protocol's direct writer that can be blocked, as flow control would."""

    def __init__(self) -> None:
        self.blocked = False
        self.written: list[str] = []

    def write_frame(self, wire: bytes) -> bool:
        if self.blocked:
            return False
        self.written.append(bytes(_parse(wire).data).decode())
        return True


class _WebSocket:
    """The ASGI side the writer task uses for what had to queue."""

    def __init__(self, transport: _Transport) -> None:
        self.scope: dict[str, Any] = {FRAME_WRITER_KEY: weakref.WeakMethod(transport.write_frame)}
        self._transport = transport
        self.sent: list[str] = []
        self.gate = asyncio.Event()
        self.gate.set()
        self.closed: tuple[int, str] | None = None

    async def send_text(self, text: str) -> None:
        await self.gate.wait()  # a transport that has not drained yet
        self._transport.written.append(text)

    async def close(self, code: int, reason: str) -> None:
        self.closed = (code, reason)


def _connection(websocket: _WebSocket, *, max_events: int = 256) -> Connection:
    return Connection(
        websocket,  # type: ignore[arg-type]  # the part of Starlette's WebSocket it uses
        "c1",
        max_events=max_events,
        max_bytes=1 << 20,
        metrics=NullMetrics(),
        clock=ManualClock(),
        send_timeout_s=5.0,
    )


async def test_frames_go_out_in_order_across_the_direct_path_and_the_outbox() -> None:
    transport = _Transport()
    websocket = _WebSocket(transport)
    connection = _connection(websocket)
    assert connection.offer(Frame("a"))  # written at once
    assert transport.written == ["a"]
    transport.blocked = True  # the transport's buffer is over its high-water mark
    websocket.gate.clear()
    assert connection.offer(Frame("b"))
    await asyncio.sleep(0)  # the writer takes "b" and waits for the transport
    transport.blocked = False  # writable again, but "b" is still on its way
    assert connection.offer(Frame("c"))  # must not overtake it
    assert connection.offer(Frame("d"))
    assert transport.written == ["a"]
    websocket.gate.set()
    for _ in range(10):
        await asyncio.sleep(0)
    assert transport.written == ["a", "b", "c", "d"]
    assert connection.depth == 0
    assert connection.offer(Frame("e"))  # nothing queued: direct again
    assert transport.written == ["a", "b", "c", "d", "e"]
    assert connection.frames_out == 5
    connection.close(CloseCode.NORMAL)
    await asyncio.wait_for(connection.wait_closed(), 1)
    assert websocket.closed == (1000, "bye")


async def test_a_blocked_transport_fills_the_outbox_until_the_slow_consumer_close() -> None:
    transport = _Transport()
    transport.blocked = True
    websocket = _WebSocket(transport)
    websocket.gate.clear()
    connection = _connection(websocket, max_events=8)
    for n in range(8):
        assert connection.offer(Frame(f"m{n}"))
    assert not connection.offer(Frame("one too many"))
    assert connection.close_code == CloseCode.SLOW_CONSUMER
    assert connection.dropped == 9
    assert not connection.offer(Frame("after the verdict"))


async def test_without_the_protocols_writer_every_frame_takes_the_outbox() -> None:
    transport = _Transport()
    websocket = _WebSocket(transport)
    del websocket.scope[FRAME_WRITER_KEY]  # another server than ours
    connection = _connection(websocket)
    assert connection.offer(Frame("x"))
    assert transport.written == []  # queued, not written by offer
    await asyncio.sleep(0)
    await asyncio.sleep(0)
    assert transport.written == ["x"]
    connection.close(CloseCode.NORMAL)
    await asyncio.wait_for(connection.wait_closed(), 1)


def test_one_broadcast_frames_its_bytes_once() -> None:
    transport = _Transport()
    frame = Frame("shared")
    connections = [_connection(_WebSocket(transport)) for _ in range(3)]
    for connection in connections:
        assert connection.offer(frame)
    wire = frame.wire
    assert wire is not None
    assert all(c.offer(frame) for c in connections)
    assert frame.wire is wire
