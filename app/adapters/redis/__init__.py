"""The Redis adapters: RoomStore, HistoryStore, Broker and NodeRegistry for many nodes.

`open_redis` connects (RedisUnreachable when Redis does not answer) and builds all four
on one client and one key prefix; the composition root picks them when PARROT_REDIS_URL
is set. Key layout and expiry: docs/operations.md ("Redis"); choices: docs/decisions/0014
and 0015.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial

from redis.asyncio import ConnectionPool, Redis
from redis.asyncio.connection import AbstractConnection
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff

from app.adapters.memory import new_epoch
from app.adapters.redis.broker import RedisBroker
from app.adapters.redis.connection import RedisOptions, RedisUnreachable, connect
from app.adapters.redis.history import RedisHistoryStore
from app.adapters.redis.keys import Keys
from app.adapters.redis.nodes import RedisNodeRegistry
from app.adapters.redis.rooms import RedisRoomStore
from app.adapters.redis.scripts import Scripts
from app.adapters.redis.subscriber import LinkOptions
from app.ports import Clock

__all__ = [
    "LinkOptions",
    "RedisAdapters",
    "RedisOptions",
    "RedisUnreachable",
    "open_redis",
]

DEFAULT_PREFIX = "parrot:"


@dataclass(frozen=True, slots=True)
class RedisAdapters:
    client: Redis
    keys: Keys
    scripts: Scripts
    rooms: RedisRoomStore
    history: RedisHistoryStore
    broker: RedisBroker
    nodes: RedisNodeRegistry

    async def close(self) -> None:
        await self.broker.close()
        await self.client.aclose()


def pubsub_connections(options: RedisOptions) -> Callable[[], AbstractConnection]:
    """New connections for the pub/sub link, with the URL's host, auth and TLS; replies
    stay bytes (publications are decoded by the codec)."""
    pool = ConnectionPool.from_url(
        options.url,
        socket_timeout=options.command_timeout_s,
        socket_connect_timeout=options.connect_timeout_s,
        retry=Retry(NoBackoff(), 0),
        client_name="parrotchat-pubsub",
        # RESP2: publications and confirmations arrive as plain replies, not push frames.
        protocol=2,
    )
    return partial(pool.make_connection)


async def open_redis(
    options: RedisOptions,
    *,
    clock: Clock,
    history_size: int,
    prefix: str = DEFAULT_PREFIX,
    link: LinkOptions | None = None,
    epoch_factory: Callable[[], str] = new_epoch,
) -> RedisAdapters:
    client = await connect(options)
    keys = Keys(prefix)
    scripts = Scripts(client, prefix)
    history = RedisHistoryStore(client, scripts, keys, size=history_size)
    return RedisAdapters(
        client=client,
        keys=keys,
        scripts=scripts,
        rooms=RedisRoomStore(scripts, keys, epoch_factory=epoch_factory),
        history=history,
        broker=RedisBroker(
            client,
            scripts,
            keys,
            history,
            clock=clock,
            connect_pubsub=pubsub_connections(options),
            link=link,
        ),
        nodes=RedisNodeRegistry(client, scripts, keys),
    )
