from __future__ import annotations

import os
import socket
import subprocess
import sys

import pytest
from pydantic import ValidationError

from app.adapters.memory import MemoryBroker, MemoryRoomStore
from app.adapters.memory.nodes import MemoryNodeRegistry
from app.adapters.redis.broker import RedisBroker
from app.adapters.redis.nodes import RedisNodeRegistry
from app.adapters.redis.rooms import RedisRoomStore
from app.bootstrap import build
from app.settings import Settings
from app.web.wire import encode


def test_without_a_redis_url_the_chat_is_in_memory() -> None:
    container = build(Settings(), encode=encode)
    assert isinstance(container.rooms, MemoryRoomStore)
    assert isinstance(container.broker, MemoryBroker)
    assert isinstance(container.nodes, MemoryNodeRegistry)


def test_a_redis_url_wires_every_store_to_redis_under_the_prefix() -> None:
    # Nothing connects until the lifespan starts, so no Redis is needed to build.
    settings = Settings(redis_url="redis://127.0.0.1:1/0", redis_prefix="blue:", node_id="n-1")
    container = build(settings, encode=encode)
    assert isinstance(container.rooms, RedisRoomStore)
    assert isinstance(container.broker, RedisBroker)
    assert isinstance(container.nodes, RedisNodeRegistry)
    assert container.node.id == "n-1"


def test_every_process_gets_a_node_id_of_its_own() -> None:
    assert Settings().node_id != Settings().node_id
    with pytest.raises(ValidationError):
        Settings(node_id="has a space")


def test_the_node_ttl_must_outlast_the_heartbeat() -> None:
    with pytest.raises(ValidationError, match="PARROT_NODE_TTL_S"):
        Settings(heartbeat_interval_s=2, node_ttl_s=2)
    assert Settings(heartbeat_interval_s=0.2, node_ttl_s=1).node_ttl_s == 1


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port  # nothing listens there once the socket is closed


def test_the_entry_point_exits_with_one_line_when_redis_is_unreachable() -> None:
    url = f"redis://:secret@127.0.0.1:{_closed_port()}/0"
    env = {**os.environ, "PARROT_REDIS_URL": url, "PARROT_PORT": "0", "PARROT_LOG_LEVEL": "ERROR"}
    result = subprocess.run(
        [sys.executable, "-m", "app"],
        env=env,
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("parrotchat: Redis at redis://:***@127.0.0.1:")
    assert "unreachable" in lines[0]
    assert "secret" not in result.stderr
