"""uvicorn's sans-I/O WebSocket protocol, made to let go of peers that stopped reading.

When a peer stops reading, its socket's send buffer never drains, and a graceful
`transport.close()` then waits for it for as long as the peer keeps acknowledging TCP window
probes: the socket, its buffers and the peer's slot outlive the connection that the
application already gave up. This subclass aborts the transport (an RST, the buffer
discarded) in the three places where the server has given up on the peer:

- the application marked the connection (`ABORT_KEY` in the ASGI scope) before returning,
  as it does for a slow consumer;
- the closing handshake did not finish within uvicorn's close timeout;
- the peer missed its pong (uvicorn's keepalive timeout).
"""

from __future__ import annotations

from typing import Any

from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol

ABORT_KEY = "parrotchat.abort"


class AbortingWebSocketProtocol(WebSocketsSansIOProtocol):
    async def run_asgi(self) -> None:
        await super().run_asgi()
        if self.scope.get(ABORT_KEY):
            self.transport.abort()

    async def send(self, message: Any) -> None:
        await super().send(message)
        if message["type"] == "websocket.close" and self.close_timer is not None:
            self.close_timer.cancel()
            self.close_timer = self.loop.call_later(self.close_timeout, self.transport.abort)

    def keepalive_timeout(self) -> None:
        super().keepalive_timeout()
        self.transport.abort()
