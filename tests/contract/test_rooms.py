"""RoomStore contract: every room rule, the same on the in-memory and the Redis adapter."""

from __future__ import annotations

import asyncio

import pytest

from app.domain import refusals
from app.domain.codes import ErrorCode
from app.domain.errors import ChatError
from app.domain.model import AWAY_AFTER_S, RECENT_DEPARTURE_S, TYPING_TTL_S
from app.domain.policies.names import name_key
from app.domain.timefmt import ceil_ms
from tests.contract.conftest import Adapters
from tests.contract.helpers import T0, member, refusal


async def _room(adapters: Adapters, *names: str, room: str = "lobby", capacity: int = 100) -> None:
    for i, name in enumerate(names):
        await adapters.rooms.join(room, member(name, at=T0 + i), capacity=capacity, now=T0 + i)


async def test_the_first_join_creates_the_room_and_its_owner(adapters: Adapters) -> None:
    first = await adapters.rooms.join("lobby", member("Ann"), capacity=3, now=T0)
    assert first.created
    assert first.room.owner == "Ann"
    assert first.room.capacity == 3
    assert first.room.created_at == T0
    assert first.room.members == [member("Ann")]
    second = await adapters.rooms.join("lobby", member("Bob", at=T0 + 1), capacity=3, now=T0 + 1)
    assert not second.created
    assert second.room.epoch == first.room.epoch
    assert [m.name for m in second.room.members] == ["Ann", "Bob"]
    assert second.room.members[1].node_id == "n1"
    assert await adapters.rooms.count() == 1


@pytest.mark.parametrize("taken_as", ["Ann", "ANN", "\u0430nn", "\uff41\uff4e\uff4e"])
async def test_a_name_is_taken_whatever_its_case_or_look_alikes(
    adapters: Adapters, taken_as: str
) -> None:
    await _room(adapters, "Ann")
    with pytest.raises(ChatError) as refused:
        await adapters.rooms.join("lobby", member(taken_as, conn="other"), capacity=10, now=T0)
    assert refusal(refused.value) == refusal(refusals.name_taken("lobby", taken_as))
    snapshot = await adapters.rooms.snapshot("lobby", now=T0)
    assert snapshot is not None
    assert [m.name for m in snapshot.members] == ["Ann"]


async def test_of_two_clients_taking_one_name_at_once_exactly_one_wins(adapters: Adapters) -> None:
    assert adapters.peer is not None
    other = await adapters.peer()
    await adapters.rooms.join("lobby", member("Keeper"), capacity=100, now=T0)
    for round_ in range(20):
        name = f"Guest{round_}"
        results = await asyncio.gather(
            adapters.rooms.join("lobby", member(name, conn="a"), capacity=100, now=T0),
            other.rooms.join("lobby", member(name.upper(), conn="b"), capacity=100, now=T0),
            return_exceptions=True,
        )
        refused = [r for r in results if isinstance(r, ChatError)]
        assert len(refused) == 1
        assert refused[0].code is ErrorCode.NAME_TAKEN
    snapshot = await adapters.rooms.snapshot("lobby", now=T0)
    assert snapshot is not None
    assert len(snapshot.members) == 21


async def test_exactly_capacity_of_150_concurrent_joins_from_two_clients_get_in(
    adapters: Adapters,
) -> None:
    assert adapters.peer is not None
    other = await adapters.peer()
    joins = [
        (adapters if i % 2 else other).rooms.join(
            "crowd", member(f"guest{i}", node=f"n{i % 2}"), capacity=100, now=T0
        )
        for i in range(150)
    ]
    results = await asyncio.gather(*joins, return_exceptions=True)
    admitted = [r for r in results if not isinstance(r, BaseException)]
    refused = [r for r in results if isinstance(r, ChatError)]
    assert len(admitted) == 100
    assert len(refused) == 50
    assert {refusal(r) for r in refused} == {refusal(refusals.room_full("crowd", 100))}
    assert sum(1 for r in admitted if r.created) == 1
    snapshot = await adapters.rooms.snapshot("crowd", now=T0)
    assert snapshot is not None
    assert len(snapshot.members) == 100
    # One owner: the member whose join created the room is first in join order.
    creator = next(r for r in admitted if r.created).room.members[0].name
    assert snapshot.owner == creator
    page, total = await adapters.rooms.list_rooms(limit=10, offset=0)
    assert (total, page[0].members) == (1, 100)


async def test_ownership_passes_to_the_oldest_member_and_the_last_leave_deletes_the_room(
    adapters: Adapters,
) -> None:
    await _room(adapters, "Ann", "Bob", "Cat")
    change = await adapters.rooms.leave("lobby", name_key("Ann"), now=T0 + 10)
    assert change is not None
    assert (change.new_owner, change.room_empty) == ("Bob", False)
    assert change.departure.name == "Ann"
    assert change.departure.last_seen == T0 + 10
    change = await adapters.rooms.leave("lobby", name_key("Cat"), now=T0 + 11)
    assert change is not None
    assert (change.new_owner, change.room_empty) == (None, False)
    snapshot = await adapters.rooms.snapshot("lobby", now=T0 + 11)
    assert snapshot is not None
    assert snapshot.owner == "Bob"
    change = await adapters.rooms.leave("lobby", name_key("Bob"), now=T0 + 12)
    assert change is not None
    assert (change.new_owner, change.room_empty) == (None, True)
    assert await adapters.rooms.snapshot("lobby", now=T0 + 12) is None
    assert await adapters.rooms.count() == 0


async def test_leaving_without_being_a_member_changes_nothing(adapters: Adapters) -> None:
    assert await adapters.rooms.leave("nowhere", "ann", now=T0) is None
    await _room(adapters, "Ann")
    assert await adapters.rooms.leave("lobby", "bob", now=T0) is None
    assert await adapters.rooms.count() == 1


async def test_a_kicked_member_may_rejoin_only_after_the_cooldown(adapters: Adapters) -> None:
    await _room(adapters, "Ann", "Bob")
    target, change = await adapters.rooms.evict(
        "lobby", name_key("Ann"), name_key("Bob"), ban=False, cooldown_s=60.0, now=T0 + 10
    )
    assert target == member("Bob", at=T0 + 1)
    assert (change.departure.name, change.new_owner, change.room_empty) == ("Bob", None, False)
    for later, who in ((12.5, member("Bob")), (59.9999, member("Robert", conn="c-Bob"))):
        with pytest.raises(ChatError) as refused:
            await adapters.rooms.join("lobby", who, capacity=10, now=T0 + later)
        expected = refusals.kicked("lobby", ceil_ms(T0 + 10 + 60.0 - (T0 + later)))
        assert refusal(refused.value) == refusal(expected)
    await adapters.rooms.sweep(now=T0 + 30)  # sweeping early keeps the cooldown
    with pytest.raises(ChatError):
        await adapters.rooms.join("lobby", member("Bob"), capacity=10, now=T0 + 31)
    await adapters.rooms.sweep(now=T0 + 70)
    joined = await adapters.rooms.join("lobby", member("Bob"), capacity=10, now=T0 + 70)
    assert [m.name for m in joined.room.members] == ["Ann", "Bob"]


async def test_a_cooldown_ends_on_time_even_before_a_sweep(adapters: Adapters) -> None:
    await _room(adapters, "Ann", "Bob")
    await adapters.rooms.evict("lobby", "ann", "bob", ban=False, cooldown_s=5.0, now=T0 + 10)
    await adapters.rooms.join("lobby", member("Bob"), capacity=10, now=T0 + 15.0001)


async def test_a_ban_holds_by_name_and_connection_until_the_room_empties(
    adapters: Adapters,
) -> None:
    await _room(adapters, "Ann", "Bob")
    await adapters.rooms.evict("lobby", "ann", "bob", ban=True, cooldown_s=60.0, now=T0 + 5)
    for who in (member("Bob", conn="new"), member("Robert", conn="c-Bob")):
        with pytest.raises(ChatError) as refused:
            await adapters.rooms.join("lobby", who, capacity=10, now=T0 + 10_000)
        assert refusal(refused.value) == refusal(refusals.banned("lobby"))
    await adapters.rooms.sweep(now=T0 + 10_000)
    with pytest.raises(ChatError):
        await adapters.rooms.join("lobby", member("Bob"), capacity=10, now=T0 + 10_001)
    await adapters.rooms.leave("lobby", "ann", now=T0 + 10_002)
    again = await adapters.rooms.join("lobby", member("Bob"), capacity=10, now=T0 + 10_003)
    assert again.created


async def test_refusals_come_in_admit_order(adapters: Adapters) -> None:
    await _room(adapters, "Ann", "Bob", capacity=2)
    await adapters.rooms.evict("lobby", "ann", "bob", ban=True, cooldown_s=1.0, now=T0 + 2)
    await adapters.rooms.join("lobby", member("Cat"), capacity=2, now=T0 + 3)
    # Bob is banned and the room is full again: banned comes first; Ann's name is taken.
    with pytest.raises(ChatError) as refused:
        await adapters.rooms.join("lobby", member("Bob"), capacity=2, now=T0 + 4)
    assert refused.value.code is ErrorCode.BANNED
    with pytest.raises(ChatError) as refused:
        await adapters.rooms.join("lobby", member("Ann", conn="c-Bob"), capacity=2, now=T0 + 4)
    assert refused.value.code is ErrorCode.NAME_TAKEN
    with pytest.raises(ChatError) as refused:
        await adapters.rooms.join("lobby", member("Dan"), capacity=2, now=T0 + 4)
    assert refusal(refused.value) == refusal(refusals.room_full("lobby", 2))


@pytest.mark.parametrize(
    ("actor", "target", "expected"),
    [
        ("Bob", "Cat", refusals.not_owner("lobby")),
        ("Zed", "Cat", refusals.not_owner("lobby")),
        ("Ann", "Ann", refusals.cannot_target_self("lobby")),
        ("Ann", "Zed", refusals.member_not_found("lobby")),
    ],
)
async def test_only_the_owner_evicts_someone_else_who_is_there(
    adapters: Adapters, actor: str, target: str, expected: ChatError
) -> None:
    await _room(adapters, "Ann", "Bob", "Cat")
    for ban in (False, True):
        with pytest.raises(ChatError) as refused:
            await adapters.rooms.evict(
                "lobby", name_key(actor), name_key(target), ban=ban, cooldown_s=1.0, now=T0 + 5
            )
        assert refusal(refused.value) == refusal(expected)
    snapshot = await adapters.rooms.snapshot("lobby", now=T0 + 5)
    assert snapshot is not None
    assert len(snapshot.members) == 3


async def test_evicting_in_a_room_that_does_not_exist(adapters: Adapters) -> None:
    with pytest.raises(ChatError) as refused:
        await adapters.rooms.evict("nowhere", "ann", "bob", ban=False, cooldown_s=1, now=T0)
    assert refusal(refused.value) == refusal(refusals.not_in_room("nowhere"))


async def test_typing_is_coalesced_and_expires(adapters: Adapters) -> None:
    await _room(adapters, "Ann", "Bob")
    rooms = adapters.rooms
    assert await rooms.typing("lobby", "ann", now=T0 + 10)
    assert not await rooms.typing("lobby", "ann", now=T0 + 11)
    assert not await rooms.typing("lobby", "ann", now=T0 + 11.999)
    assert await rooms.typing("lobby", "ann", now=T0 + 12)
    assert await rooms.typing("lobby", "bob", now=T0 + 12)
    assert not await rooms.typing("lobby", "zed", now=T0 + 12)
    assert not await rooms.typing("nowhere", "ann", now=T0 + 12)
    snapshot = await rooms.snapshot("lobby", now=T0 + 12 + TYPING_TTL_S - 0.001)
    assert snapshot is not None
    assert sorted(snapshot.typing) == ["Ann", "Bob"]
    await rooms.sweep(now=T0 + 12 + TYPING_TTL_S)
    snapshot = await rooms.snapshot("lobby", now=T0 + 12 + TYPING_TTL_S)
    assert snapshot is not None
    assert snapshot.typing == []
    # After expiry a new mark is announced again.
    assert await rooms.typing("lobby", "ann", now=T0 + 30)


async def test_a_message_ends_its_authors_typing_mark(adapters: Adapters) -> None:
    await _room(adapters, "Ann", "Bob")
    await adapters.rooms.typing("lobby", "ann", now=T0 + 10)
    await adapters.rooms.typing("lobby", "bob", now=T0 + 10)
    await adapters.rooms.touch("lobby", "ann", now=T0 + 10.5, sent_message=True)
    snapshot = await adapters.rooms.snapshot("lobby", now=T0 + 11)
    assert snapshot is not None
    assert snapshot.typing == ["Bob"]
    assert await adapters.rooms.typing("lobby", "ann", now=T0 + 11)


async def test_inactive_members_go_away_in_sweep_and_come_back_on_activity(
    adapters: Adapters,
) -> None:
    await _room(adapters, "Ann", "Bob", "Cat", room="one")
    await _room(adapters, "Dan", room="two")
    rooms = adapters.rooms
    await rooms.touch("one", "ann", now=T0 + 100)
    assert await rooms.sweep(now=T0 + AWAY_AFTER_S - 0.001) == []
    changes = await rooms.sweep(now=T0 + 2 + AWAY_AFTER_S)
    assert sorted((c.room, c.member.name) for c in changes) == [
        ("one", "Bob"),
        ("one", "Cat"),
        ("two", "Dan"),
    ]
    assert [c.member.name for c in changes if c.room == "one"] == ["Bob", "Cat"]
    bob = next(c.member for c in changes if c.member.name == "Bob")
    assert (bob.away, bob.last_active_at) == (True, T0 + 1)
    assert await rooms.sweep(now=T0 + 3 + AWAY_AFTER_S) == []
    snapshot = await rooms.snapshot("one", now=T0 + 400)
    assert snapshot is not None
    assert [(m.name, m.away) for m in snapshot.members] == [
        ("Ann", False),
        ("Bob", True),
        ("Cat", True),
    ]
    assert await rooms.touch("one", "bob", now=T0 + 401)
    assert not await rooms.touch("one", "bob", now=T0 + 402)
    assert not await rooms.touch("one", "zed", now=T0 + 402)
    changes = await rooms.sweep(now=T0 + 100 + AWAY_AFTER_S)
    assert [(c.room, c.member.name) for c in changes] == [("one", "Ann")]


async def test_departures_stay_in_recent_for_ten_minutes(adapters: Adapters) -> None:
    await _room(adapters, "Ann", "Bob", "Cat")
    await adapters.rooms.leave("lobby", "bob", now=T0 + 10)
    await adapters.rooms.leave("lobby", "cat", now=T0 + 20)

    async def recent(at: float) -> list[tuple[str, float]]:
        snapshot = await adapters.rooms.snapshot("lobby", now=at)
        assert snapshot is not None
        return [(d.name, d.last_seen) for d in snapshot.recent]

    assert await recent(T0 + 21) == [("Bob", T0 + 10), ("Cat", T0 + 20)]
    assert await recent(T0 + 10 + RECENT_DEPARTURE_S) == [("Bob", T0 + 10), ("Cat", T0 + 20)]
    assert await recent(T0 + 10.001 + RECENT_DEPARTURE_S) == [("Cat", T0 + 20)]
    await adapters.rooms.sweep(now=T0 + 15 + RECENT_DEPARTURE_S)
    await adapters.rooms.join("lobby", member("Cat"), capacity=10, now=T0 + 16 + RECENT_DEPARTURE_S)
    assert await recent(T0 + 17 + RECENT_DEPARTURE_S) == []


async def test_a_room_created_again_has_a_new_epoch(adapters: Adapters) -> None:
    first = await adapters.rooms.join("lobby", member("Ann"), capacity=10, now=T0)
    await adapters.rooms.leave("lobby", "ann", now=T0 + 1)
    again = await adapters.rooms.join("lobby", member("Ann"), capacity=10, now=T0 + 2)
    assert again.created
    assert again.room.epoch != first.room.epoch
    assert again.room.created_at == T0 + 2
    assert again.room.recent == []


async def test_nothing_of_a_room_is_left_once_its_last_member_leaves(adapters: Adapters) -> None:
    from app.domain.history import MessageDraft

    await adapters.start()
    await _room(adapters, "Ann", "Bob", "Cat")
    await adapters.rooms.typing("lobby", "bob", now=T0 + 5)
    await adapters.rooms.touch("lobby", "ann", now=T0 + 6, sent_message=True)
    draft = MessageDraft(room="lobby", id="m1", author="Ann", text="hi", html="hi", ts=T0 + 6)
    await adapters.broker.publish_message(draft, reply_conn=None, reply_ref=None, accepted_at=0)
    await adapters.rooms.evict("lobby", "ann", "cat", ban=False, cooldown_s=600, now=T0 + 7)
    await adapters.rooms.evict("lobby", "ann", "bob", ban=True, cooldown_s=600, now=T0 + 8)
    await adapters.rooms.leave("lobby", "ann", now=T0 + 9)
    await adapters.history.drop("lobby")  # what the service does after the last leave
    assert await adapters.rooms.snapshot("lobby", now=T0 + 9) is None
    assert await adapters.rooms.list_rooms(limit=10, offset=0) == ([], 0)
    assert await adapters.history.latest_seq("lobby") == 0
    assert await adapters.rooms.sweep(now=T0 + 10_000) == []
    if adapters.redis is not None:
        client = adapters.redis.client
        assert [k async for k in client.scan_iter(match=adapters.prefix + "*")] == []
