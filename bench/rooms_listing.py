"""Micro-benchmark of the room listing (`GET /api/rooms`, issue 10: <= 2 ms at 10,000 rooms).

Run: uv run python bench/rooms_listing.py [--rooms N] [--repeat N] [--redis]

Fills a store with N rooms (1-20 members each, most with a last message, seeded), then
times one page of 50 at the front, the middle and the end of the listing, call by call
(time.perf_counter_ns), and the index upkeep a message costs (touch with sent_message).
For comparison it times what the listing did before the index: a sort of every room per
request. --redis does the same against a throwaway redis-server (round trip included).
"""

from __future__ import annotations

import argparse
import asyncio
import platform
import random
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

from app.adapters.clock import ManualClock
from app.adapters.memory import MemoryRoomStore
from app.adapters.redis import RedisAdapters, RedisOptions, open_redis
from app.domain.model import Member
from app.ports import RoomStore

T0 = 1_790_000_000.0
PAGE = 50


def _member(i: int) -> Member:
    return Member(name=f"m{i}", key=f"m{i}", conn_id=f"c{i}", joined_at=T0, last_active_at=T0)


async def fill(rooms: RoomStore, count: int, seed: int = 7) -> None:
    rng = random.Random(seed)
    for r in range(count):
        name = f"room-{r:05d}"
        for i in range(rng.randint(1, 20)):
            await rooms.join(name, _member(i), capacity=100, now=T0)
        if rng.random() < 0.9:
            await rooms.touch(name, "m0", now=T0 + rng.uniform(0, 86_400), sent_message=True)


async def timed(call: Callable[[], Awaitable[object]], repeat: int) -> tuple[float, float]:
    for _ in range(min(50, repeat)):
        await call()
    samples = []
    for _ in range(repeat):
        started = time.perf_counter_ns()
        await call()
        samples.append((time.perf_counter_ns() - started) / 1e6)
    samples.sort()
    return statistics.median(samples), samples[int(len(samples) * 0.99) - 1]


async def measure(rooms: RoomStore, count: int, repeat: int) -> list[tuple[str, float, float]]:
    rows = []
    for label, offset in (
        ("first page", 0),
        ("middle page", count // 2),
        ("last page", count - PAGE),
    ):

        async def page(offset: int = offset) -> object:
            return await rooms.list_rooms(limit=PAGE, offset=offset)

        rows.append((f"list {PAGE} rooms, {label}", *await timed(page, repeat)))
    clock = iter(range(1, 10**9))

    async def message() -> object:
        return await rooms.touch(
            "room-00001", "m0", now=T0 + 90_000 + next(clock), sent_message=True
        )

    rows.append(("index upkeep of one message (touch)", *await timed(message, repeat)))
    return rows


def sort_per_request(count: int, repeat: int) -> tuple[float, float]:
    rng = random.Random(7)
    rows = [
        (rng.randint(1, 20), rng.uniform(T0, T0 + 86_400), f"room-{r:05d}") for r in range(count)
    ]
    samples = []
    for _ in range(repeat):
        started = time.perf_counter_ns()
        ordered = sorted(rows, key=lambda r: (-r[0], -r[1], r[2]))
        ordered[:PAGE]
        samples.append((time.perf_counter_ns() - started) / 1e6)
    samples.sort()
    return statistics.median(samples), samples[int(len(samples) * 0.99) - 1]


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rooms", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=2000)
    parser.add_argument("--redis", action="store_true", help="also on a throwaway redis-server")
    args = parser.parse_args()
    print(f"# {args.rooms} rooms, CPython {platform.python_version()}, {platform.machine()}")
    print("| store | operation | median ms | p99 ms |\n|---|---|---:|---:|")
    memory = MemoryRoomStore()
    await fill(memory, args.rooms)
    for label, median, p99 in await measure(memory, args.rooms, args.repeat):
        print(f"| memory | {label} | {median:.4f} | {p99:.4f} |")
    median, p99 = sort_per_request(args.rooms, max(50, args.repeat // 20))
    print(f"| (before the index) | sort every room per request | {median:.4f} | {p99:.4f} |")
    if args.redis:
        from tests.support.redis import start_redis

        with tempfile.TemporaryDirectory() as tmp:
            server = start_redis(Path(tmp))
            redis: RedisAdapters | None = None
            try:
                redis = await open_redis(
                    RedisOptions(url=server.url), clock=ManualClock(), history_size=50
                )
                await fill(redis.rooms, args.rooms)
                for label, median, p99 in await measure(redis.rooms, args.rooms, args.repeat):
                    print(f"| redis | {label} | {median:.4f} | {p99:.4f} |")
            finally:
                if redis is not None:
                    await redis.close()
                server.stop()


if __name__ == "__main__":
    asyncio.run(main())
