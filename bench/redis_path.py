"""What the Redis path costs the server per accepted message, without fan-out or sockets.

Two chat nodes are built in this process (bootstrap.build, as the server builds them) on a
throwaway redis-server; each has one member of one room (a recording sink, no socket). Node
A's member sends; the message is numbered, kept and published by the script, and both nodes'
pub/sub readers deliver it. The same is done on the in-memory adapters (one node, two
members). The process's CPU time (time.process_time, every thread) per accepted message is
the figure; the difference is what the Redis path adds: the publish script's round trip on
the sender's node, and on each node reading and decoding the publication (and encoding the
message once more for its member). The redis-server's own CPU is read from /proc. Bounded:
a few thousand messages, loopback only. `--loop uvloop` runs on the event loop the server
uses (app/server.py); the default is asyncio's, as the earlier figures were measured.

    uv run python bench/redis_path.py [--messages 3000] [--repeat 3] [--loop uvloop]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from app.bootstrap import build
from app.container import Container
from app.ports import NullMetrics
from app.services.hub import Frame
from app.settings import Settings
from app.web.wire import encode
from bench.harness.servers import cpu_seconds
from tests.support.redis import start_redis

UNLIMITED = {"rate_messages": ((10**9, 1.0),), "rate_events": ((10**9, 1.0),)}


class Sink:
    def __init__(self) -> None:
        self.messages = 0
        self.arrived = asyncio.Event()

    def offer(self, frame: Frame, *, droppable: bool = False, accepted_at: float = 0.0) -> bool:
        if frame.text.startswith('{"type":"message"'):
            self.messages += 1
            self.arrived.set()
        return True

    def give_up(self) -> None:
        raise AssertionError("the benchmark's member fell behind")


async def _node(settings: Settings) -> Container:
    container = build(settings, encode=encode, metrics=NullMetrics())
    await container.open_store()
    await container.broker.start(container.hub.deliver, container.node.on_gap)
    return container


async def _member(container: Container, conn: str, name: str) -> Sink:
    sink = Sink()
    container.chat.sessions.connect(conn)
    container.hub.attach(conn, sink)
    await container.chat.sessions.hello(conn, name)
    await container.chat.membership.join(conn, "lobby")
    return sink


async def measure(kind: str, messages: int, url: str) -> dict[str, Any]:
    base = Settings(**UNLIMITED)  # type: ignore[arg-type]  # tuples, as the validators make them
    if kind == "memory":
        a = b = await _node(base)
    else:
        settings = dict(UNLIMITED, redis_url=url, redis_prefix=f"b{os.getpid()}{time.time_ns()}:")
        a = await _node(Settings(node_id="a", **settings))  # type: ignore[arg-type]
        b = await _node(Settings(node_id="b", **settings))  # type: ignore[arg-type]
    sender = await _member(a, "c-a", "Sender")
    receiver = await _member(b, "c-b", "Receiver")
    send = a.chat.messaging.send

    async def one() -> None:
        receiver.arrived.clear()
        before = receiver.messages
        await send("c-a", "lobby", "hello *world*, a message of a typical length for a chat")
        while receiver.messages == before:
            await receiver.arrived.wait()

    for _ in range(200):  # warm up: scripts loaded, connections open
        await one()
    start_cpu, start = time.process_time(), time.perf_counter()
    for _ in range(messages):
        await one()
    cpu, wall = time.process_time() - start_cpu, time.perf_counter() - start
    assert sender.messages >= messages
    for container in {id(a): a, id(b): b}.values():
        await container.broker.close()
        await container.close_store()
    return {"cpu_us": 1e6 * cpu / messages, "wall_us": 1e6 * wall / messages}


async def main(args: argparse.Namespace) -> None:
    with tempfile.TemporaryDirectory() as workdir:
        server = start_redis(Path(workdir))
        try:
            rows: dict[str, list[dict[str, Any]]] = {"memory": [], "redis": []}
            redis_cpu: list[float] = []
            for _ in range(args.repeat):
                for kind in ("memory", "redis"):
                    redis_before = cpu_seconds(server.process.pid)
                    rows[kind].append(await measure(kind, args.messages, server.url))
                    if kind == "redis":
                        spent = cpu_seconds(server.process.pid) - redis_before
                        redis_cpu.append(1e6 * spent / (args.messages + 200))
        finally:
            server.stop()
    print(f"{args.loop} loop; load average {', '.join(f'{v:.2f}' for v in os.getloadavg())}")
    print(
        "| adapters | server CPU µs / message, median (runs) | min "
        "| wall µs / message (send to both deliveries) |"
    )
    print("|---|---:|---:|---:|")
    for kind, runs in rows.items():
        cpu = statistics.median(r["cpu_us"] for r in runs)
        wall = statistics.median(r["wall_us"] for r in runs)
        spread = ", ".join(f"{r['cpu_us']:.0f}" for r in runs)
        low = min(r["cpu_us"] for r in runs)
        print(f"| {kind} | {cpu:.0f} ({spread}) | {low:.0f} | {wall:.0f} |")
    memory, redis = ([r["cpu_us"] for r in rows[k]] for k in ("memory", "redis"))
    added = statistics.median(redis) - statistics.median(memory)
    print(
        f"Redis path adds {added:.0f} µs of server CPU per accepted message (two nodes; "
        f"{min(redis) - min(memory):.0f} min to min);"
    )
    print(f"redis-server: {statistics.median(redis_cpu):.0f} µs CPU per message")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--messages", type=int, default=3000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--loop", choices=("asyncio", "uvloop"), default="asyncio")
    arguments = parser.parse_args()
    if arguments.loop == "uvloop":
        import uvloop

        uvloop.run(main(arguments))
    else:
        asyncio.run(main(arguments))
