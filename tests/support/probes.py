"""Attacker-side probes for the admission and backpressure tests: half-open requests, huge
heads, a ping flood, and the server's memory as /proc sees it. Loopback only, and each
probe is bounded in bytes and seconds."""

from __future__ import annotations

import contextlib
import os
import select
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from tests.support.raw import encode_frame

HALF_OPEN_UPGRADE = b"GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n"
HALF_OPEN_REST = b"GET /api/rooms HTTP/1.1\r\nHost: x\r\n"


def rss_kib(pid: int) -> int:
    """Resident set size of process `pid` (VmRSS in /proc/<pid>/status), in KiB."""
    return _status_kib(pid, "VmRSS")


def peak_rss_kib(pid: int) -> int:
    """The highest resident set size process `pid` has had since `reset_peak_rss` (VmHWM),
    in KiB: it catches a buffer that was freed again before anyone looked."""
    return _status_kib(pid, "VmHWM")


def reset_peak_rss(pid: int) -> int:
    """Start the peak over at the current RSS (Linux: "5" to clear_refs); returns that RSS."""
    Path(f"/proc/{pid}/clear_refs").write_text("5", encoding="ascii")
    return rss_kib(pid)


def _status_kib(pid: int, field: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text(encoding="ascii").splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1])
    raise RuntimeError(f"no {field} for {pid}")


def wait_until(predicate: Callable[[], bool], timeout: float, interval: float = 0.05) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return predicate()


def half_open(port: int, head: bytes) -> socket.socket:
    """A socket that sends the start of a request head and then nothing."""
    sock = socket.create_connection(("127.0.0.1", port), timeout=5)
    sock.sendall(head)
    return sock


@dataclass
class Outcome:
    """What the peer saw: the status line's code (None if no answer arrived), the bytes
    read, and whether the server closed (FIN or RST) within the wait."""

    status: int | None
    received: bytes
    closed: bool


def read_outcome(sock: socket.socket, timeout: float) -> Outcome:
    """Read until the server closes or `timeout` passes."""
    sock.settimeout(timeout)
    received, closed = b"", False
    deadline = time.monotonic() + timeout
    try:
        while (remaining := deadline - time.monotonic()) > 0:
            sock.settimeout(remaining)
            chunk = sock.recv(65536)
            if not chunk:
                closed = True
                break
            received += chunk
    except TimeoutError:
        pass
    except ConnectionError:
        closed = True
    return Outcome(_status(received), received, closed)


def _status(received: bytes) -> int | None:
    if not received.startswith(b"HTTP/1."):
        return None
    return int(received.split(b" ", 2)[1])


def exchange(port: int, request: bytes, timeout: float = 10.0) -> Outcome:
    """Send `request` whole (the server may stop reading or reset half-way) and read what
    comes back."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            sock.sendall(request)
        return read_outcome(sock, timeout)


def request_with_headers(headers: list[tuple[str, str]], path: str = "/healthz") -> bytes:
    """A GET with `Host`, `Connection: close` and then `headers`."""
    lines = [f"GET {path} HTTP/1.1", "Host: 127.0.0.1", "Connection: close"]
    lines += [f"{k}: {v}" for k, v in headers]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def many_headers(count: int) -> list[tuple[str, str]]:
    return [(f"X-H{n}", "v") for n in range(count)]


@dataclass
class FloodResult:
    sent: int  # bytes the kernel accepted from the flooder
    blocked_s: float  # the longest wait for the socket to take more
    ended: str  # "volume", "time", "blocked" (took nothing for a while) or "closed"


def ping_flood(
    sock: socket.socket, *, max_bytes: int, max_seconds: float, stop_when_blocked_s: float
) -> FloodResult:
    """Write ping frames (125-byte payload, so each pong is as big as its ping) without ever
    reading, until `max_bytes` are sent, `max_seconds` pass, the server closes, or the
    socket takes nothing for `stop_when_blocked_s`."""
    frame = encode_frame(os.urandom(125), opcode=0x9)
    block = frame * (65536 // len(frame))
    sock.setblocking(False)
    sent, longest_wait = 0, 0.0
    started = time.monotonic()
    view = memoryview(block)
    offset = 0
    try:
        while sent < max_bytes:
            if time.monotonic() - started > max_seconds:
                return FloodResult(sent, longest_wait, "time")
            waited_from = time.monotonic()
            _, writable, _ = select.select([], [sock], [], stop_when_blocked_s)
            longest_wait = max(longest_wait, time.monotonic() - waited_from)
            if not writable:
                return FloodResult(sent, longest_wait, "blocked")
            try:
                n = sock.send(view[offset:])
            except BlockingIOError:
                continue
            sent += n
            offset = (offset + n) % len(block)
    except (ConnectionError, OSError):
        return FloodResult(sent, longest_wait, "closed")
    finally:
        sock.setblocking(True)
    return FloodResult(sent, longest_wait, "volume")
