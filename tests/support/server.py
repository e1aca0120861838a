"""A real ParrotChat server in a subprocess on 127.0.0.1, for integration tests."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field

import httpx

_LISTENING = re.compile(r"Uvicorn running on http://127\.0\.0\.1:(\d+)")


@dataclass
class RunningServer:
    process: subprocess.Popen[str]
    port: int
    output: list[str] = field(default_factory=list)
    # The settings it was started with (start_server(server.env) starts it again).
    env: dict[str, str] = field(default_factory=dict)

    @property
    def http_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def ws_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/ws"

    def log_text(self) -> str:
        return "".join(self.output)

    def terminate(self, sig: signal.Signals = signal.SIGTERM) -> None:
        if self.process.poll() is None:
            self.process.send_signal(sig)

    def wait(self, timeout: float) -> int:
        return self.process.wait(timeout=timeout)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)


def start_server(
    env: Mapping[str, str] | None = None, *, timeout: float = 20.0, module: str = "app"
) -> RunningServer:
    """Start `python -m app` (or another entry module) on a free port and wait until it
    answers /healthz."""
    environment = {k: v for k, v in os.environ.items() if not k.startswith("PARROT_")}
    environment.update({"PARROT_HOST": "127.0.0.1", "PARROT_PORT": "0", "PYTHONUNBUFFERED": "1"})
    environment.update(env or {})
    process = subprocess.Popen(
        [sys.executable, "-m", module],
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    assert process.stdout is not None
    output: list[str] = []
    port_found = threading.Event()
    port_box: list[int] = []

    def pump() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            output.append(line)
            match = _LISTENING.search(line)
            if match and not port_box:
                port_box.append(int(match.group(1)))
                port_found.set()

    threading.Thread(target=pump, daemon=True).start()
    if not port_found.wait(timeout):
        process.kill()
        raise RuntimeError("server did not start:\n" + "".join(output))
    server = RunningServer(process=process, port=port_box[0], output=output, env=dict(env or {}))
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{server.http_url}/healthz", timeout=1.0).status_code == 200:
                return server
        except httpx.HTTPError:
            pass
        time.sleep(0.05)
    server.stop()
    raise RuntimeError("server did not become healthy:\n" + server.log_text())
