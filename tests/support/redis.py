"""A throwaway redis-server for tests: a free port on 127.0.0.1, no persistence, stopped by
its PID. Never the server on 6379."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

START_TIMEOUT_S = 10.0


def redis_server_binary() -> str | None:
    return shutil.which("redis-server")


def require_redis_server() -> str:
    """The redis-server binary; fails under CI (scripts/test installs it), skips with a
    reason elsewhere."""
    binary = redis_server_binary()
    if binary is not None:
        return binary
    reason = "redis-server not found (apt-get install redis-server, or run ./scripts/test)"
    if os.environ.get("CI") == "true":
        pytest.fail(f"{reason}: CI must run the Redis tests")
    pytest.skip(reason)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _answers_ping(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5) as s:
            s.sendall(b"PING\r\n")
            return s.recv(16).startswith(b"+PONG")
    except OSError:
        return False


@dataclass
class RedisServer:
    port: int
    process: subprocess.Popen[bytes]
    workdir: Path

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def stop(self) -> None:
        if self.process.poll() is None:
            os.kill(self.process.pid, signal.SIGCONT)  # a paused server would not see TERM
            os.kill(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.kill(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=10)

    def restart(self) -> None:
        """Stop the server and start an empty one on the same port (this object then
        stands for the new process, so whoever stops it stops the new one)."""
        self.stop()
        self.process = start_redis(self.workdir, port=self.port).process

    def pause(self) -> None:
        """Freeze the server (SIGSTOP): connections stay open and nothing answers."""
        os.kill(self.process.pid, signal.SIGSTOP)

    def resume(self) -> None:
        os.kill(self.process.pid, signal.SIGCONT)


def start_redis(workdir: Path, *, port: int | None = None) -> RedisServer:
    """Start redis-server and wait until it answers PING (a fixed `port` restarts one on
    the same address)."""
    binary = require_redis_server()
    for _ in range(5):
        chosen = port or _free_port()
        log = (workdir / f"redis-{chosen}.log").open("ab")
        process = subprocess.Popen(
            [
                binary,
                "--port",
                str(chosen),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(workdir),
                "--loglevel",
                "warning",
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )
        log.close()
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline and process.poll() is None:
            if _answers_ping(chosen):
                return RedisServer(port=chosen, process=process, workdir=workdir)
            time.sleep(0.02)
        server = RedisServer(port=chosen, process=process, workdir=workdir)
        server.stop()
        if port is not None:
            break
    raise RuntimeError(f"redis-server did not start; see {workdir}")
