"""The node's housekeeping on the in-memory store with a manual clock: reaping another node's
members, reconciling its own, answering gaps, and readiness while the store is lost. (The
same code on Redis, across real processes: tests/integration/test_cluster*.py.)"""

from __future__ import annotations

from typing import Any

import pytest

from app.domain.model import Member
from app.domain.policies.names import name_key
from app.ports import Gap, GapReason, NodeMembership, StoreUnavailable
from app.services.node import Node
from tests.support.harness import Event, Harness

TTL = 1.0
SETTINGS: dict[str, Any] = {
    "node_id": "here",
    "heartbeat_interval_s": 0.02,
    "node_ttl_s": TTL,
}


async def _harness() -> Harness:
    return await Harness(**SETTINGS).start()


def _notices(events: list[Event]) -> list[tuple[str, ...]]:
    return [
        (e["event"], e["text"]) if e["type"] == "system" else (e["type"], e["name"], e["status"])
        for e in events
        if e["type"] in ("system", "presence")
    ]


async def _tick(node: Node) -> None:
    """One heartbeat and the housekeeping round that follows it (what the node's tasks do)."""
    await node.beat()
    await node.housekeeping()


async def _remote_member(h: Harness, room: str, name: str, *, node: str = "there") -> None:
    """A member another node admitted (the same store: the memory adapter is one node, so
    the other node is played by writing its member directly)."""
    now = h.clock.now()
    member = Member(
        name=name, key=name_key(name), conn_id=f"remote-{name}", joined_at=now,
        last_active_at=now, node_id=node,
    )  # fmt: skip
    await h.container.rooms.join(room, member, capacity=100, now=now)


async def test_a_dead_nodes_members_are_removed_and_announced_once() -> None:
    h = await _harness()
    nodes, node = h.container.nodes, h.container.node
    await nodes.heartbeat("there", now=h.clock.now(), ttl_s=TTL)
    await _remote_member(h, "lobby", "Owner")
    watcher = await h.member("w", "Watcher", "lobby")
    await _tick(node)
    watcher.take()
    h.clock.advance(TTL + 0.5)
    await _tick(node)  # first reap only once this node has been up for a TTL
    assert _notices(watcher.take()) == [
        ("member_left", "[system] Owner left"),
        ("presence", "Owner", "offline"),
        ("owner_changed", "[system] Watcher now owns the room"),
    ]
    h.clock.advance(0.1)
    await _tick(node)
    assert watcher.take() == []
    assert await nodes.dead_nodes(now=h.clock.now()) == []


async def test_a_node_does_not_reap_before_it_has_been_up_for_a_ttl() -> None:
    h = await _harness()
    nodes, node = h.container.nodes, h.container.node
    await nodes.heartbeat("there", now=h.clock.now(), ttl_s=TTL)
    await _remote_member(h, "lobby", "Remote")
    h.clock.advance(TTL + 0.5)
    await _tick(node)  # its first beat: "there" looks dead, but this node just arrived
    snapshot = await h.container.rooms.snapshot("lobby", now=h.clock.now())
    assert snapshot is not None
    assert [m.name for m in snapshot.members] == ["Remote"]


async def test_a_membership_this_node_no_longer_holds_is_removed_and_announced() -> None:
    h = await _harness()
    watcher = await h.member("w", "Watcher", "lobby")
    # Left behind: a leave that failed while the store was down, or an earlier process with
    # the same node id.
    await _remote_member(h, "lobby", "Ghost", node="here")
    await _remote_member(h, "gone-room", "Ghost", node="here")
    watcher.take()
    await h.container.node.reconcile()
    assert _notices(watcher.take()) == [
        ("member_left", "[system] Ghost left"),
        ("presence", "Ghost", "offline"),
    ]
    assert await h.container.rooms.snapshot("gone-room", now=h.clock.now()) is None
    assert await h.container.nodes.memberships("here") == [
        NodeMembership(room="lobby", conn_id="w", key=name_key("Watcher"))
    ]


async def test_a_connection_whose_membership_the_store_lost_is_sent_away_to_resume() -> None:
    h = await _harness()
    kept = await h.member("k", "Kept", "lobby")
    lost = await h.member("l", "Lost", "lobby")
    await h.container.nodes.remove("here", NodeMembership("lobby", "l", name_key("Lost")), now=1.0)
    await h.container.node.reconcile()
    assert (lost.close_code, kept.close_code) == (4009, None)


async def test_a_gap_sends_the_rooms_members_here_away_but_spares_those_of_the_new_epoch() -> None:
    h = await _harness()
    old = await h.member("o", "Old", "lobby")
    other_room = await h.member("x", "Elsewhere", "other")
    new = await h.member("n", "New", "lobby")
    epoch = next(e for e in new.events("joined"))["epoch"]
    node = h.container.node
    # The room was created again, and both joined it as it is now: nothing was missed.
    node.on_gap(Gap(room="lobby", after_seq=3, reason=GapReason.RECREATED, epoch=epoch))
    assert (old.close_code, new.close_code, other_room.close_code) == (None, None, None)
    h.container.chat.sessions.get("o").epochs["lobby"] = "older"  # type: ignore[union-attr]  # joined above
    node.on_gap(Gap(room="lobby", after_seq=3, reason=GapReason.RECREATED, epoch=epoch))
    assert (old.close_code, new.close_code) == (4009, None)
    # Trimmed: messages of this very epoch were missed, so everyone here resumes.
    node.on_gap(Gap(room="lobby", after_seq=5, reason=GapReason.TRIMMED, epoch=epoch))
    assert (new.close_code, other_room.close_code) == (4009, None)


async def test_the_node_is_not_ready_while_the_store_fails_and_ready_again_after() -> None:
    h = await _harness()
    node, nodes = h.container.node, h.container.nodes
    healthy = nodes.heartbeat

    async def failing(*_args: object, **_kwargs: object) -> bool:
        raise StoreUnavailable("heartbeat: Redis unavailable (refused)")

    nodes.heartbeat = failing  # type: ignore[method-assign]  # a fault injected for the test
    await node.beat()
    assert not node.ready
    nodes.heartbeat = healthy  # type: ignore[method-assign]
    await node.beat()
    assert node.ready
    peer = await h.member("a", "Ann")
    h.container.connections.store_unavailable(peer, "r1")
    assert not node.ready
    assert peer.events("error")[-1] == {
        "type": "error",
        "code": "service_unavailable",
        "reason": "the chat store is unavailable; try again shortly",
        "ref": "r1",
    }
    assert peer.close_code is None


@pytest.mark.parametrize("failing_step", ["leave", "announce"])
async def test_a_store_failure_after_a_leave_keeps_the_member_out_locally(
    failing_step: str,
) -> None:
    h = await _harness()
    ann = await h.member("a", "Ann", "lobby")
    await h.member("b", "Bob", "lobby")
    chat = h.container.chat

    async def fail(*_args: object, **_kwargs: object) -> None:
        raise StoreUnavailable("Redis unavailable")

    if failing_step == "leave":
        h.container.rooms.leave = fail  # type: ignore[method-assign]  # injected fault
    else:
        h.container.broker.publish = fail  # type: ignore[method-assign]  # injected fault
    if failing_step == "leave":
        with pytest.raises(StoreUnavailable):
            await chat.membership.leave("a", "lobby")
    else:
        await chat.membership.leave("a", "lobby")
    assert "lobby" not in chat.sessions.get("a").rooms  # type: ignore[union-attr]  # connected
    assert ann.events("left")
