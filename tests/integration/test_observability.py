"""Metrics, logs and the deploy config, seen from outside a real server process."""

from __future__ import annotations

import asyncio
import json
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.support.client import ChatClient, connected
from tests.support.metrics import sample
from tests.support.redis import RedisServer
from tests.support.server import RunningServer, start_server

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def observed() -> Iterator[RunningServer]:
    """A server of its own (so gauges start at zero), logging JSON at debug level."""
    running = start_server({"PARROT_LOG_FORMAT": "json", "PARROT_LOG_LEVEL": "DEBUG"})
    yield running
    running.stop()


def scrape(server: RunningServer) -> str:
    response = httpx.get(f"{server.http_url}/metrics", timeout=5)
    assert response.status_code == 200
    return response.text


def promtool() -> str:
    path = shutil.which("promtool")
    assert path, "promtool is missing: scripts/test installs it (Debian package prometheus)"
    return path


def json_lines(server: RunningServer) -> list[dict[str, Any]]:
    lines = []
    for raw in server.log_text().splitlines():
        if raw.strip():
            lines.append(json.loads(raw))  # every line is JSON, or this fails
    return lines


async def wait_for_metric(server: RunningServer, name: str, value: float) -> float:
    """Poll until the series shows `value` (closes are handled after the client returns)."""
    current = sample(scrape(server), name)
    for _ in range(100):
        if current == value:
            break
        await asyncio.sleep(0.05)
        current = sample(scrape(server), name)
    return current


async def test_metrics_move_for_a_scripted_session(observed: RunningServer, room: str) -> None:
    before = scrape(observed)
    alice = await connected(observed.ws_url, "Alice", room)
    bob = await connected(observed.ws_url, "Bob", room)
    during = scrape(observed)
    assert sample(during, "parrotchat_connected_clients") == 2
    assert sample(during, "parrotchat_rooms") >= 1
    for n in range(3):
        await alice.send(type="send", room=room, text=f"hello {n}")
        await bob.expect("message", text=f"hello {n}")
        await alice.expect("message", text=f"hello {n}")
    after_messages = scrape(observed)
    await alice.close()
    await bob.close()
    assert await wait_for_metric(observed, "parrotchat_connected_clients", 0) == 0
    after = scrape(observed)

    def delta(name: str, **labels: str) -> float:
        return sample(after, name, **labels) - sample(before, name, **labels)

    assert delta("parrotchat_msgs_in_total") == 3
    assert delta("parrotchat_msgs_out_total") == 6
    # one latency observation per broadcast (nobody had a backlog, so no frame waited)
    assert delta("parrotchat_broadcast_latency_seconds_count") == 3
    assert delta("parrotchat_closes_total", code="1000") == 2
    assert sample(after_messages, "parrotchat_outbox_frames") >= 0
    assert sample(after, "parrotchat_rooms") == sample(before, "parrotchat_rooms")


async def test_errors_are_counted_by_code(observed: RunningServer, room: str) -> None:
    before = sample(scrape(observed), "parrotchat_errors_total", code="not_in_room")
    client = await connected(observed.ws_url, "Lost")
    await client.send(type="send", room=room, text="anyone?")
    assert (await client.expect("error"))["code"] == "not_in_room"
    await client.close()
    after = sample(scrape(observed), "parrotchat_errors_total", code="not_in_room")
    assert after - before == 1


async def test_a_real_scrape_passes_promtool(observed: RunningServer, room: str) -> None:
    # Traffic first, so labelled series, histograms and HTTP metrics all appear.
    client = await connected(observed.ws_url, "Scraped", room)
    await client.send(type="send", room=room, text="for the histogram")
    await client.expect("message")
    await client.send(type="join", room="no")  # an error series
    await client.expect("error")
    await client.close()
    await asyncio.to_thread(httpx.get, f"{observed.http_url}/api/rooms", timeout=5)
    text = scrape(observed)
    for name in (
        "parrotchat_connected_clients",
        "parrotchat_msgs_in_total",
        "parrotchat_msgs_out_total",
        "parrotchat_dropped_msgs_total",
        "parrotchat_rooms",
        "parrotchat_broadcast_latency_seconds_bucket",
        "parrotchat_errors_total",
        "parrotchat_closes_total",
        "parrotchat_outbox_depth_max",
        "parrotchat_http_requests_total",
    ):
        assert f"\n{name}" in text, name
    result = await asyncio.to_thread(
        subprocess.run,
        [promtool(), "check", "metrics"],
        input=text,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


CLUSTER_METRICS = (
    "parrotchat_redis_latency_seconds_bucket",
    "parrotchat_redis_up",
    "parrotchat_nodes_alive",
    "parrotchat_pubsub_published_total",
    "parrotchat_pubsub_received_total",
    "parrotchat_gap_repairs_total",
    "parrotchat_gaps_total",
    "parrotchat_redis_reconnects_total",
    "parrotchat_members_reaped_total",
    "parrotchat_resyncs_total",
)


async def test_a_node_on_redis_reports_its_cluster_metrics_and_passes_promtool(
    redis_server: RedisServer, room: str
) -> None:
    node = start_server(
        {
            "PARROT_REDIS_URL": redis_server.url,
            "PARROT_REDIS_PREFIX": "observed:",
            "PARROT_NODE_ID": "observed-1",
            "PARROT_HEARTBEAT_INTERVAL_S": "0.2",
            "PARROT_NODE_TTL_S": "2",
            "PARROT_LOG_FORMAT": "json",
        }
    )
    try:
        async with await connected(node.ws_url, "Scraped", room) as client:
            await client.send(type="send", room=room, text="through Redis")
            await client.expect("message")
        await asyncio.sleep(0.5)  # a heartbeat or two
        text = await asyncio.to_thread(scrape, node)
        for name in CLUSTER_METRICS:
            assert f"\n{name}" in text, name
        assert sample(text, "parrotchat_redis_up") == 1
        assert sample(text, "parrotchat_nodes_alive") == 1
        assert sample(text, "parrotchat_pubsub_published_total") >= 4  # notices and message
        assert sample(text, "parrotchat_pubsub_received_total") >= 1
        assert sample(text, "parrotchat_redis_latency_seconds_count", op="publish") == 1
        assert sample(text, "parrotchat_redis_latency_seconds_count", op="join") == 1
        result = await asyncio.to_thread(
            subprocess.run,
            [promtool(), "check", "metrics"],
            input=text,
            capture_output=True,
            text=True,
            check=False,
        )
        assert result.returncode == 0, result.stdout + result.stderr
        lines = json_lines(node)
        assert lines
        assert {line.get("node") for line in lines} == {"observed-1"}
    finally:
        node.stop()


def test_the_prometheus_config_passes_promtool() -> None:
    result = subprocess.run(
        [promtool(), "check", "config", "--syntax-only", str(ROOT / "deploy" / "prometheus.yml")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_rest_requests_carry_the_request_id_both_ways(observed: RunningServer) -> None:
    sent = httpx.get(
        f"{observed.http_url}/api/rooms", headers={"X-Request-ID": "trace-me-42"}, timeout=5
    )
    assert sent.headers["x-request-id"] == "trace-me-42"
    made = httpx.get(f"{observed.http_url}/api/rooms", timeout=5).headers["x-request-id"]
    forged = httpx.get(
        f"{observed.http_url}/api/rooms", headers={"X-Request-ID": "x" * 65}, timeout=5
    ).headers["x-request-id"]
    assert len(made) == 32
    assert forged != "x" * 65
    lines = _eventually(observed, lambda line: line.get("request_id") == "trace-me-42")
    access = [line for line in lines if line.get("request_id") == "trace-me-42"]
    assert access[0]["logger"] == "parrotchat.access"
    assert access[0]["path"] == "/api/rooms"
    assert access[0]["status"] == 200
    assert any(line.get("request_id") == made for line in json_lines(observed))


async def test_websocket_lines_carry_connection_and_event_ids(
    observed: RunningServer, room: str
) -> None:
    client = await ChatClient.open(observed.ws_url)
    await client.send(type="hello", name="Logged", ref="hello-ref")
    welcome = await client.expect("welcome")
    conn_id = welcome["connection_id"]
    # A ref with a newline and a bidi override is refused (never logged nor echoed); one with
    # JSON's own punctuation is the request ID as sent.
    await client.send(type="join", room=room, ref="join\n{}\u202e1")
    assert (await client.expect("error"))["code"] == "invalid_event"
    await client.send(type="join", room=room, ref='join"{}[1]')
    await client.expect("joined")
    await client.send(type="send", room=room, text="a secret only the room may read", ref="s-1")
    await client.expect("message")
    await client.close()

    lines = _eventually(
        observed,
        lambda line: line.get("connection_id") == conn_id and line["msg"] == "session closed",
    )
    mine = [line for line in lines if line.get("connection_id") == conn_id]
    events = {line["request_id"]: line for line in mine if line["msg"] == "event"}
    assert events['join"{}[1]']["event"] == "join"
    assert events['join"{}[1]']["room"] == room
    assert events["s-1"]["event"] == "send"
    summary = next(line for line in mine if line["msg"] == "session closed")
    assert summary["level"] == "info"
    assert summary["rooms"] == [room]
    assert summary["events_in"] == 3
    assert summary["frames_out"] >= 4
    assert summary["close_code"] == 1000
    assert summary["initiator"] == "client"
    assert summary["duration_s"] >= 0
    assert summary["user"] == "Logged"
    assert "\u202e" not in observed.log_text()
    assert "a secret only the room may read" not in observed.log_text()


def test_every_line_is_json_and_uvicorn_speaks_through_it(observed: RunningServer) -> None:
    lines = json_lines(observed)
    assert any(
        line["logger"].startswith("uvicorn") and "Uvicorn running on" in line["msg"]
        for line in lines
    )
    assert all({"ts", "level", "logger", "msg", "node"} <= line.keys() for line in lines)


def _eventually(server: RunningServer, found: Any, attempts: int = 100) -> list[dict[str, Any]]:
    """The server's JSON lines once one satisfies `found` (lines are written asynchronously)."""
    for _ in range(attempts):
        lines = json_lines(server)
        if any(found(line) for line in lines):
            return lines
        time.sleep(0.05)
    raise AssertionError("no such log line:\n" + server.log_text()[-3000:])
