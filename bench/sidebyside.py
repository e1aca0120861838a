"""ParrotChat and the bare FastAPI reference (bench/reference_server.py), side by side.

For each scenario and each server: start the server pinned to core 0 (`taskset -c 0`), wait
for /healthz, drive it with the Node `ws` load generator pinned to core 1 (bench/loadgen),
sample the server's CPU (/proc/<pid>/stat) and RSS over each measurement window, stop it by
its PID. Both servers run in the same invocation, one after the other per scenario, so every
figure is also a ratio that a noisy machine moves for both alike. Traffic stays on
127.0.0.1. Writes bench/results/sidebyside.json, bench/results/sidebyside.md and
docs/images/bench-latency.png (see docs/benchmarks.md).

    uv run python bench/sidebyside.py              # everything, ~12 min (uv run task bench)
    uv run python bench/sidebyside.py --smoke      # a few seconds per server
    uv run python bench/sidebyside.py --only w3 --servers parrotchat --profile
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.harness import report
from bench.harness.generator import Profiler, Scenario, Step, run_generator
from bench.harness.servers import (
    KINDS,
    PARROT_BENCH_ENV,
    ROOT,
    RunningServer,
    pinning_available,
    raise_open_files,
)

RESULTS = ROOT / "bench" / "results"
PLOT = ROOT / "docs" / "images" / "bench-latency.png"
LADDER_RATES = tuple(k * 1000 for k in (10, 20, 25, 30, 35, 40, 45, 50, 55, 60, 70))


def _ladder() -> Scenario:
    # 1,000 members, all sending, 100 copies per message: interval = 100,000 / rate.
    steps = tuple(
        Step(f"{rate:,}/s", interval_s=100_000 / rate, warmup_s=3, duration_s=15)
        for rate in LADDER_RATES
    )
    title = "ladder, 1,000 connections, 10 rooms of 100"
    return Scenario("ladder", title, 1000, 10, 100, steps, ladder=True)


SCENARIOS: dict[str, Scenario] = {
    "w1": Scenario(
        "w1", "W1: 1,000 connections, 10 rooms of 100, 1 msg / member / 10 s", 1000, 10, 100,
        (Step("10,000/s", interval_s=10, warmup_s=5, duration_s=20),),
    ),
    "w2": Scenario(
        "w2", "W2: 1,000 connections, 10 rooms of 100, 1 msg / member / 2 s", 1000, 10, 100,
        (Step("50,000/s", interval_s=2, warmup_s=5, duration_s=20),),
    ),
    "w3": Scenario(
        "w3", "W3: 10,000 connections, 100 rooms of 100, 1 msg / member / 50 s", 10_000, 100,
        100, (Step("20,000/s", interval_s=50, warmup_s=5, duration_s=20),),
        connect_timeout_s=180,
    ),
    "ladder": _ladder(),
    # One member of 61 stops reading while 40 others send once a second (ParrotChat's
    # default rate): the others' latency must not notice. 45 s lets ParrotChat's heartbeat
    # (20 s ping + 20 s pong timeout) remove the stalled member within the run.
    "slow": Scenario(
        "slow", "slow consumer: 61 connections in 1 room, 40 senders at 1/s, 1 stalled", 61, 1,
        40, (Step("2,400/s", interval_s=1, warmup_s=2, duration_s=45),), stalled=(60,),
    ),
}  # fmt: skip
SMOKE = Scenario(
    "smoke", "smoke: 200 connections, 4 rooms of 50, 1 msg / member / s", 200, 4, 50,
    (Step("10,000/s", interval_s=1, warmup_s=1, duration_s=3, drain_s=5),), connect_timeout_s=30,
)  # fmt: skip


def machine() -> dict[str, Any]:
    model = next(
        (
            line.split(":", 1)[1].strip()
            for line in subprocess.run(
                ["lscpu"], check=False, capture_output=True, text=True
            ).stdout.splitlines()
            if line.startswith("Model name")
        ),
        platform.processor(),
    )
    node = subprocess.run(
        ["node", "--version"], check=False, capture_output=True, text=True
    ).stdout.strip()
    return {
        "cpu": model,
        "cores": os.cpu_count(),
        "kernel": f"{platform.system()} {platform.release()}",
        "python": f"CPython {platform.python_version()}",
        "node": f"Node {node}",
    }


def cpu_pressure() -> str | None:
    """The kernel's "some" CPU pressure line: how often runnable tasks waited, machine-wide."""
    try:
        return Path("/proc/pressure/cpu").read_text().splitlines()[0]
    except (OSError, IndexError):
        return None


def run_one(
    scenario: Scenario, server_name: str, args: argparse.Namespace, pin: bool, out: Path
) -> dict[str, Any]:
    kind = KINDS[server_name]
    logs = out / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    with (logs / f"{scenario.key}-{server_name}.log").open("w") as log:
        server = RunningServer(kind, pin=pin, log=log)
        try:
            server.wait_healthy()
            time.sleep(1.0)  # let start-up settle before the idle RSS
            profiler = None
            if args.profile and server_name == "parrotchat":
                profiler = Profiler(out / f"profile-{scenario.key}.txt")
            run = run_generator(
                scenario, server, workers=args.workers, mode=args.mode, pin=pin, stderr=log,
                profiler=profiler,
            )  # fmt: skip
        finally:
            exit_code = server.stop()
    result: dict[str, Any] = {
        "key": scenario.key,
        "title": scenario.title,
        "server": server_name,
        "connections": scenario.connections,
        "ladder": scenario.ladder,
        "stalled": list(scenario.stalled),
        "offered_deliveries_per_s": [round(scenario.deliveries_per_s(s)) for s in scenario.steps],
        "connected": run.connected,
        "rss_idle_bytes": run.rss_idle_bytes,
        "steps": run.steps,
        "problem": run.problem,
        "server_exit_code": exit_code,
    }
    if profiler is not None and profiler.output.exists():
        result["profile"] = report.profile_digest(profiler.output)
    return result


def _line(result: dict[str, Any]) -> str:
    parts = [f"{result['key']:>6} {report.LABELS[result['server']]:<10}"]
    parts.append(f"conn {result['connected'].get('established', 0)}")
    for step in result["steps"]:
        lat = step["latency"]
        parts.append(
            f"[{step['name']}: {step['deliveries_per_s']:,.0f}/s p50 {lat['p50_ms']} "
            f"p99 {lat['p99_ms']} max {lat['max_ms']} ms ratio {step['delivery_ratio']} "
            f"errors {step['errors']['total']} cpu {step['server_cpu_percent']}% "
            f"gen {step['generator_cpu_percent']}%]"
        )
    if result["problem"]:
        parts.append(f"PROBLEM: {result['problem']}")
    return " ".join(parts)


def _preamble(header: dict[str, Any]) -> str:
    m = header["machine"]
    return (
        f"Command: `{header['command'].strip()}`, started {header['started']}.  \n"
        f"Machine: {m['cpu']}, {m['cores']} cores, {m['kernel']}, {m['python']}, {m['node']}; "
        f"{header['pinning']}; generator {header['generator']['workers']} worker(s) "
        f"({header['generator']['mode']}).  \n"
        f"ParrotChat settings for the benchmark: "
        + ", ".join(f"`{k}={v}`" for k, v in header["parrotchat_env"].items())
        + ".  \n"
        f"Load average before / after: {_load(header['load_average_before'])} / "
        f"{_load(header['load_average_after'])}; CPU pressure after: "
        f"`{header['cpu_pressure_after']}`.\n\n"
    )


def _load(triple: tuple[float, float, float]) -> str:
    return ", ".join(f"{v:.2f}" for v in triple)


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--smoke", action="store_true", help="a few seconds, 200 connections")
    parser.add_argument("--only", nargs="+", choices=sorted(SCENARIOS), help="these scenarios")
    parser.add_argument(
        "--servers", nargs="+", choices=sorted(KINDS), default=["parrotchat", "reference"]
    )
    parser.add_argument("--workers", type=int, default=1, help="generator workers")
    parser.add_argument("--mode", choices=["process", "thread"], default="process")
    parser.add_argument("--profile", action="store_true", help="py-spy ParrotChat's first step")
    parser.add_argument("--out", type=Path, help="results directory (default bench/results)")
    parser.add_argument("--plot", type=Path, help=f"the PNG (default {PLOT.relative_to(ROOT)})")
    args = parser.parse_args()  # fmt: skip
    scenarios = [SMOKE] if args.smoke else [SCENARIOS[k] for k in args.only or SCENARIOS]
    out: Path = args.out or (RESULTS / "smoke" if args.smoke else RESULTS)
    out.mkdir(parents=True, exist_ok=True)
    pin = pinning_available()
    if pin:
        os.sched_setaffinity(0, {1})  # this runner mostly waits; keep it off the server's core
    nofile = raise_open_files()
    machine_info = machine()
    header: dict[str, Any] = {
        "command": "uv run python bench/sidebyside.py " + " ".join(sys.argv[1:]),
        "machine": machine_info,
        "pinning": "server: taskset -c 0, generator: taskset -c 1" if pin else "none (unpinned)",
        "rlimit_nofile": nofile,
        "generator": {"workers": args.workers, "mode": args.mode},
        "parrotchat_env": PARROT_BENCH_ENV,
        "started": time.strftime("%Y-%m-%d %H:%M:%S %z"),
        "load_average_before": os.getloadavg(),
        "cpu_pressure_before": cpu_pressure(),
    }
    print(f"side-by-side: {header['pinning']}; RLIMIT_NOFILE {nofile}; generator "
          f"{args.workers} worker(s), {args.mode}; ParrotChat with {PARROT_BENCH_ENV} "
          f"(only the connection cap raised; its default limits hold); load average "
          f"{os.getloadavg()}",
          flush=True)  # fmt: skip
    runs = []
    for scenario in scenarios:
        for server_name in args.servers:
            result = run_one(scenario, server_name, args, pin, out)
            print(_line(result), flush=True)
            runs.append(result)
    header["load_average_after"] = os.getloadavg()
    header["cpu_pressure_after"] = cpu_pressure()
    name = "smoke" if args.smoke else "sidebyside"
    (out / f"{name}.json").write_text(json.dumps({**header, "runs": runs}, indent=1) + "\n")
    table = _preamble(header) + report.markdown(runs)
    (out / f"{name}.md").write_text(table)
    print("\n" + table)
    for run in runs:
        if "profile" in run:
            print(f"py-spy, {run['title']}, ParrotChat:\n{run['profile']}")
    plot_to = args.plot or (None if args.smoke or args.only else PLOT)
    if plot_to is not None:
        before, after = header["load_average_before"][0], header["load_average_after"][0]
        subtitle = (
            f"{machine_info['cpu']}, {header['started']}, "
            f"load average {before:.1f} before / {after:.1f} after (shared machine)"
        )
        report.plot(runs, plot_to, subtitle)
        print(f"plot: {plot_to}")
    return 1 if any(r["problem"] for r in runs) else 0


if __name__ == "__main__":
    sys.exit(main())
