"""The side-by-side results as markdown tables, a latency-vs-load plot and a profile digest."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

from bench.harness.generator import MIN_DELIVERY_RATIO, P99_LIMIT_MS

Result = dict[str, Any]
LABELS = {"parrotchat": "ParrotChat", "reference": "reference"}


def sustained(step: Result) -> bool:
    ratio = step["delivery_ratio"]
    p99 = step["latency"]["p99_ms"]
    return (
        p99 is not None
        and p99 < P99_LIMIT_MS
        and ratio is not None
        and ratio >= MIN_DELIVERY_RATIO
        and step["errors"]["total"] == 0
        and not step["generator_saturated"]
    )


def cpu_us_per_delivery(step: Result) -> float | None:
    if not step["deliveries_per_s"]:
        return None
    return float(step["server_cpu_percent"]) * 1e4 / float(step["deliveries_per_s"])


def rss_per_connection(run: Result, step: Result) -> float | None:
    established = int(run["connected"].get("established", 0))
    if not established:
        return None
    return (int(step["server_rss_bytes"]) - int(run["rss_idle_bytes"])) / established


def ladder_best(run: Result) -> Result | None:
    """The highest-load step that held p99 and delivery; the ladder stopped at the first rate
    that missed twice, so every step that held lies below it."""
    held = [step for step in run["steps"] if sustained(step)]
    return max(held, key=lambda step: step["deliveries_per_s"], default=None)


def _fmt(value: float | None, digits: int = 1) -> str:
    if value is None:
        return "-"
    return f"{value:,.{digits}f}"


def _ratio(a: float | None, b: float | None) -> str:
    if a is None or b is None or b == 0:
        return "-"
    return f"{a / b:.2f} x"


def _saturated(step: Result) -> str:
    return " SATURATED" if step["generator_saturated"] else ""


def _errors(step: Result) -> str:
    errors = step["errors"]
    if errors["total"] == 0:
        return "0"
    parts = [f"close {code} x{n}" for code, n in errors["unexpected_closes"].items()]
    parts += [f"{code} x{n}" for code, n in errors["error_events"].items()]
    for key in ("out_of_order", "send_skipped"):
        if errors[key]:
            parts.append(f"{key} x{errors[key]}")
    return f"{errors['total']} ({', '.join(parts)})"


def _rows(runs: list[Result]) -> list[tuple[str, Result, Result]]:
    """(scenario title, run, step) for every reported step; ladders only their best step."""
    rows = []
    for run in runs:
        if run["ladder"]:
            best = ladder_best(run)
            failed = run["steps"][-1] if run["steps"] else None
            for step, tag in ((best, "best held"), (failed, "first missed")):
                if step is not None and (tag == "best held" or not sustained(step)):
                    rows.append((f"{run['title']}: {tag}", run, step))
        else:
            rows.extend((run["title"], run, step) for step in run["steps"])
    return rows


def markdown(runs: list[Result]) -> str:
    head = (
        "| scenario | server | connections (set-up s) | deliveries/s | p50 ms | p95 ms | p99 ms "
        "| p99.9 ms | max ms | delivery ratio | errors | server CPU | CPU µs / delivery "
        "| RSS / connection | generator CPU (loop delay max) "
        "| run-queue wait server / generator |\n" + "|---|---|---:|" + "---:|" * 13 + "\n"
    )
    lines = []
    for title, run, step in _rows(runs):
        lat = step["latency"]
        rss = rss_per_connection(run, step)
        lines.append(
            f"| {title} | {LABELS[run['server']]} "
            f"| {run['connected'].get('established', 0):,} ({run['connected'].get('seconds')}) "
            f"| {step['deliveries_per_s']:,.0f} | {_fmt(lat['p50_ms'])} | {_fmt(lat['p95_ms'])} "
            f"| {_fmt(lat['p99_ms'])} | {_fmt(lat['p999_ms'])} | {_fmt(lat['max_ms'])} "
            f"| {step['delivery_ratio']} | {_errors(step)} | {step['server_cpu_percent']} % "
            f"| {_fmt(cpu_us_per_delivery(step), 2)} "
            f"| {_fmt(None if rss is None else rss / 1024)} KB "
            f"| {step['generator_cpu_percent']} %{_saturated(step)} "
            f"({step['generator_loop_delay_ms']['max']:.0f} ms) "
            f"| {step['server_run_queue_wait_percent']} % / "
            f"{step['generator_run_queue_wait_percent']} % |"
        )
    return head + "\n".join(lines) + "\n\n" + ratios(runs) + "\n" + slow_consumer(runs)


def ratios(runs: list[Result]) -> str:
    by_key: dict[str, dict[str, Result]] = {}
    for run in runs:
        by_key.setdefault(run["key"], {})[run["server"]] = run
    lines = [
        "| scenario | p99 ParrotChat / reference | CPU per delivery ParrotChat / reference "
        "| RSS per connection ParrotChat / reference | highest held deliveries/s "
        "ParrotChat / reference |",
        "|---|---:|---:|---:|---:|",
    ]
    for pair in by_key.values():
        if set(pair) != {"parrotchat", "reference"}:
            continue
        ours, ref = pair["parrotchat"], pair["reference"]
        title = ours["title"]
        if ours["ladder"]:
            a, b = ladder_best(ours), ladder_best(ref)
            held = _ratio(
                a["deliveries_per_s"] if a else None, b["deliveries_per_s"] if b else None
            )
            lines.append(
                f"| {title} | - | - | - | {held} "
                f"({_fmt(a['deliveries_per_s'] if a else None, 0)} / "
                f"{_fmt(b['deliveries_per_s'] if b else None, 0)}) |"
            )
            continue
        for step_a, step_b in zip(ours["steps"], ref["steps"], strict=False):
            lines.append(
                f"| {title} "
                f"| {_ratio(step_a['latency']['p99_ms'], step_b['latency']['p99_ms'])} "
                f"| {_ratio(cpu_us_per_delivery(step_a), cpu_us_per_delivery(step_b))} "
                f"| {_ratio(rss_per_connection(ours, step_a), rss_per_connection(ref, step_b))} "
                f"| - |"
            )
    return "\n".join(lines) + "\n"


def slow_consumer(runs: list[Result]) -> str:
    """What became of the member that stopped reading, and of everyone else."""
    stalled_runs = [r for r in runs if r["stalled"]]
    if not stalled_runs:
        return ""
    lines = [
        "| slow consumer | others' p50 ms | others' p99 ms | others' max ms "
        "| copies delivered / expected | server closes (by code, end of window) "
        "| drops counted | server RSS growth |",
        "|---|---:|---:|---:|---:|---|---|---:|",
    ]
    for run in stalled_runs:
        for step in run["steps"]:
            lat = step["latency"]
            closes = step["server_closes"]
            dropped = step["server_dropped"]
            growth = (int(step["server_rss_bytes"]) - int(run["rss_idle_bytes"])) / 2**20
            lines.append(
                f"| {LABELS[run['server']]} | {_fmt(lat['p50_ms'])} | {_fmt(lat['p99_ms'])} "
                f"| {_fmt(lat['max_ms'])} | {step['delivered']:,} / {step['expected']:,} "
                f"| {_counters(closes)} | {_counters(dropped)} | {growth:.1f} MB |"
            )
    return "\n".join(lines) + "\n"


def _counters(series: dict[str, float] | None) -> str:
    if series is None:
        return "not counted (no metrics)"
    shown = [f"{key}: {value:.0f}" for key, value in sorted(series.items()) if value]
    return ", ".join(shown) or "none"


def plot(runs: list[Result], out: Path, subtitle: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    colours = {"parrotchat": "tab:red", "reference": "tab:blue"}
    figure, axes = plt.subplots(figsize=(11.5, 5.5), dpi=110)
    for run in runs:
        steps = [s for s in run["steps"] if s["latency"]["p99_ms"] is not None]
        if not steps:
            continue
        colour, label = colours[run["server"]], LABELS[run["server"]]
        if run["ladder"]:
            # a rate run twice is shown by its deciding (second) attempt; the first is a ring
            deciding = {s["interval_s"]: s for s in steps}
            redone = [s for s in steps if deciding[s["interval_s"]] is not s]
            axes.plot([s["deliveries_per_s"] for s in redone],
                      [s["latency"]["p99_ms"] for s in redone], "o", color=colour,
                      fillstyle="none", label=f"{label}: p99 of a missed step, re-run")  # fmt: skip
            steps = sorted(deciding.values(), key=lambda s: -s["interval_s"])
        x = [s["deliveries_per_s"] for s in steps]
        if run["ladder"]:
            axes.plot(x, [s["latency"]["p99_ms"] for s in steps], "o-", color=colour,
                      label=f"{label}: p99 (1,000 connections)")  # fmt: skip
            axes.plot(x, [s["latency"]["p50_ms"] for s in steps], "o--", color=colour,
                      alpha=0.5, label=f"{label}: p50")  # fmt: skip
        elif run["key"] in {"w1", "w2", "w3"}:
            fixed = [r["key"] for r in runs if r["server"] == run["server"]]
            first = run["key"] == min(k for k in fixed if k.startswith("w"))
            y = [s["latency"]["p99_ms"] for s in steps]
            marker = "*" if run["connections"] >= 5000 else "X"
            axes.plot(x, y, marker, color=colour, markersize=12,
                      label=f"{label}: p99, W1-W3 (fresh server)" if first else None)  # fmt: skip
            for xy in zip(x, y, strict=True):
                axes.annotate(run["key"].upper(), xy, textcoords="offset points", xytext=(7, 5),
                              color=colour, fontsize=8)  # fmt: skip
    axes.axhline(
        P99_LIMIT_MS, color="grey", linestyle=":", label=f"p99 target {P99_LIMIT_MS:.0f} ms"
    )
    axes.set_yscale("log")
    axes.xaxis.set_major_formatter(lambda value, _position: f"{value / 1000:.0f}k")
    axes.set_xlabel("deliveries per second (message copies received by members)")
    axes.set_ylabel("latency, send → receipt (ms, log scale)")
    axes.set_title(f"Broadcast latency vs load, server on one core\n{subtitle}", fontsize=10)
    axes.grid(True, which="both", alpha=0.3)
    axes.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0), borderaxespad=0)
    figure.tight_layout()
    out.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(out)
    plt.close(figure)


def profile_digest(raw: Path, top: int = 20) -> str:
    """Self and inclusive shares of py-spy's folded stacks ('frame;frame;... count')."""
    own: Counter[str] = Counter()
    inclusive: Counter[str] = Counter()
    total = 0
    for line in raw.read_text().splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not stack or not count_text.isdigit():
            continue
        count = int(count_text)
        # --threads/--idle would prefix a thread or process frame: not a function
        frames = [_frame(f) for f in stack.split(";") if not f.startswith(("thread ", "process "))]
        if not frames:
            continue
        total += count
        own[frames[-1]] += count
        for frame in set(frames):
            inclusive[frame] += count
    if total == 0:
        return "no samples\n"
    out = [f"{total} samples\n", "self %  function"]
    out += [f"{100 * n / total:5.1f}  {name}" for name, n in own.most_common(top)]
    out += ["", "total %  function"]
    out += [f"{100 * n / total:5.1f}  {name}" for name, n in inclusive.most_common(top)]
    return "\n".join(out) + "\n"


def _frame(frame: str) -> str:
    """'send (uvicorn/protocols/.../impl.py:123)' → 'send (…/impl.py)': lines merged."""
    name, _, where = frame.partition(" (")
    path = where.rstrip(")").rsplit(":", 1)[0]
    return f"{name} ({'/'.join(path.split('/')[-2:])})"
