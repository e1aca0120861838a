"""What only the Redis adapters have: a pub/sub link that can drop, scripts Redis can
forget, and a Redis that can be stopped."""

from __future__ import annotations

import asyncio
import dataclasses
import time
import uuid
from collections.abc import AsyncIterator

import pytest

from app.adapters.clock import ManualClock
from app.adapters.redis import (
    LinkOptions,
    RedisAdapters,
    RedisOptions,
    RedisUnreachable,
    codec,
    open_redis,
)
from app.domain.events import Envelope
from app.domain.history import Message
from app.ports import Gap, GapReason, StoreUnavailable
from tests.contract.conftest import HISTORY_SIZE, Adapters, redis_adapters
from tests.contract.helpers import T0, member, until
from tests.contract.test_history import ROOM_EVENTS, draft
from tests.support.redis import RedisServer

# Slow to come back, so that what is published after the kill is surely missed live.
SLOW_LINK = LinkOptions(health_interval_s=0.5, backoff_min_s=0.3, backoff_max_s=0.6)


@pytest.fixture(params=["pubsub", "sharded"])
async def pair(
    redis_server: RedisServer, request: pytest.FixtureRequest
) -> AsyncIterator[tuple[Adapters, Adapters]]:
    """A node listening to `lobby` (with a slow reconnect), and another that publishes;
    on plain pub/sub, or on Redis 7's sharded pub/sub (SSUBSCRIBE/SPUBLISH)."""
    opened: list[RedisAdapters] = []
    prefix = f"t{uuid.uuid4().hex[:10]}:"
    link = dataclasses.replace(SLOW_LINK, sharded=request.param == "sharded")
    listener = await redis_adapters(redis_server, prefix, opened, link)
    publisher = await redis_adapters(redis_server, prefix, opened, link)
    await listener.start()
    await listener.broker.subscribe("lobby")
    await publisher.rooms.join("lobby", member("Ann"), capacity=10, now=T0)
    yield listener, publisher
    for redis in opened:
        await redis.close()


def seqs(adapters: Adapters) -> list[int]:
    return [e.event.seq for e in adapters.delivered if isinstance(e.event, Message)]


async def publish(adapters: Adapters, *numbers: int) -> None:
    for n in numbers:
        await adapters.broker.publish_message(
            draft(n), reply_conn=None, reply_ref=None, accepted_at=0.0
        )


async def kill_pubsub_links(adapters: Adapters) -> None:
    assert adapters.redis is not None
    killed = await adapters.redis.client.client_kill_filter(_type="pubsub")
    assert int(killed) >= 1


def redis_of(adapters: Adapters) -> RedisAdapters:
    assert adapters.redis is not None
    return adapters.redis


async def test_every_room_event_reaches_the_listener(pair: tuple[Adapters, Adapters]) -> None:
    listener, publisher = pair
    sent = [Envelope(room="lobby", event=event) for event in ROOM_EVENTS]
    for envelope in sent:
        await publisher.broker.publish(envelope)
    await publish(publisher, 1)
    await until(lambda: len(listener.delivered) == len(sent) + 1)
    assert listener.delivered[:-1] == sent
    assert seqs(listener) == [1]


async def test_messages_published_while_the_link_was_down_are_delivered_in_order(
    pair: tuple[Adapters, Adapters],
) -> None:
    listener, publisher = pair
    await publish(publisher, 1, 2, 3)
    await until(lambda: seqs(listener) == [1, 2, 3])
    await kill_pubsub_links(publisher)
    await publish(publisher, 4, 5, 6)
    await until(lambda: len(seqs(listener)) >= 6)
    await publish(publisher, 7)
    await until(lambda: len(seqs(listener)) >= 7)
    assert seqs(listener) == [1, 2, 3, 4, 5, 6, 7]
    broker = redis_of(listener).broker
    assert broker.reconnects >= 1
    assert broker.counters.repaired == 3
    assert listener.gaps == []


async def test_a_gap_longer_than_the_history_is_reported(
    pair: tuple[Adapters, Adapters],
) -> None:
    listener, publisher = pair
    await publish(publisher, 1, 2, 3)
    await until(lambda: seqs(listener) == [1, 2, 3])
    await kill_pubsub_links(publisher)
    await publish(publisher, *range(4, 4 + HISTORY_SIZE + 2))
    await until(lambda: bool(listener.gaps))
    epoch = (await publisher.rooms.snapshot("lobby", now=T0)).epoch  # type: ignore[union-attr]
    assert listener.gaps == [Gap(room="lobby", after_seq=3, reason=GapReason.TRIMMED, epoch=epoch)]
    await publish(publisher, 99)
    await until(lambda: len(seqs(listener)) == 4)
    assert seqs(listener) == [1, 2, 3, 4 + HISTORY_SIZE + 2]


async def test_a_seq_jump_on_a_live_link_is_filled_from_history(
    pair: tuple[Adapters, Adapters],
) -> None:
    listener, publisher = pair
    # Kept but never published (publish_message never leaves such a hole; a publication
    # lost on its way looks the same to the listener).
    redis = redis_of(publisher)
    for n in (1, 2):
        seq = await redis.client.incr(redis.keys.room("lobby", "seq"))
        stored = codec.encode_stored(draft(n).numbered(seq))
        await redis.client.rpush(redis.keys.room("lobby", "log"), stored)
    await publish(publisher, 3)
    await until(lambda: len(seqs(listener)) == 3)
    assert seqs(listener) == [1, 2, 3]
    assert redis_of(listener).broker.counters.repaired == 2


async def test_a_room_created_again_is_reported_as_a_gap(
    pair: tuple[Adapters, Adapters],
) -> None:
    listener, publisher = pair
    await publish(publisher, 1)
    await until(lambda: seqs(listener) == [1])
    await publisher.rooms.leave("lobby", "ann", now=T0 + 1)
    again = await publisher.rooms.join("lobby", member("Bob"), capacity=10, now=T0 + 2)
    await publish(publisher, 2)
    await until(lambda: len(seqs(listener)) == 2)
    assert listener.gaps == [
        Gap(room="lobby", after_seq=1, reason=GapReason.RECREATED, epoch=again.room.epoch)
    ]
    assert seqs(listener) == [1, 1]


async def test_scripts_are_loaded_again_after_script_flush(
    pair: tuple[Adapters, Adapters],
) -> None:
    _, publisher = pair
    redis = redis_of(publisher)
    join_sha = redis.scripts.sha("join")
    assert await redis.client.script_exists(join_sha) == [True]
    await redis.client.script_flush()
    assert await redis.client.script_exists(join_sha) == [False]
    joined = await publisher.rooms.join("lobby", member("Bob"), capacity=10, now=T0)
    assert [m.name for m in joined.room.members] == ["Ann", "Bob"]
    assert await redis.client.script_exists(join_sha) == [True]


async def _open(server: RedisServer, link: LinkOptions | None = None) -> RedisAdapters:
    return await open_redis(
        RedisOptions(url=server.url, command_timeout_s=0.5, connect_timeout_s=0.5),
        clock=ManualClock(),
        history_size=HISTORY_SIZE,
        prefix="own:",
        link=link or LinkOptions(health_interval_s=0.3, backoff_min_s=0.02, backoff_max_s=0.1),
    )


async def test_an_unreachable_redis_is_a_clear_error_at_start(own_redis: RedisServer) -> None:
    own_redis.stop()
    started = time.monotonic()
    with pytest.raises(RedisUnreachable, match="unreachable"):
        await _open(own_redis)
    assert time.monotonic() - started < 5


async def test_a_stopped_redis_fails_commands_fast_and_service_returns_with_it(
    own_redis: RedisServer,
) -> None:
    redis = await _open(own_redis)
    gaps: list[Gap] = []
    delivered: list[object] = []
    try:
        await redis.broker.start(delivered.append, gaps.append)
        await redis.broker.subscribe("lobby")
        await redis.rooms.join("lobby", member("Ann"), capacity=10, now=T0)
        await redis.broker.publish_message(draft(1), reply_conn=None, reply_ref=None, accepted_at=0)
        own_redis.stop()
        async with asyncio.timeout(5):
            with pytest.raises(StoreUnavailable):
                await redis.rooms.join("lobby", member("Bob"), capacity=10, now=T0)
            with pytest.raises(StoreUnavailable):
                await redis.broker.publish_message(
                    draft(2), reply_conn=None, reply_ref=None, accepted_at=0
                )
        own_redis.restart()
        # Redis came back empty: the same client works again, the room is new.
        joined = await redis.rooms.join("lobby", member("Bob"), capacity=10, now=T0 + 1)
        assert joined.created
        await until(lambda: bool(gaps))
        # Read at re-subscription: the room was gone then, or already re-created by Bob.
        assert [(g.room, g.after_seq, g.reason) for g in gaps] == [
            ("lobby", 1, GapReason.RECREATED)
        ]
        assert gaps[0].epoch in (None, joined.room.epoch)
        await redis.broker.publish_message(draft(3), reply_conn=None, reply_ref=None, accepted_at=0)
        await until(lambda: len(delivered) == 2)
    finally:
        await redis.close()


async def test_a_frozen_redis_times_out_instead_of_hanging(own_redis: RedisServer) -> None:
    redis = await _open(own_redis)
    try:
        own_redis.pause()
        started = time.monotonic()
        with pytest.raises(StoreUnavailable):
            await redis.rooms.snapshot("lobby", now=T0)
        assert time.monotonic() - started < 3
    finally:
        own_redis.resume()
        await redis.close()


async def test_a_rooms_keys_share_its_hash_tag_as_documented(
    pair: tuple[Adapters, Adapters],
) -> None:
    _, publisher = pair
    redis = redis_of(publisher)
    rooms = publisher.rooms
    await rooms.join("lobby", member("Bob"), capacity=10, now=T0)
    await rooms.join("lobby", member("Cat"), capacity=10, now=T0)
    await rooms.typing("lobby", "bob", now=T0)
    await rooms.touch("lobby", "ann", now=T0 + 1, sent_message=True)
    await publish(publisher, 1)
    await rooms.evict("lobby", "ann", "cat", ban=False, cooldown_s=60, now=T0 + 2)
    await rooms.evict("lobby", "ann", "bob", ban=True, cooldown_s=60, now=T0 + 3)
    found = {k async for k in redis.client.scan_iter(match=publisher.prefix + "*")}
    tagged = {k for k in found if k.startswith(publisher.prefix + "{lobby}:")}
    parts = {k.removeprefix(publisher.prefix + "{lobby}:") for k in tagged}
    # Every part of docs/operations.md's table that this room uses now (live members,
    # departures, a ban, a cooldown, history); typing ended with Bob's eviction.
    assert parts == {
        "meta", "order", "mem", "act", "live", "gone", "gonen", "bank", "banc", "cdk",
        "cdc", "seq", "log",
    }  # fmt: skip
    assert found - tagged == {
        publisher.prefix + "rooms",
        publisher.prefix + "due",
        publisher.prefix + "node:n1:m",
    }
