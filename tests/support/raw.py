"""A deliberately bad WebSocket peer over a plain TCP socket: it can stop reading, stop
answering pings, or send frames no library would. Only for tests against 127.0.0.1."""

from __future__ import annotations

import base64
import json
import os
import socket
import struct
from pathlib import Path
from typing import Any


def encode_frame(payload: bytes, *, opcode: int = 0x1, fin: bool = True) -> bytes:
    """A client frame (masked, as RFC 6455 requires of clients)."""
    head = bytes([(0x80 if fin else 0) | opcode])
    length = len(payload)
    if length < 126:
        head += bytes([0x80 | length])
    elif length < 1 << 16:
        head += bytes([0x80 | 126]) + struct.pack("!H", length)
    else:
        head += bytes([0x80 | 127]) + struct.pack("!Q", length)
    mask = os.urandom(4)
    masked = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
    return head + mask + masked


class RawPeer:
    def __init__(self, port: int, *, recv_buffer: int = 4096, origin: str | None = None) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        # A tiny receive window makes "stopped reading" bite after a few kilobytes.
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, recv_buffer)
        self.sock.settimeout(5)
        self.sock.connect(("127.0.0.1", port))
        key = base64.b64encode(os.urandom(16)).decode()
        request = (
            f"GET /ws HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUpgrade: websocket\r\n"
            f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n"
        )
        if origin is not None:
            request += f"Origin: {origin}\r\n"
        self.sock.sendall((request + "\r\n").encode())
        response = b""
        while b"\r\n\r\n" not in response:
            chunk = self.sock.recv(1)
            if not chunk:
                break
            response += chunk
        self.handshake = response.decode("latin-1")
        self.received = b""

    @property
    def status(self) -> int:
        return int(self.handshake.split(" ", 2)[1])

    def send_json(self, **event: Any) -> None:
        self.sock.sendall(encode_frame(json.dumps(event).encode()))

    def send_frame(self, payload: bytes, *, opcode: int = 0x1) -> None:
        self.sock.sendall(encode_frame(payload, opcode=opcode))

    def closed_by_server(self, timeout: float) -> bool:
        """Read until the server closes the TCP connection; what was read is kept in .received."""
        self.sock.settimeout(timeout)
        try:
            while chunk := self.sock.recv(65536):
                self.received += chunk
        except TimeoutError:
            return False
        except ConnectionError:
            return True
        return True

    def close_code(self) -> int | None:
        """The code of the close frame among the server frames received, if any."""
        data, pos = self.received, 0
        while pos + 2 <= len(data):
            opcode, length = data[pos] & 0x0F, data[pos + 1] & 0x7F
            pos += 2
            if length == 126:
                length, pos = struct.unpack("!H", data[pos : pos + 2])[0], pos + 2
            elif length == 127:
                length, pos = struct.unpack("!Q", data[pos : pos + 8])[0], pos + 8
            if opcode == 0x8 and length >= 2:
                code: int = struct.unpack("!H", data[pos : pos + 2])[0]
                return code
            pos += length
        return None

    def close(self) -> None:
        self.sock.close()


def established_on_port(port: int) -> int:
    """How many ESTABLISHED TCP sockets have local port `port` (the server's side of its
    connections), from /proc/net/tcp and tcp6 (Linux)."""
    count = 0
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = Path(table).read_text(encoding="ascii").splitlines()[1:]
        except FileNotFoundError:
            continue
        for line in lines:
            fields = line.split()
            local_port = int(fields[1].rsplit(":", 1)[1], 16)
            if local_port == port and fields[3] == "01":
                count += 1
    return count
