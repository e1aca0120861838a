"""NodeRegistry: heartbeats, dead nodes, and reaping a dead node's members exactly once."""

from __future__ import annotations

import asyncio

from app.domain.history import MessageDraft
from app.domain.model import Departure, LeaveChange
from app.ports import NodeMembership
from tests.contract.conftest import Adapters
from tests.contract.helpers import T0, member

TTL = 5.0


async def test_a_node_is_alive_until_its_ttl_runs_out(adapters: Adapters) -> None:
    nodes = adapters.nodes
    assert not await nodes.heartbeat("n1", now=T0, ttl_s=TTL)
    assert await nodes.heartbeat("n1", now=T0 + 4.9, ttl_s=TTL)
    assert not await nodes.heartbeat("n2", now=T0 + 5, ttl_s=TTL)
    assert await nodes.dead_nodes(now=T0 + 9.8) == []
    assert await nodes.dead_nodes(now=T0 + 9.9) == ["n1"]
    assert await nodes.dead_nodes(now=T0 + 20) == ["n1", "n2"]
    assert await nodes.alive_nodes(now=T0 + 9.8) == ["n1", "n2"]
    assert await nodes.alive_nodes(now=T0 + 9.9) == ["n2"]
    # A node whose TTL ran out learns it from its next beat.
    assert not await nodes.heartbeat("n1", now=T0 + 20, ttl_s=TTL)
    assert await nodes.dead_nodes(now=T0 + 20) == ["n2"]
    assert await nodes.alive_nodes(now=T0 + 20) == ["n1"]


async def test_reaping_removes_a_dead_nodes_members_hands_over_and_deletes_empty_rooms(
    adapters: Adapters,
) -> None:
    await adapters.start()
    rooms, nodes = adapters.rooms, adapters.nodes
    await nodes.heartbeat("dead", now=T0, ttl_s=TTL)
    await nodes.heartbeat("alive", now=T0, ttl_s=TTL)
    await rooms.join("shared", member("Ann", node="dead"), capacity=10, now=T0)
    await rooms.join("shared", member("Bob", node="alive"), capacity=10, now=T0 + 1)
    await rooms.join("shared", member("Cat", node="dead", conn="c-Cat"), capacity=10, now=T0 + 2)
    await rooms.join("solo", member("Ann", node="dead"), capacity=10, now=T0)
    draft = MessageDraft(room="solo", id="m", author="Ann", text="t", html="t", ts=T0)
    await adapters.broker.publish_message(draft, reply_conn=None, reply_ref=None, accepted_at=0)
    await rooms.typing("shared", "ann", now=T0 + 3)
    await nodes.heartbeat("alive", now=T0 + 6, ttl_s=TTL)
    assert await nodes.dead_nodes(now=T0 + 6) == ["dead"]

    reaped = await nodes.reap("dead", now=T0 + 6)
    summary = sorted(
        (room, c.departure.name, c.departure.last_seen, c.new_owner, c.room_empty)
        for room, c in reaped
    )
    assert summary == [
        ("shared", "Ann", T0 + 6, "Bob", False),
        ("shared", "Cat", T0 + 6, None, False),
        ("solo", "Ann", T0 + 6, None, True),
    ]
    shared = await rooms.snapshot("shared", now=T0 + 6)
    assert shared is not None
    assert (shared.owner, [m.name for m in shared.members], shared.typing) == ("Bob", ["Bob"], [])
    assert await rooms.snapshot("solo", now=T0 + 6) is None
    assert await adapters.history.latest("solo") == []
    assert await nodes.dead_nodes(now=T0 + 6) == []
    assert await nodes.reap("dead", now=T0 + 7) == []
    if adapters.redis is not None:
        keys = {k async for k in adapters.redis.client.scan_iter(match=adapters.prefix + "node:*")}
        assert keys == {adapters.prefix + "node:alive", adapters.prefix + "node:alive:m"}


async def test_two_reapers_at_once_each_get_a_membership_once(adapters: Adapters) -> None:
    assert adapters.peer is not None
    other = await adapters.peer()
    await adapters.nodes.heartbeat("dead", now=T0, ttl_s=TTL)
    expected = set()
    for r in range(8):
        room = f"room-{r}"
        await adapters.rooms.join(room, member("Keeper", node="alive"), capacity=50, now=T0)
        for m in range(5):
            name = f"guest{r}x{m}"
            await adapters.rooms.join(room, member(name, node="dead"), capacity=50, now=T0)
            expected.add((room, name))
    first, second = await asyncio.gather(
        adapters.nodes.reap("dead", now=T0 + 10), other.nodes.reap("dead", now=T0 + 10)
    )
    got_first = {(room, c.departure.name) for room, c in first}
    got_second = {(room, c.departure.name) for room, c in second}
    assert got_first | got_second == expected
    assert not got_first & got_second
    assert len(first) + len(second) == len(expected)
    for r in range(8):
        snapshot = await adapters.rooms.snapshot(f"room-{r}", now=T0 + 10)
        assert snapshot is not None
        assert [m.name for m in snapshot.members] == ["Keeper"]


async def test_a_live_node_is_not_reaped(adapters: Adapters) -> None:
    await adapters.nodes.heartbeat("n1", now=T0, ttl_s=TTL)
    await adapters.rooms.join("lobby", member("Ann", node="n1"), capacity=10, now=T0)
    assert await adapters.nodes.reap("n1", now=T0 + 1) == []
    snapshot = await adapters.rooms.snapshot("lobby", now=T0 + 1)
    assert snapshot is not None
    assert [m.name for m in snapshot.members] == ["Ann"]


async def test_a_member_who_left_and_came_back_on_another_node_is_not_reaped(
    adapters: Adapters,
) -> None:
    await adapters.nodes.heartbeat("dead", now=T0, ttl_s=TTL)
    await adapters.rooms.join("lobby", member("Ann", node="dead"), capacity=10, now=T0)
    await adapters.rooms.join("lobby", member("Bob", node="alive"), capacity=10, now=T0)
    await adapters.rooms.leave("lobby", "ann", now=T0 + 1)
    await adapters.rooms.join("lobby", member("Ann", node="alive", conn="c2"), capacity=10, now=T0)
    assert await adapters.nodes.reap("dead", now=T0 + 10) == []
    snapshot = await adapters.rooms.snapshot("lobby", now=T0 + 10)
    assert snapshot is not None
    assert [m.name for m in snapshot.members] == ["Bob", "Ann"]


async def test_a_nodes_memberships_are_listed_and_each_removed_once_even_while_alive(
    adapters: Adapters,
) -> None:
    await adapters.start()
    rooms, nodes = adapters.rooms, adapters.nodes
    await nodes.heartbeat("n1", now=T0, ttl_s=TTL)
    await rooms.join("lobby", member("Ann", node="n1"), capacity=10, now=T0)
    await rooms.join("lobby", member("Bob", node="n2"), capacity=10, now=T0 + 1)
    await rooms.join("solo", member("Ann", node="n1"), capacity=10, now=T0)
    lobby = NodeMembership(room="lobby", conn_id="c-Ann", key="ann")
    solo = NodeMembership(room="solo", conn_id="c-Ann", key="ann")
    assert await nodes.memberships("n1") == [lobby, solo]
    assert await nodes.memberships("n2") == [
        NodeMembership(room="lobby", conn_id="c-Bob", key="bob")
    ]
    assert await nodes.memberships("nobody") == []

    change = await nodes.remove("n1", lobby, now=T0 + 2)
    assert change == LeaveChange(
        departure=Departure(name="Ann", key="ann", last_seen=T0 + 2),
        new_owner="Bob",
        room_empty=False,
    )
    assert await nodes.remove("n1", lobby, now=T0 + 2) is None
    # Another node's member, or the same name on another connection, is not this one's.
    assert await nodes.remove("n1", NodeMembership("lobby", "c-Bob", "bob"), now=T0 + 2) is None
    await rooms.join("lobby", member("Ann", node="n1", conn="c-Ann2"), capacity=10, now=T0 + 3)
    assert await nodes.remove("n1", lobby, now=T0 + 3) is None
    assert await nodes.memberships("n1") == [
        NodeMembership(room="lobby", conn_id="c-Ann2", key="ann"),
        solo,
    ]
    emptied = await nodes.remove("n1", solo, now=T0 + 4)
    assert emptied is not None
    assert emptied.room_empty
    assert await rooms.snapshot("solo", now=T0 + 4) is None
    snapshot = await rooms.snapshot("lobby", now=T0 + 4)
    assert snapshot is not None
    assert [(m.name, m.conn_id) for m in snapshot.members] == [("Bob", "c-Bob"), ("Ann", "c-Ann2")]
