"""Hot-path cost of observability per chat message: metrics, logging and tracing, each off
and on, for a message sent into a room of `--members` recipients.

Run: uv run python bench/obs_hot_path.py [--messages N] [--members M] [--rounds R]

Part 1 ("per message") replays exactly the observability calls one accepted message makes
on the event loop, with nothing else around them:
  - logging: `bind_event` (count the event, set the request-ID contextvar, a debug-level
    check that is false at the default INFO level);
  - metrics: msgs_in, then per recipient msgs_out and one broadcast-latency observation;
  - tracing: the `@traced("chat.send")` wrapper with its `annotate`, and the
    `chat.broadcast` span (disabled: the port's NullTracer, what runs when no OTEL endpoint
    is set; enabled: the OpenTelemetry SDK with a batch processor feeding an exporter that
    drops everything, so export cost stays off the loop as in production).
Part 2 ("end to end") times ChatService.send through the Hub into no-op outboxes, with
every layer off and then all on, to put Part 1 next to the rest of the work per message.

Each figure is the median over R rounds of (round time / N messages), in microseconds.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import platform
import statistics
import sys
import time
from collections.abc import Awaitable, Callable, Sequence

from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SpanExporter, SpanExportResult
from opentelemetry.sdk.trace.sampling import ParentBased, TraceIdRatioBased

from app.adapters.otel import OtelTracer
from app.adapters.prometheus import PrometheusMetrics
from app.bootstrap import build
from app.logs import configure_logging
from app.ports import NULL_TRACER, Metrics, NullMetrics, Tracer
from app.services.hub import Frame
from app.services.tracing import traced
from app.settings import Settings
from app.web import wire
from app.web.telemetry import bind_event
from app.web.wire import encode

DEVNULL = open(os.devnull, "w")  # noqa: SIM115  # the log stream, open for the whole run


class DropExporter(SpanExporter):
    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        return SpanExportResult.SUCCESS


def sdk_provider(ratio: float = 1.0) -> TracerProvider:
    """What OTEL_* would build (minus the network): sampler ParentBased(TraceIdRatio(ratio))."""
    provider = TracerProvider(sampler=ParentBased(TraceIdRatioBased(ratio)))
    provider.add_span_processor(BatchSpanProcessor(DropExporter()))
    return provider


class FakeConnection:
    """What bind_event touches on a Connection."""

    def __init__(self) -> None:
        self.id = "0123456789abcdef"
        self.events_in = 0


class Replay:
    """The observability calls of one accepted message, in the order the server makes them."""

    def __init__(self, metrics: Metrics, tracer: Tracer, log: bool, members: int) -> None:
        self._metrics = metrics
        self._tracer = tracer
        self._log = log
        self._members = range(members)
        self._connection = FakeConnection()
        self._event = wire.parse_client_event('{"type":"send","room":"lobby","text":"hi"}')

    async def message(self, seq: int) -> None:
        if self._log:
            bind_event(self._connection, self._event)  # type: ignore[arg-type]  # duck-typed
        await self._send(seq)

    @traced("chat.send")
    async def _send(self, seq: int) -> None:
        metrics = self._metrics
        metrics.message_in()
        self._tracer.annotate(room="lobby", seq=seq)
        with self._tracer.span("chat.broadcast", {"room": "lobby", "members": 2, "seq": seq}):
            for _ in self._members:
                metrics.messages_out(1)
        accepted = time.monotonic()
        for _ in self._members:  # the writer, per recipient, after handing the frame over
            metrics.broadcast_latency(time.monotonic() - accepted)


async def per_round(step: Callable[[int], Awaitable[None]], messages: int) -> float:
    started = time.perf_counter_ns()
    for seq in range(messages):
        await step(seq)
    return (time.perf_counter_ns() - started) / messages / 1000


async def measure(
    cases: dict[str, Callable[[int], Awaitable[None]]], messages: int, rounds: int
) -> dict[str, float]:
    samples: dict[str, list[float]] = {name: [] for name in cases}
    for step in cases.values():  # warm-up
        await per_round(step, min(messages, 2000))
    for _ in range(rounds):  # interleaved, so drift hits every case alike
        for name, step in cases.items():
            samples[name].append(await per_round(step, messages))
    return {name: statistics.median(values) for name, values in samples.items()}


class NoopSink:
    def give_up(self) -> None:
        pass

    def offer(self, frame: Frame, *, droppable: bool = False, accepted_at: float = 0.0) -> bool:
        return True


class LatencySink(NoopSink):
    """Also makes the writer's per-recipient latency call (the real writer makes it after
    handing the frame to the transport)."""

    def __init__(self, metrics: Metrics) -> None:
        self._latency = metrics.broadcast_latency

    def give_up(self) -> None:
        pass

    def offer(self, frame: Frame, *, droppable: bool = False, accepted_at: float = 0.0) -> bool:
        if accepted_at:
            self._latency(time.monotonic() - accepted_at)
        return True


async def end_to_end_case(on: bool, members: int) -> Callable[[int], Awaitable[None]]:
    metrics: Metrics = PrometheusMetrics() if on else NullMetrics()
    settings = Settings(rate_messages=((10**9, 1.0),))
    container = build(
        settings, encode=encode, metrics=metrics, tracer_provider=sdk_provider() if on else None
    )
    await container.broker.start(container.hub.deliver)
    chat = container.chat
    for n in range(members):
        conn = f"c{n}"
        chat.sessions.connect(conn)
        container.hub.attach(conn, LatencySink(metrics) if on else NoopSink())
        await chat.sessions.hello(conn, f"member{n}")
        await chat.membership.join(conn, "lobby")
    connection = FakeConnection()
    event = wire.parse_client_event('{"type":"send","room":"lobby","text":"hello *world*"}')

    async def step(seq: int) -> None:
        if on:
            bind_event(connection, event)  # type: ignore[arg-type]  # duck-typed
        await chat.messaging.send("c0", "lobby", "hello *world*")

    return step


async def run(messages: int, members: int, rounds: int) -> None:
    # As in production: root at INFO, JSON to a stream (nothing is written per message).
    configure_logging("INFO", "json", stream=DEVNULL)
    prom = PrometheusMetrics()
    otel = OtelTracer(sdk_provider())
    sampled = OtelTracer(sdk_provider(0.01))
    null = NullMetrics()
    cases: dict[str, Callable[[int], Awaitable[None]]] = {
        "all off (NullMetrics, NullTracer, no bind)": Replay(
            null, NULL_TRACER, False, members
        ).message,
        "metrics only": Replay(prom, NULL_TRACER, False, members).message,
        "logging only (bind_event)": Replay(null, NULL_TRACER, True, members).message,
        "tracing only, enabled (SDK)": Replay(null, otel, False, members).message,
        "metrics + logging, tracing disabled (default)": Replay(
            prom, NULL_TRACER, True, members
        ).message,
        "tracing only, enabled, 1% sampled": Replay(null, sampled, False, members).message,
        "metrics + logging + tracing enabled": Replay(prom, otel, True, members).message,
        "metrics + logging + tracing 1% sampled": Replay(prom, sampled, True, members).message,
    }
    part1 = await measure(cases, messages, rounds)
    e2e = {
        "ChatService.send, all off": await end_to_end_case(False, members),
        "ChatService.send, metrics + logging + tracing on": await end_to_end_case(True, members),
    }
    part2 = await measure(e2e, messages // 4, rounds)

    base = part1["all off (NullMetrics, NullTracer, no bind)"]
    print(
        f"CPython {platform.python_version()} on {platform.machine()}, {os.cpu_count()} CPUs; "
        f"{messages} messages x {rounds} rounds, {members} recipients per message\n"
    )
    print("| per message (Part 1) | µs | over all-off µs |")
    print("|---|---:|---:|")
    for name, value in part1.items():
        print(f"| {name} | {value:.2f} | {value - base:+.2f} |")
    print("\n| end to end (Part 2) | µs per message |")
    print("|---|---:|")
    for name, value in part2.items():
        print(f"| {name} | {value:.1f} |")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--messages", type=int, default=20_000)
    parser.add_argument("--members", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args(argv)
    logging.getLogger("parrotchat").setLevel(logging.INFO)
    asyncio.run(run(args.messages, args.members, args.rounds))
    sys.stdout.flush()


if __name__ == "__main__":
    main()
