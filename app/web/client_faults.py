"""A client's mistakes are logged as the client's: at INFO, one line, no traceback.

uvicorn's sans-I/O WebSocket protocol logs two client faults at ERROR, so any alert on ERROR
(or a log-based error tracker) fires whenever a client wants it to:

- a text frame that is not valid UTF-8: `logger.exception(...)`, with the UnicodeDecodeError's
  traceback, before it closes 1007;
- a handshake refused with a denial response (our 403 for a foreign Origin and 503 while
  draining, the Host check's 400): `send()` writes the response but never marks the
  handshake complete, so when the app returns, `run_asgi` logs "ASGI callable returned
  without completing handshake." (uvicorn PR #3138, open, makes the same change upstream).

Both are corrected here; everything else is uvicorn's, so a fault of the server (an
exception in the application) still logs ERROR with its traceback. Protocol violations
(1002), oversized frames (1009) and resets log nothing above INFO already (ADR 0016).
"""

from __future__ import annotations

import logging
from typing import Any

from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol

from app.web.transport import AbortingWebSocketProtocol

log = logging.getLogger("parrotchat.ws")

INVALID_DATA = 1007


def _is_utf8(data: bytes) -> bool:
    if data.isascii():  # nearly every frame (JSON escapes non-ASCII): no second decode
        return True
    try:
        data.decode()
    except UnicodeDecodeError:
        return False
    return True


class QuietClientFaults(WebSocketsSansIOProtocol):
    def send_receive_event_to_app(self) -> None:
        if self.curr_msg_data_type == "text" and not self.close_sent:
            data = self.frames[0] if len(self.frames) == 1 else b"".join(self.frames)
            if not _is_utf8(bytes(data)):
                self.frames = []
                client = f"{self.client[0]}:{self.client[1]}" if self.client else "?"
                log.info("closing 1007: a text frame that is not UTF-8", extra={"client": client})
                self.conn.send_close(INVALID_DATA, "invalid UTF-8")
                self.handle_parser_exception()
                return
        super().send_receive_event_to_app()

    async def send(self, message: Any) -> None:
        await super().send(message)
        if (
            message["type"] == "websocket.http.response.body"
            and not message.get("more_body", False)
            and self.close_sent
        ):
            # The denial response is on the wire: the handshake is over (as wsproto's
            # implementation already says after its RejectConnection).
            self.handshake_complete = True


class ParrotWebSocketProtocol(QuietClientFaults, AbortingWebSocketProtocol):
    """The WebSocket protocol the server runs: client faults logged quietly, and peers that
    stopped reading let go of (app/web/transport.py)."""
