"""What a room remembers is bounded the same on both adapters: the newest `recent_max`
departures, and the newest MAX_EXCLUSIONS bans and kick cooldowns of each kind (by name key
and by connection), the oldest forgotten first."""

from __future__ import annotations

import pytest

from app.domain.errors import ChatError
from app.domain.model import MAX_EXCLUSIONS
from app.domain.policies.names import name_key
from tests.contract.conftest import RECENT_MAX, Adapters
from tests.contract.helpers import T0, member

COOLDOWN_S = 3600.0


async def test_a_room_keeps_only_its_newest_departures(adapters: Adapters) -> None:
    rooms = adapters.rooms
    names = ["Own", *(f"guest{i}" for i in range(RECENT_MAX + 2))]
    for i, name in enumerate(names):
        await rooms.join("lobby", member(name), capacity=100, now=T0 + i)
    for i, name in enumerate(names[1:]):
        await rooms.leave("lobby", name_key(name), now=T0 + 10 + i)

    async def recent(at: float) -> list[str]:
        snapshot = await rooms.snapshot("lobby", now=at)
        assert snapshot is not None
        return [d.name for d in snapshot.recent]

    assert await recent(T0 + 20) == names[-RECENT_MAX:]
    # Leaving again makes a departure the newest; the oldest kept one goes.
    oldest_kept = names[-RECENT_MAX]
    await rooms.join("lobby", member("guest0"), capacity=100, now=T0 + 30)
    await rooms.leave("lobby", name_key("guest0"), now=T0 + 31)
    assert await recent(T0 + 32) == [*names[-RECENT_MAX + 1 :], "guest0"]
    assert oldest_kept not in await recent(T0 + 32)


async def _exclude(adapters: Adapters, *, ban: bool) -> int:
    """The owner evicts MAX_EXCLUSIONS + 2 members, m0 first; returns how many."""
    rooms = adapters.rooms
    await rooms.join("lobby", member("Own"), capacity=10, now=T0)
    count = MAX_EXCLUSIONS + 2
    for i in range(count):
        # One after the other (Redis orders cooldowns by when they end; equal ends, from two
        # kicks at the same instant, would fall to the name).
        at = T0 + 1 + i / 1000
        await rooms.join("lobby", member(f"m{i}", conn=f"c{i}"), capacity=10, now=at)
        await rooms.evict(
            "lobby", name_key("Own"), name_key(f"m{i}"), ban=ban, cooldown_s=COOLDOWN_S, now=at
        )
    return count


async def _admitted(adapters: Adapters, name: str, conn: str) -> str:
    try:
        await adapters.rooms.join("lobby", member(name, conn=conn), capacity=10, now=T0 + 5)
    except ChatError as refused:
        return refused.code.value
    await adapters.rooms.leave("lobby", name_key(name), now=T0 + 5)
    return "admitted"


@pytest.mark.parametrize("ban", [True, False], ids=["bans", "cooldowns"])
async def test_a_room_keeps_only_its_newest_exclusions_of_each_kind(
    adapters: Adapters, ban: bool
) -> None:
    count = await _exclude(adapters, ban=ban)
    refused = "banned" if ban else "kicked"
    # m0 and m1 were excluded first: forgotten, by name key and by connection alike.
    assert await _admitted(adapters, "m0", "c0") == "admitted"
    assert await _admitted(adapters, "m1", "fresh-1") == "admitted"
    assert await _admitted(adapters, "stranger", "c1") == "admitted"
    # The newest MAX_EXCLUSIONS hold, each by key and by connection.
    assert await _admitted(adapters, "m2", "fresh-2") == refused
    assert await _admitted(adapters, "stranger", "c2") == refused
    last = count - 1
    assert await _admitted(adapters, f"m{last}", f"c{last}") == refused
    if adapters.redis is not None:
        client, keys = adapters.redis.client, adapters.redis.keys
        parts = ("bank", "banc") if ban else ("cdk", "cdc")
        for part in parts:
            assert await client.zcard(keys.room("lobby", part)) == MAX_EXCLUSIONS
