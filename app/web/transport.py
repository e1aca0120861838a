"""uvicorn's sans-I/O WebSocket protocol, made to let go of peers that stopped reading, to stop
reading peers whose answers pile up, and to finish its handshake within the deadline.

When a peer stops reading, its socket's send buffer never drains, and a graceful
`transport.close()` then waits for it for as long as the peer keeps acknowledging TCP window
probes: the socket, its buffers and the peer's slot outlive the connection that the
application already gave up. This subclass aborts the transport (an RST, the buffer
discarded) in the four places where the server has given up on the peer:

- the application marked the connection (`ABORT_KEY` in the ASGI scope) before returning,
  as it does for a slow consumer;
- the closing handshake did not finish within uvicorn's close timeout;
- the peer missed its pong (uvicorn's keepalive timeout);
- the outbound buffer stayed over its high-water mark for `stall_timeout_s` (below).

Inbound backpressure: uvicorn answers every ping at once by writing a pong to the transport,
and never stops reading for it, so a peer that writes pings and never reads made the write
buffer grow without bound. Here the transport's own flow control drives reading: when the
write buffer goes over its high-water mark (`pause_writing`), reading pauses; it resumes
when the buffer drains (`resume_writing`). Whatever fills the buffer (frames from the app,
pongs, a close) therefore holds back what the peer sends next, and the server keeps at most
one read's worth of answers. A peer that stays over the mark for `stall_timeout_s` is a slow
consumer: the application's hook under `STALLED_KEY` (a `weakref.WeakMethod`, see
app/web/connection.py) counts it and closes it 4008 as it would for a send that timed out,
and the transport is aborted.

The handshake deadline (app/web/admission.py) started with the HTTP protocol; this protocol
adopts the socket's ticket and holds it until the 101 or a refusal is written. Besides the
methods overridden here, it relies on uvicorn 0.54's `read_paused`, `handshake_complete`,
`close_sent`, `initial_response`, `close_timer` and `scope` attributes.
"""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import Callable
from http import HTTPStatus
from typing import Any, ClassVar, cast

from uvicorn.config import Config
from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol
from uvicorn.server import ServerState
from websockets.http11 import Request
from websockets.protocol import State

from app.web.admission import Admission, Ticket, http_refusal

ABORT_KEY = "parrotchat.abort"
# Where the protocol puts its `write_frame` (a weakref.WeakMethod) for the application's
# connection: the direct path of a broadcast (app/web/connection.py, ADR 0023).
FRAME_WRITER_KEY = "parrotchat.write_frame"
# Where it puts `let_go` (also weak): the application gave up on a peer that cannot take even
# a close frame, and the connection must end now rather than wait for the peer.
LET_GO_KEY = "parrotchat.let_go"
# Set by the application for a peer it closed for abuse: once our close frame is out, what the
# peer sends is dropped unparsed, and the socket is let go after DISCARD_LINGER_S (time for the
# close frame to arrive; an immediate reset could destroy it in the peer's receive buffer).
DISCARD_KEY = "parrotchat.discard_input"
DISCARD_LINGER_S = 1.0
STALLED_KEY = "parrotchat.transport_stalled"
# The most received bytes parsed in one turn of the event loop. A read can bring 256 KiB:
# thousands of small frames, parsed in one callback (tens of milliseconds) before any other
# connection gets a turn. In slices of this size a burst costs others ~2 ms at a time.
READ_SLICE = 16 * 1024


class AbortingWebSocketProtocol(WebSocketsSansIOProtocol):
    admission: ClassVar[Admission | None] = None
    stall_timeout_s: ClassVar[float] = 5.0

    def __init__(
        self,
        config: Config,
        server_state: ServerState,
        app_state: dict[str, Any],
        _loop: asyncio.AbstractEventLoop | None = None,
    ) -> None:
        super().__init__(config, server_state, app_state, _loop)
        self._ticket: Ticket | None = None
        self._write_blocked = False
        self._stall_timer: asyncio.TimerHandle | None = None
        self._unparsed = bytearray()

    # The direct path

    def handle_connect(self, event: Request) -> None:
        super().handle_connect(event)
        scope = getattr(self, "scope", None)
        if scope is not None:
            scope[FRAME_WRITER_KEY] = weakref.WeakMethod(self.write_frame)
            scope[LET_GO_KEY] = weakref.WeakMethod(self.let_go)

    def let_go(self) -> None:
        """Abort the transport now (an RST; the application sees the disconnect at once)."""
        if not self.transport.is_closing():
            self.transport.abort()

    def write_frame(self, wire: bytes) -> bool:
        """Write an already framed data frame (`text_frame`) at once, when nothing stands in
        its way; False otherwise, and the caller queues it for the ASGI path, which waits.

        What uvicorn's `send` would check and do, minus the waiting and the framing: the
        handshake is done, no close was sent, websockets' state machine is open, and the
        transport's buffer is under its high-water mark (over it, `pause_writing` has run)."""
        if (
            self._write_blocked
            or self.close_sent
            or not self.handshake_complete
            or self.conn.state is not State.OPEN
            or self.transport.is_closing()
        ):
            return False
        self.transport.write(wire)
        return True

    # The handshake deadline

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        super().connection_made(transport)
        if self.admission is not None:
            self._ticket = self.admission.adopt(transport, self, self._handshake_expired)

    def data_received(self, data: bytes) -> None:
        if self.close_sent and self._discarding():
            self._unparsed.clear()
            return
        if self._unparsed:  # reading resumed while a burst is still being parsed
            self._unparsed += data
            self.transport.pause_reading()
            return
        if len(data) > READ_SLICE:
            self._unparsed += memoryview(data)[READ_SLICE:]
            data = data[:READ_SLICE]
            self.transport.pause_reading()
            self.loop.call_soon(self._parse_more)
        super().data_received(data)
        self._settle_handshake()

    def _discarding(self) -> bool:
        scope = cast(dict[str, Any], getattr(self, "scope", {}))
        return bool(scope.get(DISCARD_KEY))

    def _parse_more(self) -> None:
        if self.transport.is_closing() or (self.close_sent and self._discarding()):
            self._unparsed.clear()
            return
        chunk = bytes(self._unparsed[:READ_SLICE])
        del self._unparsed[:READ_SLICE]
        super().data_received(chunk)
        self._settle_handshake()
        if self._unparsed:
            self.loop.call_soon(self._parse_more)
        elif not (self.read_paused or self._write_blocked or self.transport.is_closing()):
            self.transport.resume_reading()

    def connection_lost(self, exc: Exception | None) -> None:
        self._release_ticket()
        if self._stall_timer is not None:
            self._stall_timer.cancel()
            self._stall_timer = None
        super().connection_lost(exc)

    def _settle_handshake(self) -> None:
        if self._ticket is not None and (self.handshake_complete or self.close_sent):
            self._release_ticket()

    def _release_ticket(self) -> None:
        ticket, self._ticket = self._ticket, None
        if ticket is not None and self.admission is not None:
            self.admission.release(ticket)

    def _handshake_expired(self) -> None:
        self._ticket = None
        if self.transport.is_closing():
            return
        if not self.handshake_complete and self.initial_response is None:
            self.transport.write(http_refusal(HTTPStatus.REQUEST_TIMEOUT, "upgrade took too long"))
        if self.admission is not None:
            self.admission.note(self.loop, "timed out")
        self.transport.close()

    # Inbound backpressure

    def pause_writing(self) -> None:
        super().pause_writing()
        self._write_blocked = True
        self._hold_reading()
        if self._stall_timer is None:
            self._stall_timer = self.loop.call_later(self.stall_timeout_s, self._stalled)

    def resume_writing(self) -> None:
        super().resume_writing()
        self._write_blocked = False
        if self._stall_timer is not None:
            self._stall_timer.cancel()
            self._stall_timer = None
        # uvicorn's own pause (a message waiting for the app) and a burst still being parsed
        # outlive ours.
        if not (self.read_paused or self._unparsed or self.transport.is_closing()):
            self.transport.resume_reading()

    def _hold_reading(self) -> None:
        if (self._write_blocked or self._unparsed) and not self.transport.is_closing():
            self.transport.pause_reading()

    def _stalled(self) -> None:
        self._stall_timer = None
        if self.transport.is_closing():
            return
        scope = cast(dict[str, Any], getattr(self, "scope", {}))
        hook: weakref.WeakMethod[Callable[[], None]] | None = scope.get(STALLED_KEY)
        on_stalled = hook() if hook is not None else None
        if on_stalled is not None:
            on_stalled()
        self.transport.abort()

    async def receive(self) -> Any:
        message = await super().receive()
        self._hold_reading()  # uvicorn resumes reading once the app has taken its message
        return message

    # Letting go

    async def run_asgi(self) -> None:
        await super().run_asgi()
        if self.scope.get(ABORT_KEY):
            self.transport.abort()

    async def send(self, message: Any) -> None:
        await super().send(message)
        self._settle_handshake()
        self._hold_reading()  # uvicorn resumes reading after a close, to see the reply
        if message["type"] == "websocket.close" and self.close_timer is not None:
            self.close_timer.cancel()
            linger = DISCARD_LINGER_S if self._discarding() else self.close_timeout
            self.close_timer = self.loop.call_later(linger, self.transport.abort)

    def keepalive_timeout(self) -> None:
        super().keepalive_timeout()
        self.transport.abort()


def websocket_protocol_class(
    admission: Admission | None,
    stall_timeout_s: float,
    base: type[AbortingWebSocketProtocol] = AbortingWebSocketProtocol,
) -> type[asyncio.Protocol]:
    """The protocol class to pass to `uvicorn.Config(ws=...)`: `base` (this module's protocol,
    or a subclass of it) bound to the server's admission and stall timeout."""
    attributes = {"admission": admission, "stall_timeout_s": stall_timeout_s}
    return cast(type[asyncio.Protocol], type(base.__name__, (base,), attributes))


def text_frame(text: str) -> bytes:
    """`text` as one unmasked, unfragmented WebSocket text frame (RFC 6455 section 5.2), the
    bytes a server sends; the same for every recipient, so a broadcast frames it once."""
    payload = text.encode()
    size = len(payload)
    if size < 126:
        return bytes((0x81, size)) + payload
    if size < 1 << 16:
        return b"\x81\x7e" + size.to_bytes(2, "big") + payload
    return b"\x81\x7f" + size.to_bytes(8, "big") + payload
