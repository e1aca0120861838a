"""The Hub holds a joining member's room events until its joined reply is queued."""

from __future__ import annotations

import json
import time

from app.domain.events import Envelope, Pong, Typing
from app.domain.history import Message
from app.ports import NullMetrics
from app.services.hub import Hub
from app.web.wire import encode
from tests.support.harness import RecordingSink


def _message(seq: int) -> Message:
    return Message(room="r", seq=seq, id=str(seq), author="a", text="t", html="t", ts=0.0)


def test_held_events_follow_the_reply_and_skip_what_the_snapshot_had() -> None:
    hub = Hub(encode, NullMetrics(), time.monotonic)
    sink = RecordingSink()
    hub.attach("c1", sink)
    hub.subscribe("r", "c1")
    for seq in (4, 5, 6):
        hub.deliver(Envelope(room="r", event=_message(seq)))
    hub.deliver(Envelope(room="r", event=Typing(room="r", name="b", ttl_ms=5000)))
    hub.deliver(
        Envelope(room="r", event=Typing(room="r", name="c1", ttl_ms=5000), exclude_conn="c1")
    )
    assert sink.frames == []
    hub.activate("r", "c1", Pong(server_time=0.0), "j", min_seq=5)
    events = [json.loads(f) for f in sink.frames]
    assert [(e["type"], e.get("seq"), e.get("name")) for e in events] == [
        ("pong", None, None),
        ("message", 6, None),
        ("typing", None, "b"),
    ]
    hub.deliver(Envelope(room="r", event=_message(7)))
    assert json.loads(sink.frames[-1])["seq"] == 7


def test_detach_forgets_every_subscription() -> None:
    hub = Hub(encode, NullMetrics(), time.monotonic)
    hub.attach("c1", RecordingSink())
    for room in ("a", "b"):
        hub.subscribe(room, "c1")
        hub.activate(room, "c1", Pong(server_time=0.0), None, min_seq=0)
    hub.detach("c1")
    assert hub.local_members("a") == hub.local_members("b") == []


def test_a_joiner_whose_held_events_overflow_is_given_up_on() -> None:
    hub = Hub(encode, NullMetrics(), time.monotonic, max_pending=3)
    sink, other = RecordingSink(), RecordingSink()
    hub.attach("c1", sink)
    hub.attach("c2", other)
    hub.subscribe("r", "c2")
    hub.activate("r", "c2", Pong(server_time=0.0), None, min_seq=0)
    hub.subscribe("r", "c1")  # still joining: its events are held
    for seq in range(1, 4):
        hub.deliver(Envelope(room="r", event=_message(seq)))
    assert not sink.gave_up
    hub.deliver(Envelope(room="r", event=_message(4)))
    assert sink.gave_up  # a fourth held event would not fit: the slow-consumer verdict
    assert len(other.frames) == 5  # the others carry on: their pong, then 1-4
