"""deploy/haproxy.cfg passes HAProxy's own check, and run in front of a real ParrotChat it
carries a WebSocket chat and cuts off what the server should not even see."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.support.client import connected
from tests.support.probes import HALF_OPEN_REST, exchange, half_open, read_outcome
from tests.support.probes import request_with_headers as head_with
from tests.support.server import RunningServer, start_server

ROOT = Path(__file__).resolve().parents[2]
CONFIG = ROOT / "deploy" / "haproxy.cfg"
HTTP_REQUEST_TIMEOUT_S = 5.0  # `timeout http-request` in the config


def haproxy() -> str:
    # Debian installs it in /usr/sbin, which is not on every user's PATH.
    path = shutil.which("haproxy") or shutil.which("haproxy", path="/usr/sbin:/usr/local/sbin")
    assert path, "haproxy is missing: scripts/test installs it (Debian package haproxy)"
    return path


def test_the_haproxy_config_passes_haproxys_own_check() -> None:
    checked = subprocess.run(
        [haproxy(), "-c", "-f", str(CONFIG)], check=False, capture_output=True, timeout=30
    )
    said = (checked.stdout + checked.stderr).decode()
    assert checked.returncode == 0, said
    # A warning is how HAProxy says a directive was ignored or is about to be.
    assert "WARNING" not in said


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@pytest.fixture(scope="module")
def proxied() -> Iterator[tuple[RunningServer, int]]:
    server = start_server()
    port = _free_port()
    env = {
        **os.environ,
        "PARROT_PROXY_BIND": f"127.0.0.1:{port}",
        "PARROT_BACKEND": f"127.0.0.1:{server.port}",
        # The production default needs more file descriptors than a test machine may allow.
        "PARROT_PROXY_MAXCONN": "1000",
    }
    proxy = subprocess.Popen(
        [haproxy(), "-db", "-f", str(CONFIG)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert proxy.poll() is None, proxy.stderr.read() if proxy.stderr else ""
            time.sleep(0.1)
        else:
            raise AssertionError("haproxy did not start forwarding")
        yield server, port
    finally:
        proxy.send_signal(signal.SIGTERM)
        try:
            proxy.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proxy.kill()
            proxy.wait(timeout=5)
        server.stop()


async def test_a_websocket_chat_works_through_the_proxy(
    proxied: tuple[RunningServer, int], room: str
) -> None:
    _, port = proxied
    url = f"ws://127.0.0.1:{port}/ws"
    alice = await connected(url, "Alice", room)
    bob = await connected(url, "Bob", room)
    await alice.send(type="send", room=room, text="through the proxy")
    assert (await bob.expect("message"))["text"] == "through the proxy"
    await alice.close()
    await bob.close()


def test_the_proxy_cuts_off_a_slow_head_and_refuses_a_huge_one(
    proxied: tuple[RunningServer, int],
) -> None:
    _, port = proxied
    started = time.monotonic()
    with half_open(port, HALF_OPEN_REST) as sock:
        slow = read_outcome(sock, HTTP_REQUEST_TIMEOUT_S + 5)
    assert (slow.status, slow.closed) == (408, True)
    assert time.monotonic() - started < HTTP_REQUEST_TIMEOUT_S + 2
    huge = exchange(port, head_with([("X-Big", "a" * 1_048_576)]))
    assert huge.status in (400, 431)
    body = b"Connection: close\r\nContent-Length: 5\r\n\r\nhello"
    with_body = exchange(port, b"POST /healthz HTTP/1.1\r\nHost: x\r\n" + body)
    assert with_body.status == 413
