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
from app.adapters.redis.connection import (
    CONNECTION_ERRORS,
    Observe,
    RedisOptions,
    RedisUnreachable,
    make_client,
    redacted,
)
from app.adapters.redis.history import RedisHistoryStore
from app.adapters.redis.keys import Keys
from app.adapters.redis.nodes import RedisNodeRegistry
from app.adapters.redis.resp import CommandLink
from app.adapters.redis.rooms import RedisRoomStore
from app.adapters.redis.scripts import Scripts
from app.adapters.redis.subscriber import LinkOptions
from app.ports import Clock

__all__ = [
    "LinkOptions",
    "RedisAdapters",
    "RedisOptions",
    "RedisUnreachable",
    "build_redis",
    "open_redis",
]

DEFAULT_PREFIX = "parrot:"


@dataclass(frozen=True, slots=True)
class RedisAdapters:
    url: str
    client: Redis
    keys: Keys
    scripts: Scripts
    rooms: RedisRoomStore
    history: RedisHistoryStore
    broker: RedisBroker
    nodes: RedisNodeRegistry

    async def ping(self) -> None:
        """RedisUnreachable unless Redis answers (at start-up)."""
        try:
            await self.client.ping()
        except CONNECTION_ERRORS as exc:
            await self.client.aclose()
            raise RedisUnreachable(f"Redis at {redacted(self.url)} is unreachable: {exc}") from exc

    async def close(self) -> None:
        await self.broker.close()
        await self.client.aclose()


def link_connections(
    options: RedisOptions, role: str = "pubsub"
) -> Callable[[], AbstractConnection]:
    """New connections for a link of the hot path (resp.py: the pub/sub link, the publish
    script's), with the URL's host, auth and TLS, named `<client name>-<role>`; replies
    stay bytes (publications are decoded by the codec)."""
    pool = ConnectionPool.from_url(
        options.url,
        socket_timeout=options.command_timeout_s,
        socket_connect_timeout=options.connect_timeout_s,
        retry=Retry(NoBackoff(), 0),
        client_name=f"{options.client_name}-{role}",
        # RESP2: publications and confirmations arrive as plain replies, not push frames.
        protocol=2,
    )
    return partial(pool.make_connection)


def build_redis(
    options: RedisOptions,
    *,
    clock: Clock,
    history_size: int,
    recent_max: int = 20,
    prefix: str = DEFAULT_PREFIX,
    link: LinkOptions | None = None,
    epoch_factory: Callable[[], str] = new_epoch,
    observe: Observe | None = None,
) -> RedisAdapters:
    """The four adapters on one client, without a round trip yet (the client connects on
    first use; `open_redis` checks that Redis answers). `observe` is told every round trip's
    duration (the latency metric)."""
    client = make_client(options)
    keys = Keys(prefix)
    scripts = Scripts(client, prefix, observe=observe)
    history = RedisHistoryStore(client, scripts, keys, size=history_size)
    return RedisAdapters(
        url=options.url,
        client=client,
        keys=keys,
        scripts=scripts,
        rooms=RedisRoomStore(scripts, keys, recent_max=recent_max, epoch_factory=epoch_factory),
        history=history,
        broker=RedisBroker(
            client,
            scripts,
            keys,
            history,
            clock=clock,
            connect_pubsub=link_connections(options),
            commands=CommandLink(
                link_connections(options, "publish"), timeout_s=options.command_timeout_s
            ),
            link=link,
        ),
        nodes=RedisNodeRegistry(client, scripts, keys),
    )


async def open_redis(
    options: RedisOptions,
    *,
    clock: Clock,
    history_size: int,
    recent_max: int = 20,
    prefix: str = DEFAULT_PREFIX,
    link: LinkOptions | None = None,
    epoch_factory: Callable[[], str] = new_epoch,
    observe: Observe | None = None,
) -> RedisAdapters:
    """`build_redis`, once Redis has answered a PING (RedisUnreachable when it does not)."""
    adapters = build_redis(
        options,
        clock=clock,
        history_size=history_size,
        recent_max=recent_max,
        prefix=prefix,
        link=link,
        epoch_factory=epoch_factory,
        observe=observe,
    )
    await adapters.ping()
    return adapters
