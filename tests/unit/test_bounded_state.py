"""What a room and a reply hold stays bounded whatever clients do (docs/security.md H4, H5)."""

from __future__ import annotations

import json

import pytest

from app.domain.codes import ErrorCode
from app.domain.errors import ChatError
from app.domain.history import Message, fit_newest, wire_chars
from app.domain.model import (
    MAX_EXCLUSIONS,
    Member,
    Room,
    roster_chars,
    roster_chars_bound,
)
from app.domain.policies.names import NAME_MAX_CHARS
from app.web.wire import encode
from app.web.wire.server import JoinedOut
from tests.support.harness import Harness


def _member(n: int, conn: str | None = None) -> Member:
    return Member(
        name=f"guest{n}",
        key=f"guest{n}",
        conn_id=conn or f"c{n}",
        joined_at=0.0,
        last_active_at=0.0,
    )


def test_a_room_remembers_only_its_newest_departures() -> None:
    room = Room(name="lobby", epoch="e", created_at=0.0, capacity=100, recent_max=20)
    room.admit(_member(0), now=0.0)
    for n in range(1, 500):
        room.admit(_member(n), now=float(n))
        room.remove(f"guest{n}", now=float(n) + 0.5)
    recent = room.recent_departures(now=500.0)
    assert len(room.departures) == 20
    assert [d.name for d in recent] == [f"guest{n}" for n in range(480, 500)]


def test_a_departure_that_comes_back_and_leaves_again_is_counted_once() -> None:
    room = Room(name="lobby", epoch="e", created_at=0.0, capacity=100, recent_max=3)
    room.admit(_member(0), now=0.0)
    for t, n in enumerate([1, 2, 1, 3, 1]):
        room.admit(_member(n), now=float(t))
        room.remove(f"guest{n}", now=float(t) + 0.5)
    assert [d.name for d in room.recent_departures(now=10.0)] == ["guest2", "guest3", "guest1"]


@pytest.mark.parametrize("ban", [True, False], ids=["bans", "kick-cooldowns"])
def test_bans_and_cooldowns_keep_the_newest_thousand(ban: bool) -> None:
    room = Room(name="lobby", epoch="e", created_at=0.0, capacity=10)
    room.admit(_member(0), now=0.0)
    total = MAX_EXCLUSIONS + 50
    for n in range(1, total + 1):
        room.admit(_member(n), now=0.0)
        room.evict("guest0", f"guest{n}", now=0.0, ban=ban, cooldown_s=3600.0)
    keys = room.bans_by_key if ban else room.cooldown_by_key
    conns = room.bans_by_conn if ban else room.cooldown_by_conn
    assert (len(keys), len(conns)) == (MAX_EXCLUSIONS, MAX_EXCLUSIONS)
    code = ErrorCode.BANNED if ban else ErrorCode.KICKED
    with pytest.raises(ChatError) as refused:
        room.admit(_member(total), now=1.0)
    assert refused.value.code is code
    room.admit(_member(1, conn="fresh"), now=1.0)  # the oldest was forgotten first


def _message(seq: int, text: str) -> Message:
    return Message(room="lobby", seq=seq, id="x" * 32, author="Ann", text=text, html=text, ts=0.0)


@pytest.mark.parametrize(
    "text",
    ["hi", '"' * 512, "\\" * 512, "\n" * 512, "é" * 512],
    ids=["short", "quotes", "backslashes", "newlines", "non-ascii"],
)
def test_the_message_size_bound_holds_for_the_worst_escapes(text: str) -> None:
    message = _message(1, text)
    assert len(encode(message)) <= wire_chars(message)


def test_fit_newest_keeps_the_newest_that_fit() -> None:
    messages = [_message(seq, "x" * 100) for seq in range(1, 11)]
    each = wire_chars(messages[0])
    assert fit_newest(messages, 10 * each) == messages
    assert [m.seq for m in fit_newest(messages, 3 * each + 1)] == [8, 9, 10]
    assert fit_newest(messages, each - 1) == []


def test_the_roster_bound_holds_for_a_full_room_of_longest_names() -> None:
    members = [
        Member(
            name=f"{n:0{NAME_MAX_CHARS}d}",
            key=str(n),
            conn_id=str(n),
            joined_at=1.7e9,
            last_active_at=1.7e9,
        )
        for n in range(100)
    ]
    bound = roster_chars_bound(100, 0, NAME_MAX_CHARS)
    assert roster_chars(members, []) <= bound
    views = [
        {
            "name": m.name,
            "owner": False,
            "joined_at": "2026-11-29T07:02:46.878Z",
            "last_active_at": "2026-11-29T07:02:46.878Z",
        }
        for m in members
    ]
    assert len(json.dumps(views, separators=(",", ":"))) <= bound


async def test_a_joined_reply_always_fits_the_outbox_and_says_when_it_could_not_recover() -> None:
    # The smallest outbox the settings allow, and messages as large as escaping makes them.
    harness = await Harness(outbox_max_bytes=65_536, rate_messages="1000/1").start()
    author = await harness.member("c1", "Ann", "lobby")
    for _ in range(50):
        await harness.chat.messaging.send("c1", "lobby", '"' * 512)
    epoch = author.events("joined")[0]["epoch"]
    reader = harness.connect("c2")
    await harness.chat.sessions.hello("c2", "Bob")
    await harness.chat.membership.join("c2", "lobby", since=0, epoch=epoch)
    frame = next(f for f in reader.frames if f.startswith('{"type":"joined"'))
    joined = JoinedOut.model_validate_json(frame)
    assert len(frame) <= 65_536 // 2
    assert 0 < len(joined.history) < 50
    assert joined.history[-1].seq == 50
    assert joined.recovered is False  # not every missed message fitted
    await harness.chat.messaging.history("c2", "lobby", before=joined.history[0].seq, ref="p")
    page = reader.events("history")[-1]
    assert page["has_more"] is True
    assert len(json.dumps(page)) <= 65_536 // 2


async def test_every_frame_counts_against_the_event_budget() -> None:
    harness = await Harness(rate_events="5/1").start()
    await harness.member("c1", "Ann", "lobby")
    harness.clock.advance(2.0)
    for _ in range(5):
        harness.chat.sessions.count_event("c1")
    with pytest.raises(ChatError) as refused:
        harness.chat.sessions.count_event("c1")
    assert refused.value.code is ErrorCode.RATE_LIMITED
    assert refused.value.retry_after_ms == 1000
