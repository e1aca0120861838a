"""Spans for join, send and broadcast, recorded in memory from an app served in-process."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator

import httpx
import pytest
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from app.bootstrap import build
from app.main import create_app
from app.settings import Settings
from app.web.wire import encode
from tests.support.client import connected
from tests.support.inprocess import serve_in_thread


@pytest.fixture
def traced() -> Iterator[tuple[int, InMemorySpanExporter]]:
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    app = create_app(container=build(Settings(), encode=encode, tracer_provider=provider))
    with serve_in_thread(app) as port:
        yield port, exporter


def finished(
    exporter: InMemorySpanExporter, done: Callable[[tuple[ReadableSpan, ...]], bool]
) -> tuple[ReadableSpan, ...]:
    """The finished spans once `done` holds: server spans end just after the client is
    answered, so the test waits for them instead of racing them."""
    for _ in range(200):
        spans = exporter.get_finished_spans()
        if done(spans):
            return spans
        time.sleep(0.025)
    return exporter.get_finished_spans()


def named(spans: tuple[ReadableSpan, ...], name: str) -> list[ReadableSpan]:
    return [s for s in spans if s.name == name]


async def test_join_send_and_broadcast_spans(
    traced: tuple[int, InMemorySpanExporter], room: str
) -> None:
    port, exporter = traced
    url = f"ws://127.0.0.1:{port}/ws"
    alice = await connected(url, "Alice", room)
    bob = await connected(url, "Bob", room)
    await alice.send(type="send", room=room, text="traced")
    await bob.expect("message")
    await alice.close()
    await bob.close()

    def complete(spans: tuple[ReadableSpan, ...]) -> bool:
        sends = named(spans, "chat.send")
        ids = {s.context.span_id for s in spans if s.context}
        return bool(sends) and all(s.parent is not None and s.parent.span_id in ids for s in sends)

    spans = finished(exporter, complete)
    joins = named(spans, "chat.join")
    assert [j.attributes["members"] for j in joins if j.attributes] == [1, 2]
    assert all(j.attributes and j.attributes["room"] == room for j in joins)
    assert all(j.attributes and j.attributes["seq"] == 0 for j in joins)

    (send,) = named(spans, "chat.send")
    assert send.attributes is not None
    assert send.attributes["room"] == room
    assert send.attributes["seq"] == 1
    assert send.context is not None

    broadcasts = named(spans, "chat.broadcast")
    (message_broadcast,) = [b for b in broadcasts if b.attributes and "seq" in b.attributes]
    assert message_broadcast.attributes is not None
    assert message_broadcast.attributes["members"] == 2
    assert message_broadcast.attributes["seq"] == 1
    # the broadcast happens inside the send handling, in the same trace
    assert message_broadcast.parent is not None
    assert message_broadcast.parent.span_id == send.context.span_id
    assert message_broadcast.context is not None
    assert message_broadcast.context.trace_id == send.context.trace_id
    # join's broadcasts (member_joined, presence) nest under that join
    join_ids = {j.context.span_id for j in joins if j.context}
    assert any(b.parent and b.parent.span_id in join_ids for b in broadcasts)
    # chat spans hang under the connection's server span; no per-frame send/receive spans
    assert send.parent is not None
    server_spans = [s for s in spans if s.context and s.context.span_id == send.parent.span_id]
    assert server_spans, "chat.send should be a child of the WebSocket server span"
    assert not [s for s in spans if s.name.endswith((" send", " receive"))]


def test_rest_requests_get_server_spans(traced: tuple[int, InMemorySpanExporter]) -> None:
    port, exporter = traced
    assert httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=5).status_code == 200
    spans = finished(exporter, lambda spans: bool(named(spans, "GET /healthz")))
    names = [s.name for s in spans]
    assert "GET /healthz" in names
    assert not [n for n in names if n.endswith((" send", " receive"))]
