"""The two servers under test: how to start each one pinned to a core, watch it, stop it."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import IO

ROOT = Path(__file__).resolve().parents[2]
SERVER_CORE = 0
GENERATOR_CORE = 1

# ParrotChat as shipped: every scenario stays inside its default rate limits (the busiest
# ladder step sends 0.8 messages per member per second, under 5 / 2 s and 60 / min; one join
# and a handful of events per connection), so only the connection cap is raised, for W3's
# 10,000 members plus headroom.
PARROT_BENCH_ENV = {"PARROT_MAX_CONNECTIONS": "20000"}


@dataclass(frozen=True)
class ServerKind:
    name: str
    label: str

    def command(self, port: int) -> list[str]:
        if self.name == "parrotchat":
            return [sys.executable, "-m", "app"]
        return [sys.executable, str(ROOT / "bench" / "reference_server.py"), "--port", str(port)]

    def environment(self, port: int) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("PARROT_")}
        env["PYTHONUNBUFFERED"] = "1"
        if self.name == "parrotchat":
            env.update(PARROT_BENCH_ENV, PARROT_HOST="127.0.0.1", PARROT_PORT=str(port))
        return env


PARROTCHAT = ServerKind("parrotchat", "ParrotChat")
REFERENCE = ServerKind("reference", "bare FastAPI reference")
KINDS = {kind.name: kind for kind in (PARROTCHAT, REFERENCE)}


def pinning_available() -> bool:
    cores = os.sched_getaffinity(0)
    return shutil.which("taskset") is not None and {SERVER_CORE, GENERATOR_CORE} <= cores


def pinned(command: list[str], core: int | None) -> list[str]:
    """taskset execs the command, so the PID we get is the server's (or node's) own."""
    return command if core is None else ["taskset", "-c", str(core), *command]


def raise_open_files(wanted: int = 65_536) -> int:
    """Raise RLIMIT_NOFILE for this process; the servers and the generator inherit it."""
    import resource

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = max(soft, wanted)
    try:
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, max(hard, target)))
    except (ValueError, OSError):  # not root: go as high as the hard limit allows
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(target, hard), hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def cpu_seconds(pid: int) -> float:
    """utime + stime of every thread of the process, from /proc/<pid>/stat."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def run_queue_waits(pid: int) -> dict[int, float]:
    """{thread id: seconds runnable but not running} (/proc/<pid>/task/*/schedstat). On a
    pinned core, that is CPU taken by other processes: the noise this machine adds."""
    waits: dict[int, float] = {}
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            waits[int(task.name)] = int((task / "schedstat").read_text().split()[1]) / 1e9
        except (OSError, IndexError, ValueError):  # a thread that just ended
            continue
    return waits


def process_tree(pid: int) -> list[int]:
    """pid and its descendants (the generator's forked workers)."""
    found, pending = [], [pid]
    while pending:
        current = pending.pop()
        found.append(current)
        for task in Path(f"/proc/{current}/task").glob("*/children"):
            try:
                pending.extend(int(child) for child in task.read_text().split())
            except OSError:
                continue
    return found


def rss_bytes(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    return 0


class RunningServer:
    def __init__(self, kind: ServerKind, *, pin: bool, log: IO[str]) -> None:
        self.kind = kind
        self.port = free_port()
        self.process = subprocess.Popen(
            pinned(kind.command(self.port), SERVER_CORE if pin else None),
            env=kind.environment(self.port),
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd=ROOT,
        )

    @property
    def pid(self) -> int:
        return self.process.pid

    @property
    def http_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def ws_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/ws"

    def wait_healthy(self, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.kind.label} exited with {self.process.returncode}")
            try:
                with urllib.request.urlopen(f"{self.http_url}/healthz", timeout=1.0) as reply:
                    if reply.status == 200:
                        return
            except OSError:
                pass
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"{self.kind.label} did not become healthy in {timeout:.0f} s")

    def metrics_text(self) -> str | None:
        """ParrotChat's Prometheus exposition (the reference has none)."""
        if self.kind is not PARROTCHAT:
            return None
        with urllib.request.urlopen(f"{self.http_url}/metrics", timeout=10.0) as reply:
            text: str = reply.read().decode()
            return text

    def stop(self) -> int:
        """SIGTERM by PID; SIGKILL if it has not exited after a generous drain."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        return self.process.returncode


def counter_series(exposition: str | None, name: str, label: str) -> dict[str, float] | None:
    """{label value: sample} of one labelled counter in a Prometheus text exposition."""
    if exposition is None:
        return None
    found: dict[str, float] = {}
    for line in exposition.splitlines():
        if line.startswith(name + "{") and f'{label}="' in line:
            labels, value = line.rsplit(" ", 1)
            found[labels.split(f'{label}="', 1)[1].split('"', 1)[0]] = float(value)
    return found
