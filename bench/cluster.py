"""W1 on one ParrotChat process in memory, and on two processes sharing one Redis, in one run.

The load generator is the side-by-side benchmark's (bench/loadgen, Node `ws`), pinned to
core 1; the servers are pinned to core 0: the one in-memory process, or the two nodes and
redis-server together, so both setups have the same core and the difference is what the
Redis path costs. With two nodes, a room's members alternate between them (each room spans
both) and the generator times the copies that crossed from one node to the other apart.
Configurations alternate for `--rounds` rounds, so a noisy machine moves both alike. The
server CPU (/proc/<pid>/stat) of every process and Redis' INFO commandstats are read at the
generator's measurement boundaries. Writes bench/results/cluster.json and cluster.md
(docs/benchmarks.md), the servers' logs to bench/results/logs/. Traffic stays on
127.0.0.1; every process is stopped by its PID.

    uv run python bench/cluster.py                 # W1, 3 rounds, ~5 min
    uv run python bench/cluster.py --rounds 1 --duration 10 --concurrency 500
"""

from __future__ import annotations

import argparse
import json
import os
import queue
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import asdict, replace
from pathlib import Path
from typing import IO, Any

import redis

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.harness.generator import MAIN, Scenario
from bench.harness.servers import (
    GENERATOR_CORE,
    PARROT_BENCH_ENV,
    ROOT,
    SERVER_CORE,
    cpu_seconds,
    free_port,
    pinned,
    pinning_available,
    raise_open_files,
    rss_bytes,
    run_queue_waits,
)
from bench.sidebyside import SCENARIOS, cpu_pressure, machine

RESULTS = ROOT / "bench" / "results"
CONFIGS = ("memory-1", "redis-2")


class Processes:
    """The servers of one configuration, started pinned, stopped by PID."""

    def __init__(self, config: str, log: IO[str], pin: bool, workdir: Path) -> None:
        self.redis: subprocess.Popen[bytes] | None = None
        self.redis_port: int | None = None
        self.nodes: list[subprocess.Popen[bytes]] = []
        self.ports: list[int] = []
        core = SERVER_CORE if pin else None
        env = {k: v for k, v in os.environ.items() if not k.startswith("PARROT_")}
        env.update(PARROT_BENCH_ENV, PARROT_HOST="127.0.0.1", PYTHONUNBUFFERED="1")
        count = 1
        if config == "redis-2":
            count = 2
            self.redis_port = free_port()
            redis_server = shutil.which("redis-server")
            assert redis_server, "redis-server is missing (apt-get install redis-server)"
            self.redis = subprocess.Popen(
                pinned(
                    [
                        *(redis_server, "--port", str(self.redis_port), "--bind", "127.0.0.1"),
                        *("--save", "", "--appendonly", "no", "--dir", str(workdir)),
                    ],
                    core,
                ),
                stdout=log,
                stderr=subprocess.STDOUT,
            )
            env["PARROT_REDIS_URL"] = f"redis://127.0.0.1:{self.redis_port}/0"
            self._wait(lambda: self.client().ping())
        for index in range(count):
            port = free_port()
            node_env = {**env, "PARROT_PORT": str(port), "PARROT_NODE_ID": f"bench-{index}"}
            self.nodes.append(
                subprocess.Popen(
                    pinned([sys.executable, "-m", "app"], core),
                    env=node_env,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    cwd=ROOT,
                )
            )
            self.ports.append(port)
        for port in self.ports:
            self._wait(lambda port=port: _healthy(port))

    def client(self) -> redis.Redis:
        assert self.redis_port is not None
        return redis.Redis(port=self.redis_port, socket_timeout=2)

    @staticmethod
    def _wait(check: Any, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while True:
            try:
                if check():
                    return
            except Exception:  # not up yet
                if time.monotonic() > deadline:
                    raise
            time.sleep(0.1)

    @property
    def urls(self) -> list[str]:
        return [f"ws://127.0.0.1:{port}/ws" for port in self.ports]

    def cpu(self) -> dict[str, float]:
        found = {f"node{i}": cpu_seconds(p.pid) for i, p in enumerate(self.nodes)}
        if self.redis is not None:
            found["redis"] = cpu_seconds(self.redis.pid)
        return found

    def waits(self) -> dict[str, float]:
        """Seconds each process was runnable but not running (the machine's noise)."""
        processes = {f"node{i}": p for i, p in enumerate(self.nodes)}
        if self.redis is not None:
            processes["redis"] = self.redis
        return {name: sum(run_queue_waits(p.pid).values()) for name, p in processes.items()}

    def commandstats(self) -> dict[str, int]:
        if self.redis is None:
            return {}
        stats = self.client().info("commandstats")
        return {name: int(row["calls"]) for name, row in stats.items()}

    def stop(self) -> None:
        # The nodes first (they drain and leave their rooms in Redis), then Redis.
        for group in (self.nodes, [self.redis] if self.redis else []):
            for process in group:
                if process.poll() is None:
                    process.send_signal(signal.SIGTERM)
            for process in group:
                try:
                    process.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait(timeout=10)


def _healthy(port: int) -> bool:
    import urllib.request

    with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1) as reply:
        return bool(reply.status == 200)


def _plan(scenario: Scenario, urls: list[str]) -> dict[str, Any]:
    return {
        "url": urls[0],
        "urls": urls,
        "connections": scenario.connections,
        "rooms": scenario.rooms,
        "workers": 1,
        "mode": "process",
        "senders_per_room": scenario.senders_per_room,
        "stalled": [],
        "concurrency": scenario.concurrency,
        "connect_timeout_s": scenario.connect_timeout_s,
        "steps": [asdict(step) for step in scenario.steps],
        "stop_when": None,
    }


def run_one(scenario: Scenario, config: str, pin: bool, log: IO[str]) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as workdir:
        servers = Processes(config, log, pin, Path(workdir))
        try:
            time.sleep(1.0)
            return _measure(scenario, config, servers, pin, log)
        finally:
            servers.stop()


def _measure(
    scenario: Scenario, config: str, servers: Processes, pin: bool, log: IO[str]
) -> dict[str, Any]:
    node = subprocess.Popen(
        pinned(["node", str(MAIN), json.dumps(_plan(scenario, servers.urls))],
               GENERATOR_CORE if pin else None),
        stdout=subprocess.PIPE, stderr=log, text=True, cwd=ROOT, start_new_session=True,
    )  # fmt: skip
    assert node.stdout is not None
    lines: queue.Queue[str | None] = queue.Queue()

    def pump() -> None:
        assert node.stdout is not None
        for line in node.stdout:
            lines.put(line)
        lines.put(None)

    threading.Thread(target=pump, daemon=True).start()
    result: dict[str, Any] = {"config": config}
    cpu_start: dict[str, float] = {}
    calls_start: dict[str, int] = {}
    waits_start: dict[str, float] = {}
    started = 0.0
    budget = (
        scenario.connect_timeout_s
        + 60
        + sum(s.warmup_s + s.duration_s + 15 for s in scenario.steps)
    )
    deadline = time.monotonic() + budget
    try:
        while True:
            line = lines.get(timeout=max(0.1, deadline - time.monotonic()))
            if line is None:
                break
            event = json.loads(line)
            kind = event.pop("event")
            if kind == "connected":
                result["connected"] = event
            elif kind == "measure_start":
                cpu_start, calls_start = servers.cpu(), servers.commandstats()
                waits_start = servers.waits()
                started = time.monotonic()
            elif kind == "measure_end":
                elapsed = time.monotonic() - started
                cpu_end, calls_end = servers.cpu(), servers.commandstats()
                result["window_s"] = elapsed
                result["cpu_s"] = {k: cpu_end[k] - cpu_start[k] for k in cpu_end}
                result["run_queue_wait_percent"] = {
                    k: round(100 * (v - waits_start[k]) / elapsed, 1)
                    for k, v in servers.waits().items()
                }
                result["redis_calls"] = {
                    k: v - calls_start.get(k, 0) for k, v in calls_end.items()
                    if v - calls_start.get(k, 0) > 0
                }  # fmt: skip
                result["rss_mb"] = [round(rss_bytes(p.pid) / 2**20, 1) for p in servers.nodes]
            elif kind == "step":
                result["step"] = event
            elif kind == "done":
                break
    finally:
        if node.poll() is None:
            try:
                node.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(node.pid, signal.SIGKILL)
                node.wait(timeout=5)
    if "step" not in result:
        raise RuntimeError(
            f"the generator ended without a step (exit {node.returncode}); see the log"
        )
    return _figures(result)


def _figures(result: dict[str, Any]) -> dict[str, Any]:
    step = result["step"]
    window = step["duration_s"]
    messages = step["sent"]
    nodes_cpu = sum(v for k, v in result["cpu_s"].items() if k.startswith("node"))
    redis_cpu = result["cpu_s"].get("redis", 0.0)
    result["figures"] = {
        "deliveries_per_s": step["deliveries_per_s"],
        "delivery_ratio": step["delivery_ratio"],
        "errors": step["errors"]["total"],
        "messages": messages,
        "p50_ms": step["latency"]["p50_ms"],
        "p99_ms": step["latency"]["p99_ms"],
        "cross_p50_ms": step.get("cross_node_latency", {}).get("p50_ms"),
        "cross_p99_ms": step.get("cross_node_latency", {}).get("p99_ms"),
        "cross_samples": step.get("cross_node_latency", {}).get("samples"),
        "server_cpu_percent": round(100 * nodes_cpu / result["window_s"], 1),
        "server_cpu_us_per_message": round(1e6 * nodes_cpu / messages, 1) if messages else None,
        "server_cpu_us_per_delivery": round(1e6 * nodes_cpu / step["delivered"], 2)
        if step["delivered"]
        else None,
        "redis_cpu_percent": round(100 * redis_cpu / result["window_s"], 1),
        "redis_cpu_us_per_message": round(1e6 * redis_cpu / messages, 1) if messages else None,
        "redis_calls_per_message": {
            k.removeprefix("cmdstat_"): round(v / messages, 2)
            for k, v in sorted(result["redis_calls"].items())
        }
        if messages
        else {},
        "generator_cpu_percent": step["generator_cpu_percent"],
        "run_queue_wait_percent": result["run_queue_wait_percent"],
        "window_s": round(window, 1),
    }
    return result


def _calls(run: dict[str, Any]) -> dict[str, float]:
    calls: dict[str, float] = run["figures"]["redis_calls_per_message"]
    return calls


def _median(runs: list[dict[str, Any]], key: str) -> float | None:
    values = [r["figures"][key] for r in runs if r["figures"][key] is not None]
    return round(statistics.median(values), 2) if values else None


def markdown(runs: list[dict[str, Any]], header: dict[str, Any]) -> str:
    rows = [
        "| round | setup | deliveries/s | p50 ms | p99 ms | cross-node p50 / p99 ms | "
        "server CPU | µs server CPU / message | µs / delivery | Redis CPU | "
        "µs Redis CPU / message | connected | run-queue wait (noise) |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for run in runs:
        f = run["figures"]
        cross = "-" if f["cross_p50_ms"] is None else f"{f['cross_p50_ms']} / {f['cross_p99_ms']}"
        redis_cpu = "-" if run["config"] == "memory-1" else f"{f['redis_cpu_percent']} %"
        redis_us = "-" if run["config"] == "memory-1" else f"{f['redis_cpu_us_per_message']}"
        rows.append(
            f"| {run['round']} | {run['config']} | {f['deliveries_per_s']:,.0f} | {f['p50_ms']} | "
            f"{f['p99_ms']} | {cross} | {f['server_cpu_percent']} % | "
            f"{f['server_cpu_us_per_message']} | {f['server_cpu_us_per_delivery']} | "
            f"{redis_cpu} | {redis_us} | {run['connected'].get('established')} | "
            + ", ".join(f"{k} {v} %" for k, v in f["run_queue_wait_percent"].items())
            + " |"
        )
    memory = [r for r in runs if r["config"] == "memory-1"]
    cluster = [r for r in runs if r["config"] == "redis-2"]
    p99_1, p99_x = _median(memory, "p99_ms"), _median(cluster, "cross_p99_ms")
    cpu_1 = _median(memory, "server_cpu_us_per_message")
    cpu_2 = _median(cluster, "server_cpu_us_per_message")
    lines = [
        f"Command: `{header['command']}`, started {header['started']}; {header['pinning']}; "
        f"connections opened {header['concurrency']} at a time.",
        f"Load average before / after: {header['load_before']} / {header['load_after']}; "
        f"CPU pressure after: `{header['pressure_after']}`.",
        "",
        *rows,
        "",
        f"Medians: single-process p99 {p99_1} ms, cross-node p99 {p99_x} ms "
        f"(ratio {round(p99_x / p99_1, 2) if p99_1 and p99_x else '-'}; target ≤ 2); "
        f"server CPU per accepted message {cpu_1} µs in memory, {cpu_2} µs on two nodes "
        f"(+{round(cpu_2 - cpu_1, 1) if cpu_1 and cpu_2 else '-'} µs; target ≤ +50 µs); "
        f"Redis {_median(cluster, 'redis_cpu_us_per_message')} µs per message.",
        "",
        "Redis calls per accepted message (two nodes, last round): "
        + ", ".join(
            f"`{k}` {v}" for k, v in cluster[-1]["figures"]["redis_calls_per_message"].items()
        )
        if cluster
        else "",
    ]
    return "\n".join(lines) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--duration", type=float, default=20.0, help="measured seconds")
    parser.add_argument("--configs", nargs="+", choices=CONFIGS, default=list(CONFIGS))
    parser.add_argument(
        "--concurrency",
        type=int,
        default=100,
        help="connections opened at once before the measurement (the side-by-side default is "
        "500; see docs/benchmarks.md for what a join storm does to two nodes on one core)",
    )
    parser.add_argument("--out", type=Path, default=RESULTS)
    parser.add_argument(
        "--no-pin", action="store_true", help="let the scheduler place every process"
    )
    args = parser.parse_args()
    base = SCENARIOS["w1"]
    scenario = replace(
        base,
        steps=(replace(base.steps[0], duration_s=args.duration),),
        concurrency=args.concurrency,
    )
    pin = pinning_available() and not args.no_pin
    if pin:
        os.sched_setaffinity(0, {GENERATOR_CORE})
    raise_open_files()
    header: dict[str, Any] = {
        "command": "uv run python bench/cluster.py " + " ".join(sys.argv[1:]),
        "machine": machine(),
        "pinning": "servers (and redis-server): taskset -c 0, generator: taskset -c 1"
        if pin
        else "none (unpinned)",
        "parrotchat_env": PARROT_BENCH_ENV,
        "started": time.strftime("%Y-%m-%d %H:%M:%S %z"),
        "concurrency": args.concurrency,
        "load_before": ", ".join(f"{v:.2f}" for v in os.getloadavg()),
    }
    print(f"cluster W1: {header['pinning']}; load average {header['load_before']}", flush=True)
    args.out.mkdir(parents=True, exist_ok=True)
    runs = []
    (args.out / "logs").mkdir(exist_ok=True)
    with (args.out / "logs" / "cluster-servers.log").open("w") as log:
        for round_ in range(1, args.rounds + 1):
            for config in args.configs:
                result = run_one(scenario, config, pin, log)
                result["round"] = round_
                print(f"round {round_} {config}: {json.dumps(result['figures'])}", flush=True)
                runs.append(result)
    header["load_after"] = ", ".join(f"{v:.2f}" for v in os.getloadavg())
    header["pressure_after"] = cpu_pressure()
    (args.out / "cluster.json").write_text(json.dumps({**header, "runs": runs}, indent=1) + "\n")
    table = markdown(runs, header)
    (args.out / "cluster.md").write_text(table)
    print("\n" + table)
    return 0 if all(r["figures"]["errors"] == 0 for r in runs) else 1


if __name__ == "__main__":
    sys.exit(main())
