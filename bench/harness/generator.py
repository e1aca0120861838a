"""Runs the Node load generator (bench/loadgen/main.mjs) against one server and samples the
server's CPU and memory at the generator's measurement boundaries."""

from __future__ import annotations

import contextlib
import json
import os
import queue
import shutil
import signal
import subprocess
import sys
import threading
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import IO, Any

from bench.harness.servers import (
    GENERATOR_CORE,
    ROOT,
    RunningServer,
    counter_series,
    cpu_seconds,
    pinned,
    process_tree,
    rss_bytes,
    run_queue_waits,
)

MAIN = ROOT / "bench" / "loadgen" / "main.mjs"
P99_LIMIT_MS = 150.0
MIN_DELIVERY_RATIO = 0.999


@dataclass(frozen=True)
class Step:
    name: str
    interval_s: float  # per sending member
    warmup_s: float
    duration_s: float
    drain_s: float = 5.0


@dataclass(frozen=True)
class Scenario:
    key: str
    title: str
    connections: int
    rooms: int
    senders_per_room: int
    steps: tuple[Step, ...]
    # stop at the first rate over P99_LIMIT_MS / under MIN_DELIVERY_RATIO twice in a row
    ladder: bool = False
    stalled: tuple[int, ...] = ()  # member indices that stop reading once joined
    concurrency: int = 500
    connect_timeout_s: float = 120.0

    def deliveries_per_s(self, step: Step) -> float:
        """The offered load: every sender's messages reach every reading member."""
        room_size = self.connections / self.rooms
        senders = self.senders_per_room * self.rooms
        return senders / step.interval_s * (room_size - len(self.stalled) / self.rooms)


@dataclass
class Profiler:
    """py-spy over the server's measurement window of the first step (raw folded stacks)."""

    output: Path
    process: subprocess.Popen[bytes] | None = None

    def start(self, pid: int, seconds: float, pin: bool) -> None:
        py_spy = shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy")
        command = [py_spy, "record", "--pid", str(pid), "--duration", str(int(seconds))]
        command += ["--rate", "100", "--format", "raw", "--nonblocking"]
        command += ["--output", str(self.output)]
        self.process = subprocess.Popen(
            pinned(command, GENERATOR_CORE if pin else None),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )

    def wait(self) -> None:
        if self.process is not None:
            self.process.wait(timeout=60)


@dataclass
class Run:
    connected: dict[str, Any] = field(default_factory=dict)
    steps: list[dict[str, Any]] = field(default_factory=list)
    rss_idle_bytes: int = 0
    finished: bool = False
    problem: str | None = None


class _Watch:
    """Acts on the generator's events: samples the server at the measurement boundaries."""

    def __init__(
        self,
        run: Run,
        *,
        server: RunningServer,
        scenario: Scenario,
        pin: bool,
        profiler: Profiler | None,
        generator_pid: int,
    ) -> None:
        self.run, self.server, self.scenario = run, server, scenario
        self.generator_pid = generator_pid
        self.pin, self.profiler = pin, profiler
        self.cpu_at_start = self.started = self.cpu_percent = 0.0
        self.rss = 0
        self.cpu_at_launch, self.launched = cpu_seconds(server.pid), time.monotonic()
        self.closes: dict[str, float] | None = None
        self.dropped: dict[str, float] | None = None
        self.generator: list[int] = []
        self.waits: dict[str, dict[int, float]] = {}
        self.wait_percent: dict[str, float] = {}

    def on(self, event: dict[str, Any]) -> None:
        kind = event.pop("event")
        pid = self.server.pid
        if kind == "connected":
            elapsed = time.monotonic() - self.launched
            event["server_cpu_percent"] = round(
                100 * (cpu_seconds(pid) - self.cpu_at_launch) / elapsed, 1
            )
            self.run.connected = event
        elif kind == "measure_start":
            self.generator = process_tree(self.generator_pid)
            self.waits = self._waits()
            self.cpu_at_start, self.started = cpu_seconds(pid), time.monotonic()
            if self.profiler is not None and event["step"] == 0:
                self.profiler.start(pid, self.scenario.steps[0].duration_s, self.pin)
        elif kind == "measure_end":
            elapsed = time.monotonic() - self.started
            self.cpu_percent = 100 * (cpu_seconds(pid) - self.cpu_at_start) / elapsed
            self.rss = rss_bytes(pid)
            # before the generator closes its connections, which the server counts too
            exposition = self.server.metrics_text()
            self.closes = counter_series(exposition, "parrotchat_closes_total", "code")
            self.dropped = counter_series(exposition, "parrotchat_dropped_msgs_total", "reason")
            # per thread: a thread that ended during the window drops out, never below zero
            self.wait_percent = {
                key: round(
                    100
                    * sum(w - self.waits[key].get(tid, 0.0) for tid, w in now.items())
                    / elapsed,
                    1,
                )
                for key, now in self._waits().items()
            }
        elif kind == "step":
            event["server_cpu_percent"] = round(self.cpu_percent, 1)
            event["server_rss_bytes"] = self.rss
            event["server_closes"] = self.closes
            event["server_dropped"] = self.dropped
            event["server_run_queue_wait_percent"] = self.wait_percent["server"]
            event["generator_run_queue_wait_percent"] = self.wait_percent["generator"]
            self.run.steps.append(event)
        elif kind == "done":
            self.run.finished = True

    def _waits(self) -> dict[str, dict[int, float]]:
        generator: dict[int, float] = {}
        for pid in self.generator:
            with contextlib.suppress(OSError):
                generator.update(run_queue_waits(pid))
        return {"server": run_queue_waits(self.server.pid), "generator": generator}


def _pump(stream: IO[str], lines: queue.Queue[str | None]) -> None:
    for line in stream:
        lines.put(line)
    lines.put(None)


def run_generator(
    scenario: Scenario,
    server: RunningServer,
    *,
    workers: int,
    mode: str,
    pin: bool,
    stderr: IO[str],
    profiler: Profiler | None = None,
) -> Run:
    plan = {
        "url": server.ws_url,
        "connections": scenario.connections,
        "rooms": scenario.rooms,
        "workers": workers,
        "mode": mode,
        "senders_per_room": scenario.senders_per_room,
        "stalled": list(scenario.stalled),
        "concurrency": scenario.concurrency,
        "connect_timeout_s": scenario.connect_timeout_s,
        "steps": [asdict(step) for step in scenario.steps],
        "stop_when": (
            {"p99_ms": P99_LIMIT_MS, "min_ratio": MIN_DELIVERY_RATIO, "retry": True}
            if scenario.ladder
            else None
        ),
    }
    run = Run(rss_idle_bytes=rss_bytes(server.pid))
    budget = (
        scenario.connect_timeout_s
        + 30
        + sum(s.warmup_s + s.duration_s + s.drain_s + 10 for s in scenario.steps)
        * (2 if scenario.ladder else 1)  # a ladder may repeat steps
    )
    node = subprocess.Popen(
        pinned(["node", str(MAIN), json.dumps(plan)], GENERATOR_CORE if pin else None),
        stdout=subprocess.PIPE,
        stderr=stderr,
        text=True,
        cwd=ROOT,
        start_new_session=True,  # its own process group: a timeout ends it and its workers
    )
    assert node.stdout is not None
    lines: queue.Queue[str | None] = queue.Queue()
    threading.Thread(target=_pump, args=(node.stdout, lines), daemon=True).start()
    deadline = time.monotonic() + budget
    watch = _Watch(
        run, server=server, scenario=scenario, pin=pin, profiler=profiler, generator_pid=node.pid
    )
    try:
        while not run.finished:
            try:
                line = lines.get(timeout=max(0.1, deadline - time.monotonic()))
            except queue.Empty:
                run.problem = f"the generator did not finish within {budget:.0f} s"
                break
            if line is None:
                break
            watch.on(json.loads(line))
    finally:
        if node.poll() is None and not run.finished:
            os.killpg(node.pid, signal.SIGKILL)
        try:
            node.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(node.pid, signal.SIGKILL)
            node.wait(timeout=5)
        if profiler is not None:
            profiler.wait()
    if not run.finished and run.problem is None:
        run.problem = f"the generator exited with {node.returncode} before it was done"
    return run
