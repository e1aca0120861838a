"""Several real ParrotChat processes on one Redis (and HAProxy in front of them), for the
multi-node integration tests. Timers are small so that each test takes seconds (heartbeat
0.25 s, TTL 2 s: not less, since a busy 2-core machine can stall a process for most of a
second); everything is on 127.0.0.1, on free ports, and stopped by its PID."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import time
import uuid
from collections.abc import Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from tests.support.redis import RedisServer
from tests.support.server import RunningServer, start_server

ROOT = Path(__file__).resolve().parents[2]
HAPROXY_CONFIG = ROOT / "deploy" / "haproxy-cluster.cfg"

HEARTBEAT_S = 0.25
TTL_S = 2.0
FAST: dict[str, str] = {
    "PARROT_HEARTBEAT_INTERVAL_S": str(HEARTBEAT_S),
    "PARROT_NODE_TTL_S": str(TTL_S),
    "PARROT_REDIS_TIMEOUT_S": "0.5",
    "PARROT_SHUTDOWN_GRACE_S": "4",
    "PARROT_LOG_LEVEL": "INFO",
}


@dataclass
class Cluster:
    redis: RedisServer
    prefix: str
    nodes: list[RunningServer] = field(default_factory=list)

    def ws(self, index: int) -> str:
        return self.nodes[index].ws_url

    def http(self, index: int) -> str:
        return self.nodes[index].http_url

    def stop(self) -> None:
        with ThreadPoolExecutor(len(self.nodes) or 1) as pool:
            list(pool.map(lambda node: node.stop(), self.nodes))


def start_cluster(
    redis: RedisServer, count: int, env: Mapping[str, str] | None = None, *, tag: str = "node"
) -> Cluster:
    """`count` nodes on `redis` under a key prefix of their own, started in parallel."""
    prefix = f"it{uuid.uuid4().hex[:8]}:"
    cluster = Cluster(redis=redis, prefix=prefix)

    def one(index: int) -> RunningServer:
        return start_server(
            {
                **FAST,
                "PARROT_REDIS_URL": redis.url,
                "PARROT_REDIS_PREFIX": prefix,
                "PARROT_NODE_ID": f"{tag}-{index}",
                **(env or {}),
            }
        )

    with ThreadPoolExecutor(count) as pool:
        futures = [pool.submit(one, i) for i in range(count)]
        errors = []
        for future in futures:
            try:
                cluster.nodes.append(future.result())
            except Exception as exc:  # every node must be stopped, not only the good ones
                errors.append(exc)
    if errors:
        cluster.stop()
        raise errors[0]
    return cluster


@contextmanager
def running_cluster(
    redis: RedisServer, count: int, env: Mapping[str, str] | None = None, *, tag: str = "node"
) -> Iterator[Cluster]:
    cluster = start_cluster(redis, count, env, tag=tag)
    try:
        yield cluster
    finally:
        cluster.stop()


async def fetch(url: str) -> httpx.Response:
    """GET from a test's event loop (a node's REST routes, /metrics)."""
    async with httpx.AsyncClient(timeout=5) as client:
        return await client.get(url)


def haproxy_binary() -> str:
    path = shutil.which("haproxy") or shutil.which("haproxy", path="/usr/sbin:/usr/local/sbin")
    assert path, "haproxy is missing: scripts/test installs it (Debian package haproxy)"
    return path


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def haproxy_env(port: int, backends: list[RunningServer]) -> dict[str, str]:
    """deploy/haproxy-cluster.cfg's variables for a proxy on `port` in front of `backends`."""
    env = {
        **os.environ,
        "PARROT_PROXY_BIND": f"127.0.0.1:{port}",
        # The production default needs more file descriptors than a test machine may allow.
        "PARROT_PROXY_MAXCONN": "1000",
    }
    for i, node in enumerate(backends, start=1):
        env[f"PARROT_BACKEND_{i}"] = f"127.0.0.1:{node.port}"
    return env


@dataclass
class Proxy:
    process: subprocess.Popen[str]
    port: int

    @property
    def ws_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/ws"

    @property
    def http_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


@contextmanager
def haproxy(backends: list[RunningServer]) -> Iterator[Proxy]:
    """HAProxy with the repository's cluster config (its variables pointed at `backends`)."""
    port = free_port()
    process = subprocess.Popen(
        [haproxy_binary(), "-db", "-f", str(HAPROXY_CONFIG)],
        env=haproxy_env(port, backends),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert process.poll() is None, process.stderr.read() if process.stderr else ""
            assert time.monotonic() < deadline, "haproxy did not start forwarding"
            time.sleep(0.1)
        yield Proxy(process=process, port=port)
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)
