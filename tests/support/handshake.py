"""One HTTP request or WebSocket handshake with exactly the `Host` and `Origin` a test chooses
(client libraries set `Host` from the URL themselves). Only for tests against 127.0.0.1."""

from __future__ import annotations

import base64
import os
import socket


def _status_of(request: str, port: int) -> int:
    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        sock.sendall(request.encode("latin-1"))
        head = b""
        while b"\r\n" not in head:
            chunk = sock.recv(1024)
            if not chunk:
                break
            head += chunk
    return int(head.split(b" ", 2)[1])


def ws_handshake_status(port: int, *, host: str, origin: str | None = None) -> int:
    """The HTTP status the server answers a WebSocket upgrade of /ws with (101 = accepted)."""
    key = base64.b64encode(os.urandom(16)).decode()
    request = (
        f"GET /ws HTTP/1.1\r\nHost: {host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n"
    )
    if origin is not None:
        request += f"Origin: {origin}\r\n"
    return _status_of(request + "\r\n", port)


def get_status(port: int, path: str, *, host: str) -> int:
    """The status of `GET path` sent with this `Host` header."""
    return _status_of(f"GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n", port)
