"""ChatService on the in-memory adapters with a manual clock."""

from __future__ import annotations

import pytest

from app.domain.codes import ErrorCode
from app.domain.errors import ChatError
from tests.support.harness import Harness

USE_CASE = {
    "hello": "sessions",
    "join": "membership",
    "leave": "membership",
    "send": "messaging",
    "typing": "messaging",
    "history": "messaging",
}


@pytest.fixture
async def harness() -> Harness:
    return await Harness().start()


async def test_join_replies_first_then_announces(harness: Harness) -> None:
    sink = await harness.member("c1", "Ann", "lobby")
    types = [(e["type"], e.get("event")) for e in sink.events()]
    assert types == [
        ("welcome", None),
        ("joined", None),
        ("system", "room_created"),
        ("system", "member_joined"),
        ("presence", None),
    ]


async def test_messages_are_numbered_per_room_and_stamped_by_the_clock(harness: Harness) -> None:
    ann = await harness.member("c1", "Ann", "lobby")
    await harness.member("c2", "Bob", "other")
    await harness.chat.messaging.send("c1", "lobby", "one")
    harness.clock.advance(1.5)
    await harness.chat.messaging.send("c1", "lobby", "two", "r2")
    await harness.chat.messaging.send("c2", "other", "elsewhere")
    messages = ann.events("message")
    assert [(m["seq"], m["text"]) for m in messages] == [(1, "one"), (2, "two")]
    assert messages[1]["ref"] == "r2"
    assert messages[0]["ts"] == "2026-09-21T14:13:20.000Z"
    assert messages[1]["ts"] == "2026-09-21T14:13:21.500Z"


@pytest.mark.parametrize(
    ("call", "code"),
    [
        pytest.param(("join", "c9", "lobby"), ErrorCode.HELLO_REQUIRED, id="join-before-hello"),
        pytest.param(("send", "c1", "nowhere", "hi"), ErrorCode.NOT_IN_ROOM, id="send-not-in"),
        pytest.param(("typing", "c1", "nowhere"), ErrorCode.NOT_IN_ROOM, id="typing-not-in"),
        pytest.param(("history", "c1", "nowhere"), ErrorCode.NOT_IN_ROOM, id="history-not-in"),
        pytest.param(("leave", "c1", "nowhere"), ErrorCode.NOT_IN_ROOM, id="leave-not-in"),
        pytest.param(("join", "c1", "lobby"), ErrorCode.ALREADY_IN_ROOM, id="join-twice"),
        pytest.param(("hello", "c1", "Other"), ErrorCode.RENAME_IN_ROOM, id="rename-in-room"),
        pytest.param(("join", "c1", "Lobby"), ErrorCode.ROOM_INVALID, id="bad-room"),
        pytest.param(("send", "c1", "lobby", "   "), ErrorCode.MESSAGE_EMPTY, id="empty"),
    ],
)
async def test_denials(harness: Harness, call: tuple[str, ...], code: ErrorCode) -> None:
    harness.connect("c9")
    await harness.member("c1", "Ann", "lobby")
    method, *args = call
    with pytest.raises(ChatError) as denied:
        await getattr(getattr(harness.chat, USE_CASE[method]), method)(*args)
    assert denied.value.code == code


async def test_ten_rooms_per_connection(harness: Harness) -> None:
    await harness.member("c1", "Ann")
    for i in range(10):
        await harness.chat.membership.join("c1", f"room-{i}")
    with pytest.raises(ChatError) as denied:
        await harness.chat.membership.join("c1", "room-10")
    assert denied.value.code == ErrorCode.TOO_MANY_ROOMS


async def test_rename_allowed_while_in_no_room(harness: Harness) -> None:
    sink = await harness.member("c1", "Ann")
    await harness.chat.sessions.hello("c1", "Annie")
    assert [e["name"] for e in sink.events("welcome")] == ["Ann", "Annie"]


async def test_typing_ttl_and_coalescing_follow_the_clock(harness: Harness) -> None:
    await harness.member("c1", "Ann", "lobby")
    bob = await harness.member("c2", "Bob", "lobby")
    bob.take()
    await harness.chat.messaging.typing("c1", "lobby")
    harness.clock.advance(1.0)
    await harness.chat.messaging.typing("c1", "lobby")
    harness.clock.advance(1.0)
    await harness.chat.messaging.typing("c1", "lobby")
    assert len(bob.events("typing")) == 2
    stats = await harness.container.queries.room_stats("lobby")
    assert stats is not None
    assert stats.typing == 1
    harness.clock.advance(5.0)
    stats = await harness.container.queries.room_stats("lobby")
    assert stats is not None
    assert stats.typing == 0


async def test_away_after_five_minutes_then_online_on_activity(harness: Harness) -> None:
    await harness.member("c1", "Ann", "lobby")
    bob = await harness.member("c2", "Bob", "lobby")
    bob.take()
    harness.clock.advance(299)
    await harness.chat.membership.sweep()
    assert bob.events("presence") == []
    await harness.chat.messaging.send("c2", "lobby", "still here")
    harness.clock.advance(1)
    await harness.chat.membership.sweep()
    assert [(p["name"], p["status"]) for p in bob.events("presence")] == [("Ann", "away")]
    await harness.chat.messaging.typing("c1", "lobby")
    assert [(p["name"], p["status"]) for p in bob.events("presence")][-1] == ("Ann", "online")


async def test_a_room_deleted_and_created_again_starts_a_new_epoch_and_count(
    harness: Harness,
) -> None:
    ann = await harness.member("c1", "Ann", "lobby")
    await harness.chat.messaging.send("c1", "lobby", "old")
    first = ann.events("joined")[0]
    await harness.chat.membership.leave("c1", "lobby")
    await harness.chat.membership.join("c1", "lobby", since=1, epoch=first["epoch"])
    second = ann.events("joined")[1]
    assert second["epoch"] != first["epoch"]
    assert (second["seq"], second["history"], second["recovered"]) == (0, [], False)
    await harness.chat.messaging.send("c1", "lobby", "new")
    assert ann.events("message")[-1]["seq"] == 1


async def test_disconnect_leaves_every_room_once(harness: Harness) -> None:
    await harness.member("c1", "Ann", "lobby")
    await harness.chat.membership.join("c1", "other")
    bob = await harness.member("c2", "Bob", "lobby")
    await harness.chat.membership.join("c2", "other")
    bob.take()
    await harness.chat.membership.disconnect("c1")
    await harness.chat.membership.disconnect("c1")
    left = [e for e in bob.events("system") if e["event"] == "member_left"]
    assert sorted(e["room"] for e in left) == ["lobby", "other"]
    assert len(harness.chat.sessions) == 1


async def test_kick_tells_the_target_then_the_room(harness: Harness) -> None:
    ann = await harness.member("c1", "Ann", "lobby")
    bob = await harness.member("c2", "Bob", "lobby")
    bob.take()
    ann.take()
    await harness.chat.moderation.kick("c1", "lobby", "bob", "spam")
    assert [e["type"] for e in bob.take()] == ["kicked", "left"]
    assert bob.events() == []
    kicked_notice = [e for e in ann.events("system") if e["event"] == "member_kicked"]
    assert kicked_notice[0]["data"] == {"name": "Bob", "by": "Ann"}
    with pytest.raises(ChatError) as denied:
        await harness.chat.messaging.send("c2", "lobby", "let me back")
    assert denied.value.code == ErrorCode.NOT_IN_ROOM
    harness.clock.advance(3540)
    with pytest.raises(ChatError) as cooldown:
        await harness.chat.membership.join("c2", "lobby")
    assert (cooldown.value.code, cooldown.value.retry_after_ms) == (ErrorCode.KICKED, 60_000)


async def test_the_eleventh_join_in_a_minute_is_rate_limited_with_the_real_wait(
    harness: Harness,
) -> None:
    await harness.member("c1", "Ann")
    for _ in range(5):
        await harness.chat.membership.join("c1", "lobby")
        await harness.chat.membership.leave("c1", "lobby")
        harness.clock.advance(1.0)
    for i in range(5):
        await harness.chat.membership.join("c1", f"room-{i}")
        harness.clock.advance(1.0)
    await harness.chat.membership.leave("c1", "room-0")
    with pytest.raises(ChatError) as denied:
        await harness.chat.membership.join("c1", "lobby")
    # The first join was at t=0 and we are at t=10: it leaves the window in 50 s.
    assert (denied.value.code, denied.value.retry_after_ms) == (ErrorCode.RATE_LIMITED, 50_000)
    harness.clock.advance(50.0)
    await harness.chat.membership.join("c1", "lobby")


async def test_six_quick_messages_the_sixth_waits_for_the_burst_window(harness: Harness) -> None:
    ann = await harness.member("c1", "Ann", "lobby")
    for i in range(5):
        await harness.chat.messaging.send("c1", "lobby", f"m{i}")
        harness.clock.advance(0.1)
    with pytest.raises(ChatError) as denied:
        await harness.chat.messaging.send("c1", "lobby", "m5")
    assert (denied.value.code, denied.value.retry_after_ms) == (ErrorCode.RATE_LIMITED, 1_500)
    assert len(ann.events("message")) == 5
    stats = await harness.container.queries.room_stats("lobby")
    assert stats is not None
    assert stats.messages_total == 5


async def test_a_blocked_message_is_neither_broadcast_nor_stored(harness: Harness) -> None:
    ann = await harness.member("c1", "Ann", "lobby")
    with pytest.raises(ChatError) as denied:
        await harness.chat.messaging.send("c1", "lobby", "n1gger")
    assert denied.value.code == ErrorCode.MESSAGE_BLOCKED
    assert "n1gger" not in denied.value.reason
    assert ann.events("message") == []
    stats = await harness.container.queries.room_stats("lobby")
    assert stats is not None
    assert stats.messages_total == 0


async def test_refused_messages_do_not_use_up_the_rate_limit(harness: Harness) -> None:
    await harness.member("c1", "Ann", "lobby")
    for text in ["   ", "\u200b", "x" * 513, "n1gger", "   "]:
        with pytest.raises(ChatError):
            await harness.chat.messaging.send("c1", "lobby", text)
    for i in range(5):
        await harness.chat.messaging.send("c1", "lobby", f"real {i}")
    with pytest.raises(ChatError) as denied:
        await harness.chat.messaging.send("c1", "lobby", "one too many")
    assert denied.value.code == ErrorCode.RATE_LIMITED


async def test_refused_joins_do_not_use_up_the_join_limit(harness: Harness) -> None:
    await harness.member("c1", "Ann", "lobby")
    await harness.member("c2", "ANN")
    for _ in range(12):
        with pytest.raises(ChatError) as taken:
            await harness.chat.membership.join("c2", "lobby")
        assert taken.value.code == ErrorCode.NAME_TAKEN
    await harness.chat.membership.join("c2", "elsewhere")


async def test_server_side_errors_do_not_count_against_the_abuse_budget(
    harness: Harness,
) -> None:
    await harness.member("c1", "Ann")
    for _ in range(50):
        assert not harness.chat.sessions.deny("c1", ChatError(ErrorCode.INTERNAL_ERROR, "bug"))
    exhausted = [
        harness.chat.sessions.deny("c1", ChatError(ErrorCode.INVALID_JSON, "x")) for _ in range(20)
    ]
    assert exhausted[-1] is True
    assert not any(exhausted[:-1])


async def test_a_kick_reason_is_cleaned_like_a_message(harness: Harness) -> None:
    await harness.member("c1", "Ann", "lobby")
    bob = await harness.member("c2", "Bob", "lobby")
    await harness.chat.moderation.kick("c1", "lobby", "Bob", "spam\u202e\x1b[2J  ")
    assert bob.events("kicked")[0]["reason"] == "spam[2J"
    carl = await harness.member("c3", "Carl", "lobby")
    with pytest.raises(ChatError) as blocked:
        await harness.chat.moderation.kick("c1", "lobby", "Carl", "you f4ggot")
    assert blocked.value.code == ErrorCode.MESSAGE_BLOCKED
    assert carl.events("kicked") == []
    stats = await harness.container.queries.room_stats("lobby")
    assert stats is not None
    assert stats.members == 2


async def test_a_join_that_fails_after_admission_leaves_nothing_behind(
    harness: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    await harness.member("c1", "Ann", "lobby")
    bob = await harness.member("c2", "Bob")

    async def broken(room: str) -> int:
        raise RuntimeError("store went away")

    monkeypatch.setattr(harness.container.history, "latest_seq", broken)
    with pytest.raises(RuntimeError):
        await harness.chat.membership.join("c2", "lobby")
    monkeypatch.undo()
    stats = await harness.container.queries.room_stats("lobby")
    assert stats is not None
    assert stats.members == 1
    session = harness.chat.sessions.get("c2")
    assert session is not None
    assert session.rooms == set()
    assert harness.container.hub.local_members("lobby") == ["c1"]
    await harness.chat.membership.join("c2", "lobby")
    assert bob.events("joined")[0]["room"] == "lobby"
