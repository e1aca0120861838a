"""Faults of a multi-node chat, with real processes: a node killed, a node drained behind
HAProxy, Redis frozen, Redis restarted empty, a pub/sub link lost. Each test starts its own
nodes (and, when it stops Redis, its own Redis)."""

from __future__ import annotations

import asyncio
import signal
import time
from contextlib import AsyncExitStack

import redis

from tests.support.client import ChatClient, Event, connected
from tests.support.cluster import HEARTBEAT_S, TTL_S, fetch, haproxy, running_cluster
from tests.support.metrics import sample
from tests.support.redis import RedisServer
from tests.support.server import start_server


def seqs(client: ChatClient) -> list[int]:
    return [e["seq"] for e in client.seen if e["type"] == "message"]


def system_events(client: ChatClient, kind: str) -> list[Event]:
    return [e for e in client.seen if e["type"] == "system" and e["event"] == kind]


async def ready(url: str) -> int:
    return (await fetch(f"{url}/readyz")).status_code


async def wait_ready(url: str, status: int, timeout: float = 10.0) -> None:
    async with asyncio.timeout(timeout):
        while await ready(url) != status:  # noqa: ASYNC110  # another process's state: poll it
            await asyncio.sleep(0.05)


async def test_a_killed_nodes_members_leave_on_the_others_within_the_ttl_once(
    redis_server: RedisServer,
) -> None:
    with running_cluster(redis_server, 3, tag="kill") as cluster:
        async with AsyncExitStack() as stack:

            async def join(node: int, name: str, room: str) -> ChatClient:
                client = await connected(cluster.ws(node), name, room)
                return await stack.enter_async_context(client)

            await join(1, "Vera", "shared")  # the owner, on the node that dies
            watchers = [await join(0, "Walt", "shared"), await join(2, "Wren", "shared")]
            await join(1, "Vic", "shared")
            await join(1, "Sam", "solo-room")
            for watcher in watchers:
                await watcher.quiet(0.3)
            cluster.nodes[1].terminate(signal.SIGKILL)
            killed = time.monotonic()
            for watcher in watchers:
                await watcher.expect("system", timeout=TTL_S + 3, event="owner_changed")
            # Two survivors reap at once; each departure is announced once, all within a TTL
            # (plus one heartbeat to notice, and slack for a busy machine).
            assert time.monotonic() - killed < TTL_S + 2 * HEARTBEAT_S + 1.5
            for watcher in watchers:
                await watcher.quiet(2 * TTL_S)
                left = sorted(e["data"]["name"] for e in system_events(watcher, "member_left"))
                offline = sorted(
                    e["name"]
                    for e in watcher.seen
                    if e["type"] == "presence" and e["status"] == "offline"
                )
                owners = [e["data"] for e in system_events(watcher, "owner_changed")]
                assert (left, offline) == (["Vera", "Vic"], ["Vera", "Vic"])
                assert owners == [{"owner": "Walt", "previous": "Vera"}]
            rooms = (await fetch(f"{cluster.http(0)}/api/rooms")).json()["rooms"]
            assert [(r["name"], r["members"]) for r in rooms] == [("shared", 2)]


async def test_a_drained_nodes_clients_resume_on_another_through_haproxy_missing_nothing(
    redis_server: RedisServer,
) -> None:
    room = "deploy"
    env = {"PARROT_RATE_MESSAGES": "1000/1", "PARROT_RATE_EVENTS": "1000/1"}
    with (
        running_cluster(redis_server, 2, env, tag="drain") as cluster,
        haproxy(cluster.nodes) as proxy,
    ):
        draining, staying = cluster.nodes
        async with AsyncExitStack() as stack:
            sender = await stack.enter_async_context(await connected(staying.ws_url, "Stan", room))
            movers = [
                await stack.enter_async_context(await connected(draining.ws_url, f"mover{i}", room))
                for i in range(4)
            ]
            epoch = next(e for e in movers[0].seen if e["type"] == "joined")["epoch"]
            sending = asyncio.Event()
            sending.set()

            sent: list[int] = []

            async def keep_sending() -> None:
                while sending.is_set():
                    n = len(sent) + 1
                    await sender.send(type="send", room=room, text=f"s{n}", ref=f"r{n}")
                    sent.append(n)
                    # Slower than the 50 kept messages take to fill in the longest reconnect
                    # delay (5 s), so that resuming has everything to recover.
                    await asyncio.sleep(0.15)

            async def move(client: ChatClient, name: str) -> ChatClient:
                """What the web UI does: after the goodbye, wait, reconnect, re-join with
                since/epoch (through the load balancer this time)."""
                assert await client.close_code(10) == 1001
                goodbye = system_events(client, "server_shutdown")[-1]
                await asyncio.sleep(goodbye["data"]["reconnect_after_ms"] / 1000)
                again = await stack.enter_async_context(await connected(proxy.ws_url, name))
                again.seen.extend(client.seen)  # one history of what this person saw
                joined = await again.join(room, since=max(seqs(client), default=0), epoch=epoch)
                assert joined["recovered"] is True, joined
                assert joined["epoch"] == epoch
                again.seen.extend(joined["history"])
                return again

            loop = asyncio.create_task(keep_sending())
            await asyncio.sleep(0.5)
            draining.terminate(signal.SIGTERM)
            moved = await asyncio.gather(*(move(c, f"mover{i}") for i, c in enumerate(movers)))
            await asyncio.sleep(0.5)
            sending.clear()
            await loop
            try:
                exited = await asyncio.to_thread(draining.wait, 15)
            except Exception:
                raise AssertionError(
                    "the drained node did not exit:\n" + draining.log_text()
                ) from None
            assert exited in (0, -signal.SIGTERM)
            total = len(sent)
            await sender.expect("message", seq=total, timeout=10)
            # Every send was accepted (its own copy, with its ref, came back).
            assert [e.get("ref") for e in sender.seen if e["type"] == "message"] == [
                f"r{n}" for n in sent
            ]
            stats = (await fetch(f"{staying.http_url}/api/stats")).json()
            assert stats["connections"] == 1 + len(movers)
            for client in moved:
                await client.expect("message", seq=total)
                # Everything the sender was told was accepted, once each, in order: before
                # the drain, in the resumed history, and live after.
                assert seqs(client) == list(range(1, total + 1))
            assert seqs(sender) == list(range(1, total + 1))


async def test_a_frozen_redis_refuses_events_then_service_returns_with_nobody_lost(
    own_redis: RedisServer,
) -> None:
    room = "frozen"
    with running_cluster(own_redis, 2, tag="freeze") as cluster:
        async with (
            await connected(cluster.ws(0), "Ann", room) as ann,
            await connected(cluster.ws(1), "Ben", room) as ben,
        ):
            await ann.send(type="send", room=room, text="before", ref="a1")
            await ben.expect("message", seq=1)
            own_redis.pause()
            try:
                await ann.send(type="send", room=room, text="during", ref="a2")
                error = await ann.expect("error", timeout=5)
                assert (error["code"], error["ref"]) == ("service_unavailable", "a2")
                for node in range(2):
                    await wait_ready(cluster.http(node), 503)
                await ben.send(type="ping", ref="p")
                await ben.expect("pong")  # what needs no Redis still works
                # Frozen for longer than a node's TTL: every node looks dead to the others.
                await asyncio.sleep(2 * TTL_S)
            finally:
                own_redis.resume()
            for node in range(2):
                await wait_ready(cluster.http(node), 200)
            await ben.send(type="send", room=room, text="after", ref="b1")
            for client in (ann, ben):
                await client.expect("message", text="after")
            # Nobody was taken for dead: no one left, no one was sent away.
            await ann.quiet(3 * TTL_S)
            for client in (ann, ben):
                assert not system_events(client, "member_left")
                assert seqs(client)[-1] == seqs(ann)[-1]
            members = (await fetch(f"{cluster.http(0)}/api/rooms/{room}")).json()["members"]
            assert members == 2


async def test_redis_restarted_empty_sends_everyone_back_to_fresh_rooms_without_ghosts(
    own_redis: RedisServer,
) -> None:
    room = "restart"
    with running_cluster(own_redis, 2, tag="empty") as cluster:
        ann = await connected(cluster.ws(0), "Ann", room)  # the owner
        ben = await connected(cluster.ws(1), "Ben", room)
        await ann.send(type="send", room=room, text="before")
        await ben.expect("message", seq=1)
        epoch = next(e for e in ben.seen if e["type"] == "joined")["epoch"]
        own_redis.stop()
        await ann.send(type="send", room=room, text="during", ref="d")
        assert (await ann.expect("error", timeout=5))["code"] == "service_unavailable"
        for node in range(2):
            await wait_ready(cluster.http(node), 503)
        own_redis.restart()
        # Both nodes notice (a gap in the room, or being unknown to Redis) and send their
        # clients away to re-join.
        assert await ann.close_code(10) == 4009
        assert await ben.close_code(10) == 4009
        for node in range(2):
            await wait_ready(cluster.http(node), 200)
        async with (
            await connected(cluster.ws(0), "Ben") as ben_again,
            await connected(cluster.ws(1), "Ann") as ann_again,
        ):
            rejoined = await ben_again.join(room, since=1, epoch=epoch)
            assert rejoined["recovered"] is False
            assert rejoined["epoch"] != epoch
            # No ghost of Ann, and Ben, the only member, owns the room now.
            assert [m["name"] for m in rejoined["members"]] == ["Ben"]
            assert rejoined["owner"] == "Ben"
            await ann_again.join(room, since=1, epoch=epoch)
            await ann_again.send(type="send", room=room, text="after")
            assert (await ben_again.expect("message"))["seq"] == 1


def _pubsub_client_id(client: redis.Redis, node_id: str) -> int:
    for entry in client.client_list():
        if entry["name"] == f"parrotchat-{node_id}-pubsub":
            return int(entry["id"])
    raise AssertionError(f"no pub/sub connection of {node_id}")


async def test_a_node_that_lost_its_pubsub_link_repairs_from_history_or_sends_members_away(
    redis_server: RedisServer,
) -> None:
    room = "gappy"
    env = {"PARROT_HISTORY_SIZE": "2", "PARROT_RATE_MESSAGES": "1000/1"}
    admin = redis.Redis(port=redis_server.port)
    with running_cluster(redis_server, 2, env, tag="gap") as cluster:
        async with (
            await connected(cluster.ws(0), "Ann", room) as ann,
            await connected(cluster.ws(1), "Ben", room) as ben,
        ):

            async def missed_by_node_0(count: int) -> None:
                """Node 0 cannot reconnect its pub/sub link while Ben sends `count`."""
                admin.acl_setuser("default", enabled=False)  # existing connections stay
                try:
                    admin.client_kill_filter(_id=str(_pubsub_client_id(admin, "gap-0")))
                    before = len(seqs(ben))
                    for n in range(count):
                        await ben.send(type="send", room=room, text=f"m{before + n}")
                    await ben.expect("message", seq=before + count)
                finally:
                    admin.acl_setuser("default", enabled=True)

            await missed_by_node_0(1)  # history still has it: delivered late, in order
            await ann.expect("message", seq=1, timeout=10)
            await missed_by_node_0(3)  # more than the 2 kept: Ann must resume
            assert await ann.close_code(10) == 4009
            assert seqs(ann) == [1]  # nothing after the gap slipped through out of order
            metrics = (await fetch(f"{cluster.http(0)}/metrics")).text
            assert sample(metrics, "parrotchat_gap_repairs_total") == 1
            assert sample(metrics, "parrotchat_gaps_total") == 1
            assert sample(metrics, "parrotchat_resyncs_total", reason="gap") == 1
            # Ben's node missed nothing: Ben stays, with every message.
            await ben.send(type="ping", ref="still-here")
            await ben.expect("pong")
            assert seqs(ben) == [1, 2, 3, 4]
    admin.close()


async def test_a_node_restarted_with_its_id_removes_what_its_predecessor_left(
    redis_server: RedisServer,
) -> None:
    # A TTL far longer than the test: only the restarted node itself can remove its
    # predecessor's member in time (the survivor would wait for the TTL to run out).
    env = {"PARROT_NODE_TTL_S": "60"}
    with running_cluster(redis_server, 2, env, tag="again") as cluster:
        async with await connected(cluster.ws(0), "Wes", "again-room") as watcher:
            victim = await connected(cluster.ws(1), "Vic", "again-room")
            await watcher.expect("system", event="member_joined", data={"name": "Vic"})
            cluster.nodes[1].terminate(signal.SIGKILL)
            await asyncio.to_thread(cluster.nodes[1].wait, 10)
            cluster.nodes[1] = await asyncio.to_thread(start_server, cluster.nodes[1].env)
            # At start-up, before serving: sooner than its periodic check (10 beats, 2.5 s).
            left = await watcher.expect("system", timeout=1.5, event="member_left")
            assert left["data"]["name"] == "Vic"
            await watcher.quiet(1.0)
            assert len(system_events(watcher, "member_left")) == 1
            members = (await fetch(f"{cluster.http(0)}/api/rooms/again-room")).json()["members"]
            assert members == 1
            await victim.close()
