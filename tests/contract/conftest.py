"""The adapters under contract: the in-memory ones and the Redis ones (the session's real
redis-server, tests/conftest.py), behind one fixture with ids `memory` and `redis`."""

from __future__ import annotations

import itertools
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field

import pytest

from app.adapters.clock import ManualClock
from app.adapters.memory import MemoryBroker, MemoryHistoryStore, MemoryRoomStore
from app.adapters.memory.nodes import MemoryNodeRegistry
from app.adapters.redis import LinkOptions, RedisAdapters, RedisOptions, open_redis
from app.domain.events import Envelope
from app.ports import Broker, Gap, HistoryStore, NodeRegistry, RoomStore
from tests.support.redis import RedisServer

HISTORY_SIZE = 5
# Departures a room keeps (PARROT_RECENT_DEPARTURES): small, so that the bound is reached.
RECENT_MAX = 3
_epochs = itertools.count(1)


def epoch_factory() -> str:
    return f"e{next(_epochs)}"


@dataclass
class Adapters:
    """One node's view of the store; `peer()` gives another node on the same store (a
    second Redis client; the same objects in memory, which has only one node)."""

    kind: str
    rooms: RoomStore
    history: HistoryStore
    broker: Broker
    nodes: NodeRegistry
    delivered: list[Envelope] = field(default_factory=list)
    gaps: list[Gap] = field(default_factory=list)
    peer: Callable[[], Awaitable[Adapters]] | None = None
    redis: RedisAdapters | None = None
    prefix: str = ""

    async def start(self) -> None:
        await self.broker.start(self.delivered.append, self.gaps.append)


def memory_adapters() -> Adapters:
    rooms = MemoryRoomStore(recent_max=RECENT_MAX, epoch_factory=epoch_factory)
    history = MemoryHistoryStore(size=HISTORY_SIZE)
    adapters = Adapters(
        kind="memory",
        rooms=rooms,
        history=history,
        broker=MemoryBroker(history, rooms),
        nodes=MemoryNodeRegistry(rooms, history),
    )

    async def peer() -> Adapters:
        return adapters

    adapters.peer = peer
    return adapters


async def redis_adapters(
    server: RedisServer, prefix: str, opened: list[RedisAdapters], link: LinkOptions | None
) -> Adapters:
    redis = await open_redis(
        RedisOptions(url=server.url),
        clock=ManualClock(),
        history_size=HISTORY_SIZE,
        recent_max=RECENT_MAX,
        prefix=prefix,
        link=link,
        epoch_factory=epoch_factory,
    )
    opened.append(redis)

    async def peer() -> Adapters:
        return await redis_adapters(server, prefix, opened, link)

    return Adapters(
        kind="redis",
        rooms=redis.rooms,
        history=redis.history,
        broker=redis.broker,
        nodes=redis.nodes,
        peer=peer,
        redis=redis,
        prefix=prefix,
    )


FAST_LINK = LinkOptions(health_interval_s=0.5, backoff_min_s=0.02, backoff_max_s=0.2)


@pytest.fixture(params=["memory", "redis"])
async def adapters(request: pytest.FixtureRequest) -> AsyncIterator[Adapters]:
    if request.param == "memory":
        yield memory_adapters()
        return
    server: RedisServer = request.getfixturevalue("redis_server")
    opened: list[RedisAdapters] = []
    yield await redis_adapters(server, f"t{uuid.uuid4().hex[:10]}:", opened, FAST_LINK)
    for redis in opened:
        await redis.close()
