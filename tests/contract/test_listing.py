"""The room listing: busiest first, from an index kept as rooms change."""

from __future__ import annotations

import random

from app.domain.policies.names import name_key
from app.ports import RoomListing
from tests.contract.conftest import Adapters
from tests.contract.helpers import T0, member


async def _fill(adapters: Adapters, room: str, members: int, *, message_at: float | None) -> None:
    for i in range(members):
        await adapters.rooms.join(room, member(f"m{i}"), capacity=100, now=T0)
    if message_at is not None:
        await adapters.rooms.touch(room, name_key("m0"), now=message_at, sent_message=True)


async def test_rooms_are_listed_by_members_then_last_message_then_name(
    adapters: Adapters,
) -> None:
    await _fill(adapters, "quiet", 3, message_at=None)
    await _fill(adapters, "chatty", 3, message_at=T0 + 50)
    await _fill(adapters, "older", 3, message_at=T0 + 40)
    # A message a microsecond later must count: the order is exact, not rounded.
    await _fill(adapters, "newer", 3, message_at=T0 + 50.000001)
    await _fill(adapters, "bbb", 1, message_at=T0 + 10)
    await _fill(adapters, "aaa", 1, message_at=T0 + 10)
    await _fill(adapters, "big", 5, message_at=None)
    await _fill(adapters, "ccc", 1, message_at=None)
    page, total = await adapters.rooms.list_rooms(limit=50, offset=0)
    assert total == 8
    assert [r.name for r in page] == [
        "big",
        "newer",
        "chatty",
        "older",
        "quiet",
        "aaa",
        "bbb",
        "ccc",
    ]
    assert page[1] == RoomListing(
        name="newer", members=3, created_at=T0, last_message_at=T0 + 50.000001
    )
    assert page[0].last_message_at is None


async def test_the_listing_pages_and_follows_changes(adapters: Adapters) -> None:
    for i in range(7):
        await _fill(adapters, f"room-{i}", 1 + i % 3, message_at=T0 + i)
    page, total = await adapters.rooms.list_rooms(limit=3, offset=0)
    assert total == 7
    assert [r.name for r in page] == ["room-5", "room-2", "room-4"]
    page, _ = await adapters.rooms.list_rooms(limit=3, offset=3)
    assert [r.name for r in page] == ["room-1", "room-6", "room-3"]
    page, _ = await adapters.rooms.list_rooms(limit=3, offset=6)
    assert [r.name for r in page] == ["room-0"]
    assert await adapters.rooms.list_rooms(limit=3, offset=7) == ([], 7)
    # room-0 gets busy, room-5 empties: the index follows without a re-sort.
    for name in ("x1", "x2", "x3"):
        await adapters.rooms.join("room-0", member(name), capacity=100, now=T0)
    for i in range(3):
        await adapters.rooms.leave("room-5", name_key(f"m{i}"), now=T0 + 100)
    await adapters.rooms.touch("room-3", name_key("m0"), now=T0 + 200, sent_message=True)
    page, total = await adapters.rooms.list_rooms(limit=3, offset=0)
    assert total == 6
    assert [(r.name, r.members) for r in page] == [("room-0", 4), ("room-2", 3), ("room-4", 2)]
    page, _ = await adapters.rooms.list_rooms(limit=10, offset=3)
    assert [r.name for r in page] == ["room-1", "room-3", "room-6"]
    assert page[1].last_message_at == T0 + 200


async def test_the_index_always_matches_a_full_sort(adapters: Adapters) -> None:
    rng = random.Random(12)
    names = [f"room-{i}" for i in range(6)]
    members: dict[str, set[str]] = {name: set() for name in names}
    last: dict[str, float | None] = {}
    for step in range(300):
        room = rng.choice(names)
        guest = f"g{rng.randrange(6)}"
        now = T0 + step * rng.choice([0.0, 0.001, 1.0])  # ties in time happen too
        action = rng.random()
        if action < 0.5 and guest not in members[room]:
            await adapters.rooms.join(room, member(guest), capacity=100, now=now)
            if not members[room]:
                last[room] = None
            members[room].add(guest)
        elif action < 0.8 and guest in members[room]:
            await adapters.rooms.leave(room, name_key(guest), now=now)
            members[room].discard(guest)
        elif members[room]:
            who = next(iter(members[room]))
            await adapters.rooms.touch(room, name_key(who), now=now, sent_message=True)
            last[room] = now
        expected = sorted(
            (r for r in names if members[r]),
            key=lambda r: (-len(members[r]), -(last[r] or 0.0), r),
        )
        page, total = await adapters.rooms.list_rooms(limit=100, offset=0)
        assert [(p.name, p.members, p.last_message_at) for p in page] == [
            (r, len(members[r]), last[r]) for r in expected
        ]
        assert total == len(expected)
