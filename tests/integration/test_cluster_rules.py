"""Three `python -m app` processes on one Redis are one chat: every room rule holds across
nodes, with real sockets (tests/support/cluster.py). Each test uses rooms of its own on one
cluster started for the module."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import AsyncExitStack

import pytest

from tests.support.client import ChatClient, Event, connected
from tests.support.cluster import Cluster, fetch, start_cluster
from tests.support.redis import RedisServer

NODES = 3


@pytest.fixture(scope="module")
def cluster(redis_server: RedisServer) -> Iterator[Cluster]:
    running = start_cluster(
        redis_server,
        NODES,
        # Liveness is not under test here: a long TTL keeps a stalled node from being reaped.
        {
            "PARROT_RATE_MESSAGES": "1000/1",
            "PARROT_RATE_EVENTS": "1000/1",
            "PARROT_NODE_TTL_S": "10",
        },
        tag="rules",
    )
    yield running
    running.stop()


async def messages(client: ChatClient, count: int, timeout: float = 10.0) -> list[Event]:
    """Read until the client has seen `count` messages; those messages."""
    async with asyncio.timeout(timeout):
        while len(seen := [e for e in client.seen if e["type"] == "message"]) < count:
            await client.recv(timeout)
    return seen


async def outcome(client: ChatClient, room: str) -> str:
    """`joined`, or the error code, of the join the client sent."""
    while True:
        event = await client.recv(10)
        if event["type"] == "joined" and event["room"] == room:
            return "joined"
        if event["type"] == "error":
            return str(event["code"])


async def test_clients_on_every_node_chat_in_one_room_and_all_see_one_seq_order(
    cluster: Cluster, room: str
) -> None:
    per_client = 5
    async with AsyncExitStack() as stack:
        clients = [
            await stack.enter_async_context(await connected(cluster.ws(i % NODES), f"m{i}", room))
            for i in range(2 * NODES)
        ]

        async def burst(index: int, client: ChatClient) -> None:
            for n in range(per_client):
                await client.send(type="send", room=room, text=f"{index}:{n}", ref=f"r{n}")

        await asyncio.gather(*(burst(i, c) for i, c in enumerate(clients)))
        total = per_client * len(clients)
        seen = [await messages(c, total) for c in clients]
        orders = [[(e["seq"], e["id"], e["text"]) for e in s] for s in seen]
        assert [seq for seq, _, _ in orders[0]] == list(range(1, total + 1))
        assert all(order == orders[0] for order in orders)
        for index, events in enumerate(seen):
            mine = [e for e in events if e["text"].startswith(f"{index}:")]
            # Each sender's messages in the order it sent them, acknowledged with its refs.
            assert [e["text"] for e in mine] == [f"{index}:{n}" for n in range(per_client)]
            assert [e.get("ref") for e in mine] == [f"r{n}" for n in range(per_client)]
            assert all("ref" not in e for e in events if e not in mine)


async def test_one_name_taken_on_two_nodes_at_once_admits_one(cluster: Cluster, room: str) -> None:
    for attempt in range(5):
        name_room = f"{room}-{attempt}"
        async with (
            await connected(cluster.ws(0), "Echo") as first,
            await connected(cluster.ws(1), "ECH0") as second,
        ):
            await asyncio.gather(
                first.send(type="join", room=name_room), second.send(type="join", room=name_room)
            )
            results = sorted(
                await asyncio.gather(outcome(first, name_room), outcome(second, name_room))
            )
            assert results == ["joined", "name_taken"]


async def test_of_150_joins_spread_over_the_nodes_exactly_100_get_in(
    cluster: Cluster, room: str
) -> None:
    async with AsyncExitStack() as stack:
        clients = [
            await stack.enter_async_context(await connected(cluster.ws(i % NODES), f"g{i}"))
            for i in range(150)
        ]
        await asyncio.gather(*(c.send(type="join", room=room) for c in clients))
        results = await asyncio.gather(*(outcome(c, room) for c in clients))
        # On a loaded machine a node can answer a join service_unavailable (a Redis round trip
        # past PARROT_REDIS_TIMEOUT_S); the protocol says such a join may or may not have taken
        # effect and to retry, so those clients retry, one at a time, as a client would.
        for index, client in enumerate(clients):
            for _ in range(5):
                if results[index] != "service_unavailable":
                    break
                await asyncio.sleep(0.2)
                await client.send(type="join", room=room)
                retried = await outcome(client, room)
                results[index] = "joined" if retried == "already_in_room" else retried
        assert results.count("joined") == 100, sorted(set(results))
        assert results.count("room_full") == 50, sorted(set(results))
        for node in range(NODES):
            stats = (await fetch(f"{cluster.http(node)}/api/rooms/{room}")).json()
            assert stats["members"] == 100


async def test_the_owner_leaving_on_one_node_hands_over_to_the_oldest_member_on_another(
    cluster: Cluster, room: str
) -> None:
    async with (
        await connected(cluster.ws(0), "Olga", room) as owner,
        await connected(cluster.ws(1), "Second", room) as second,
        await connected(cluster.ws(2), "Third", room) as third,
    ):
        await owner.send(type="leave", room=room)
        for client in (second, third):
            changed = await client.expect("system", event="owner_changed")
            assert changed["data"] == {"owner": "Second", "previous": "Olga"}
        async with await connected(cluster.ws(0), "Later") as later:
            joined = await later.join(room)
            assert joined["owner"] == "Second"
            assert [(m["name"], m["owner"]) for m in joined["members"]] == [
                ("Second", True),
                ("Third", False),
                ("Later", False),
            ]
        # The new owner, on another node than the old one, may moderate.
        await second.send(type="kick", room=room, name="Third")
        assert (await third.expect("kicked"))["by"] == "Second"


@pytest.mark.parametrize("ban", [True, False], ids=["ban", "kick-cooldown"])
async def test_a_ban_or_kick_issued_on_one_node_holds_on_the_others(
    cluster: Cluster, room: str, ban: bool
) -> None:
    async with (
        await connected(cluster.ws(0), "Olga", room) as owner,
        await connected(cluster.ws(1), "Target", room) as target,
    ):
        await owner.send(type="ban" if ban else "kick", room=room, name="Target")
        await target.expect("banned" if ban else "kicked")
        assert (await target.expect("left", room=room))["reason"] == ("banned" if ban else "kicked")
        refused = "banned" if ban else "kicked"
        # The same name through another node, and the same connection under another name.
        async with await connected(cluster.ws(2), "Target") as again:
            await again.send(type="join", room=room)
            error = await again.expect("error")
            assert error["code"] == refused
            if not ban:
                assert 3_590_000 < error["retry_after_ms"] <= 3_600_000
        await target.hello("Disguise")
        await target.send(type="join", room=room)
        assert (await target.expect("error"))["code"] == refused


async def test_rooms_listing_history_and_resume_read_one_store_from_every_node(
    cluster: Cluster, room: str
) -> None:
    async with await connected(cluster.ws(1), "Bob", room) as bob:
        alice = await connected(cluster.ws(0), "Alice", room)
        for n in range(2):
            await bob.send(type="send", room=room, text=f"before {n}")
        seen = await messages(alice, 2)
        epoch = next(e for e in alice.seen if e["type"] == "joined")["epoch"]
        await alice.close()
        for n in range(3):
            await bob.send(type="send", room=room, text=f"missed {n}")
        await messages(bob, 5)
        listing = (await fetch(f"{cluster.http(2)}/api/rooms")).json()["rooms"]
        assert [r["members"] for r in listing if r["name"] == room] == [1]
        async with await connected(cluster.ws(2), "Alice") as back:
            rejoined = await back.join(room, since=seen[-1]["seq"], epoch=epoch)
            assert rejoined["recovered"] is True
            assert [m["text"] for m in rejoined["history"]] == [f"missed {n}" for n in range(3)]
            await back.send(type="history", room=room, before=3, limit=10, ref="h")
            page = await back.expect("history")
            assert [m["text"] for m in page["messages"]] == ["before 0", "before 1"]
            assert page["has_more"] is False
    # The last member left on its node: the room is gone on every node, and comes back new.
    for node in range(NODES):
        listed = (await fetch(f"{cluster.http(node)}/api/rooms")).json()["rooms"]
        assert room not in [r["name"] for r in listed]
    async with await connected(cluster.ws(0), "Carol") as carol:
        fresh = await carol.join(room)
        assert (fresh["epoch"] != epoch, fresh["seq"], fresh["history"]) == (True, 0, [])
