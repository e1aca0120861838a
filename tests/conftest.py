from __future__ import annotations

import itertools
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.redis import RedisServer, start_redis
from tests.support.server import RunningServer, start_server

_room_numbers = itertools.count(1)


@pytest.fixture(scope="session")
def server() -> Iterator[RunningServer]:
    """One real server for tests that only need the defaults (each uses its own rooms)."""
    running = start_server()
    yield running
    running.stop()


@pytest.fixture(scope="session")
def roomy_server() -> Iterator[RunningServer]:
    """A real server whose message rate limit lets a test fill a room's history quickly."""
    running = start_server({"PARROT_RATE_MESSAGES": "1000/1", "PARROT_RATE_EVENTS": "1000/1"})
    yield running
    running.stop()


@pytest.fixture
def room() -> str:
    """A room name no other test uses."""
    return f"room-{next(_room_numbers)}"


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    """A throwaway redis-server for the session (a free port, no persistence); tests share
    it by using key prefixes of their own."""
    server = start_redis(tmp_path_factory.mktemp("redis"))
    yield server
    server.stop()


@pytest.fixture
def own_redis(tmp_path: Path) -> Iterator[RedisServer]:
    """A redis-server of the test's own, for tests that stop or restart it."""
    server = start_redis(tmp_path)
    yield server
    server.stop()
