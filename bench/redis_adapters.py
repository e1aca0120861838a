"""The Redis adapters on a throwaway redis-server: round trip and Redis CPU per step,
memory per room / member / message, and plain vs sharded pub/sub.

Run: uv run python bench/redis_adapters.py [--repeat N]

Round trips are timed call by call from one client (perf_counter_ns; loopback, Python and
redis-py included). "Redis µs" is the server's own time per script call (INFO
commandstats, usec_per_call of evalsha). Memory is MEMORY USAGE (SAMPLES 0) summed over
the room's keys, including its entries in the shared indexes.
"""

from __future__ import annotations

import argparse
import asyncio
import platform
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

from app.adapters.clock import SystemClock
from app.adapters.redis import LinkOptions, RedisAdapters, RedisOptions, open_redis
from app.domain.events import Envelope
from app.domain.history import Message, MessageDraft
from app.domain.model import Member
from tests.support.redis import RedisServer, start_redis

T0 = 1_790_000_000.0
TEXT = "The quick brown fox jumps over the lazy dog, and then some more words. " * 2


def member(i: int, node: str = "node-a") -> Member:
    return Member(
        name=f"Guest {i}",
        key=f"guest {i}",
        conn_id=f"{i:032x}",
        joined_at=T0,
        last_active_at=T0,
        node_id=node,
    )


def draft(room: str, n: int) -> MessageDraft:
    return MessageDraft(
        room=room, id=f"{n:032x}", author="Guest 0", text=TEXT, html=TEXT, ts=T0 + n
    )


def summary(samples: list[float]) -> tuple[float, float]:
    samples.sort()
    return statistics.median(samples), samples[max(0, int(len(samples) * 0.99) - 1)]


async def redis_usec(redis: RedisAdapters) -> float:
    stats = await redis.client.info("commandstats")
    return float(stats.get("cmdstat_evalsha", {}).get("usec_per_call", 0.0))


async def step(
    redis: RedisAdapters, label: str, op: Callable[[str], Awaitable[object]], rooms: list[str]
) -> str:
    """`op` once per room, one call at a time."""
    await redis.client.config_resetstat()
    samples = []
    for room in rooms:
        started = time.perf_counter_ns()
        await op(room)
        samples.append((time.perf_counter_ns() - started) / 1000)
    median, p99 = summary(samples)
    return f"| {label} | {median:.0f} | {p99:.0f} | {await redis_usec(redis):.1f} |"


async def round_trips(redis: RedisAdapters, repeat: int) -> None:
    print("\n| step (one script) | round trip median µs | p99 µs | Redis µs |")
    print("|---|---:|---:|---:|")
    rooms, broker = redis.rooms, redis.broker
    names = [f"r-{i}" for i in range(repeat)]

    async def publish(room: str) -> object:
        return await broker.publish_message(
            draft(room, 1), reply_conn=None, reply_ref=None, accepted_at=0.0
        )

    steps: list[tuple[str, Callable[[str], Awaitable[object]]]] = [
        ("join (creates the room)", lambda r: rooms.join(r, member(0), capacity=100, now=T0)),
        ("join (room of 1 member)", lambda r: rooms.join(r, member(1), capacity=100, now=T0)),
        ("publish_message (seq, keep, PUBLISH)", publish),
        (
            "touch (sent_message, relists)",
            lambda r: rooms.touch(r, "guest 0", now=T0 + 1, sent_message=True),
        ),
        ("typing", lambda r: rooms.typing(r, "guest 1", now=T0 + 1)),
        ("snapshot (2 members)", lambda r: rooms.snapshot(r, now=T0 + 1)),
        ("leave (room stays)", lambda r: rooms.leave(r, "guest 1", now=T0 + 2)),
        ("leave (last member: room deleted)", lambda r: rooms.leave(r, "guest 0", now=T0 + 2)),
    ]
    for label, op in steps:
        print(await step(redis, label, op, names))


async def room_bytes(redis: RedisAdapters, room: str) -> int:
    total = 0
    async for key in redis.client.scan_iter(match=redis.keys.room_base(room) + "*"):
        total += int(await redis.client.memory_usage(key, samples=0) or 0)
    return total


async def memory(redis: RedisAdapters) -> None:
    rooms, broker = redis.rooms, redis.broker
    await rooms.join("mem-one", member(0), capacity=100, now=T0)
    one = await room_bytes(redis, "mem-one")
    for i in range(100):
        await rooms.join("mem-full", member(i), capacity=100, now=T0)
    full = await room_bytes(redis, "mem-full")
    for n in range(50):
        await broker.publish_message(
            draft("mem-full", n), reply_conn=None, reply_ref=None, accepted_at=0.0
        )
    with_history = await room_bytes(redis, "mem-full")
    shared_before = sum(
        [
            int(await redis.client.memory_usage(k, samples=0) or 0)
            for k in (redis.keys.rooms, redis.keys.due)
        ]
    )
    print("\n| what | bytes |\n|---|---:|")
    print(f"| a room with 1 member, no messages (its own keys) | {one} |")
    print(f"| each further member (100-member room) | {(full - one) / 99:.0f} |")
    print(
        f"| each kept message ({len(TEXT)}-char text, same as html) | "
        f"{(with_history - full) / 50:.0f} |"
    )
    print(f"| a 100-member room with 50 messages | {with_history} |")
    print(f"| shared indexes (listing + due) for 2 rooms | {shared_before} |")


async def pubsub(server: RedisServer, sharded: bool, repeat: int) -> str:
    link = LinkOptions(sharded=sharded)
    prefix = f"ps{int(sharded)}-{time.time_ns()}:"
    opened = [
        await open_redis(
            RedisOptions(url=server.url),
            clock=SystemClock(),
            history_size=50,
            prefix=prefix,
            link=link,
        )
        for _ in range(2)
    ]
    listener, publisher = opened
    arrived: asyncio.Queue[float] = asyncio.Queue()

    def deliver(envelope: Envelope) -> None:
        if isinstance(envelope.event, Message):
            arrived.put_nowait(time.perf_counter_ns())

    try:
        await listener.broker.start(deliver)
        await publisher.broker.start(lambda _e: None)
        await listener.broker.subscribe("ping")
        await publisher.rooms.join("ping", member(0), capacity=100, now=T0)
        latencies = []
        for n in range(repeat):
            started = time.perf_counter_ns()
            await publisher.broker.publish_message(
                draft("ping", n), reply_conn=None, reply_ref=None, accepted_at=0.0
            )
            latencies.append((await arrived.get() - started) / 1000)
        median, p99 = summary(latencies)
        # Bursts of 100 concurrent publishes (as many rooms' senders at once would be).
        burst = repeat * 5
        started = time.perf_counter_ns()
        for first in range(0, burst, 100):
            await asyncio.gather(
                *(
                    publisher.broker.publish_message(
                        draft("ping", n), reply_conn=None, reply_ref=None, accepted_at=0.0
                    )
                    for n in range(first, first + 100)
                )
            )
        for _ in range(burst):
            await arrived.get()
        rate = burst / ((time.perf_counter_ns() - started) / 1e9)
        mode = "SPUBLISH/SSUBSCRIBE" if sharded else "PUBLISH/SUBSCRIBE"
        return f"| {mode} | {median:.0f} | {p99:.0f} | {rate:,.0f} |"
    finally:
        for redis in opened:
            await redis.close()


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=2000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        server = start_redis(Path(tmp))
        try:
            version = await (
                await open_redis(RedisOptions(url=server.url), clock=SystemClock(), history_size=1)
            ).client.info("server")
            print(
                f"# redis-server {version['redis_version']}, CPython "
                f"{platform.python_version()}, {platform.machine()}"
            )
            redis = await open_redis(
                RedisOptions(url=server.url), clock=SystemClock(), history_size=50
            )
            try:
                await round_trips(redis, args.repeat)
                await memory(redis)
            finally:
                await redis.close()
            print("\n| pub/sub | publish→deliver median µs | p99 µs | burst messages/s |")
            print("|---|---:|---:|---:|")
            for sharded in (False, True, False, True):
                print(await pubsub(server, sharded, args.repeat // 2))
        finally:
            server.stop()


if __name__ == "__main__":
    asyncio.run(main())
