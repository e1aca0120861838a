"""The Redis client the adapters share, and how its failures look to the rest of the app.

Commands are never retried by the client: a script that timed out may have run, and
running `publish_message` twice would number and send one message twice. A failure is
raised as `StoreUnavailable` (app.ports) for the caller to report.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

from redis.asyncio import BlockingConnectionPool, Redis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from app.ports import StoreUnavailable

log = logging.getLogger("parrotchat.redis")

# What a lost, refused or stalled connection raises in redis-py (BusyLoadingError, while
# Redis loads its data after a restart, is a ConnectionError).
CONNECTION_ERRORS = (RedisConnectionError, RedisTimeoutError, OSError)


class RedisUnreachable(StoreUnavailable):
    """Redis did not answer at start-up: the process should exit (a clear message and a
    non-zero exit code), not serve a chat it cannot keep."""


@dataclass(frozen=True, slots=True)
class RedisOptions:
    url: str
    # A stalled Redis must not stall a join for long: the caller gets StoreUnavailable.
    command_timeout_s: float = 2.0
    connect_timeout_s: float = 1.0
    max_connections: int = 64
    # CLIENT LIST shows it (with `-pubsub` for the pub/sub link): name the node in it.
    client_name: str = "parrotchat"


def redacted(url: str) -> str:
    """The URL without its password, for messages and logs."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    host = parts.hostname or ""
    netloc = f"{parts.username or ''}:***@{host}" + (f":{parts.port}" if parts.port else "")
    return urlunsplit(parts._replace(netloc=netloc))


def make_client(options: RedisOptions) -> Redis:
    # A burst of commands beyond max_connections waits for a free connection (up to the
    # command timeout) instead of failing with "Too many connections".
    pool = BlockingConnectionPool.from_url(
        options.url,
        decode_responses=True,
        socket_timeout=options.command_timeout_s,
        socket_connect_timeout=options.connect_timeout_s,
        retry=Retry(NoBackoff(), 0),
        max_connections=options.max_connections,
        timeout=options.command_timeout_s,
        client_name=options.client_name,
        # RESP2: the replies the scripts and the parsing here are written for (redis-py 8
        # would speak RESP3 by default).
        protocol=2,
    )
    return Redis.from_pool(pool)  # the client owns the pool and closes it


Observe = Callable[[str, float], None]
"""Told every round trip's operation and duration in seconds (the Redis latency metric)."""


def _ignore(_operation: str, _seconds: float) -> None:
    pass


class unavailable_on_failure:  # used as the context manager function it was
    """Turn a lost or stalled Redis into StoreUnavailable; time the round trip. (A class
    rather than a @contextmanager generator: it is entered on every round trip.)"""

    __slots__ = ("_observe", "_started", "_what")

    def __init__(self, what: str, observe: Observe = _ignore) -> None:
        self._what = what
        self._observe = observe
        self._started = 0.0

    def __enter__(self) -> None:
        self._started = time.perf_counter()

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, _tb: object
    ) -> None:
        self._observe(self._what, time.perf_counter() - self._started)
        if isinstance(exc, CONNECTION_ERRORS) and not isinstance(exc, StoreUnavailable):
            raise StoreUnavailable(f"{self._what}: Redis unavailable ({exc})") from exc
