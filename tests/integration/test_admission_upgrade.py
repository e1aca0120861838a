"""The handshake deadline runs on past the request head until the 101: an application that
does not accept in time has its socket answered 408 and closed. The app here is a stub that
never accepts, served by a real uvicorn with ParrotChat's protocol classes, under both HTTP
parsers."""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
import uvicorn

from app.web.admission import Admission, AdmissionLimits
from app.web.http_admission import HttpImpl, http_protocol_class
from app.web.transport import websocket_protocol_class
from tests.support.probes import read_outcome
from tests.support.raw import established_on_port

DEADLINE_S = 1.0


async def _never_accepts(scope: dict[str, Any], receive: Any, send: Any) -> None:
    if scope["type"] == "lifespan":
        while (await receive())["type"] != "lifespan.shutdown":
            await send({"type": "lifespan.startup.complete"})
        await send({"type": "lifespan.shutdown.complete"})
        return
    if scope["type"] == "websocket":
        await receive()  # websocket.connect
        await receive()  # never answered: the disconnect, once the deadline closed it


@contextmanager
def _serve(impl: HttpImpl) -> Iterator[tuple[int, Admission]]:
    admission = Admission(
        AdmissionLimits(
            handshake_timeout_s=DEADLINE_S, max_pending=10, max_header_bytes=8192, max_headers=50
        )
    )
    config = uvicorn.Config(
        _never_accepts,
        host="127.0.0.1",
        port=0,
        loop="uvloop",
        http=http_protocol_class(impl, admission),
        ws=websocket_protocol_class(admission, stall_timeout_s=5.0),
        lifespan="on",
        log_level="warning",
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=lambda: asyncio.run(server.serve()), daemon=True)
    thread.start()
    for _ in range(200):
        if server.started:
            break
        time.sleep(0.025)
    port: int = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield port, admission
    finally:
        server.should_exit = True
        thread.join(timeout=10)


UPGRADE = (
    b"GET /ws HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
    b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
)


@pytest.mark.parametrize("impl", ["httptools", "h11"])
def test_an_upgrade_the_app_never_accepts_is_answered_408_at_the_deadline(impl: HttpImpl) -> None:
    with _serve(impl) as (port, admission):
        with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
            started = time.monotonic()
            sock.sendall(UPGRADE)
            time.sleep(DEADLINE_S / 2)
            # The head is complete, but the socket is still pending: the WebSocket protocol
            # holds the ticket the HTTP protocol opened.
            assert admission.pending == 1
            outcome = read_outcome(sock, DEADLINE_S + 5)
        assert (outcome.status, outcome.closed) == (408, True)
        assert time.monotonic() - started < DEADLINE_S + 1.0
        assert admission.pending == 0
        assert established_on_port(port) == 0
