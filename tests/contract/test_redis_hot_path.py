"""What the publish path's own connection (app/adapters/redis/resp.py, ADR 0026) must keep:
one seq per message however many are sent at once, every publication delivered once in seq
order, a script Redis forgot run once (not twice), a stalled Redis failing the send within
the command timeout, and the link coming back afterwards."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator

import pytest

from app.adapters.clock import ManualClock
from app.adapters.redis import LinkOptions, RedisAdapters, RedisOptions, codec, open_redis
from app.domain.events import Envelope
from app.domain.history import History, Message
from app.ports import StoreUnavailable
from tests.contract.conftest import HISTORY_SIZE, Adapters, redis_adapters
from tests.contract.helpers import T0, member, until
from tests.contract.test_history import draft
from tests.support.redis import RedisServer

FAST_LINK = LinkOptions(health_interval_s=0.5, backoff_min_s=0.02, backoff_max_s=0.2)


@pytest.fixture
async def pair(redis_server: RedisServer) -> AsyncIterator[tuple[Adapters, Adapters]]:
    """Two nodes listening to `lobby`; the second also publishes."""
    opened: list[RedisAdapters] = []
    prefix = f"h{uuid.uuid4().hex[:10]}:"
    nodes = [await redis_adapters(redis_server, prefix, opened, FAST_LINK) for _ in range(2)]
    for node in nodes:
        await node.start()
        await node.broker.subscribe("lobby")
    await nodes[1].rooms.join("lobby", member("Ann"), capacity=10, now=T0)
    yield nodes[0], nodes[1]
    for redis in opened:
        await redis.close()


def seqs(adapters: Adapters) -> list[int]:
    return [e.event.seq for e in adapters.delivered if isinstance(e.event, Message)]


async def test_messages_sent_at_once_share_the_connection_and_keep_one_seq_order(
    pair: tuple[Adapters, Adapters],
) -> None:
    listener, publisher = pair
    sent = await asyncio.gather(
        *(
            publisher.broker.publish_message(
                draft(n), reply_conn=None, reply_ref=None, accepted_at=0.0
            )
            for n in range(1, 101)
        )
    )
    # Pipelined on one connection: each caller gets the reply to its own script.
    assert sorted(m.seq for m in sent) == list(range(1, 101))
    assert {m.id: m.seq for m in sent} == {f"id-{m.seq}": m.seq for m in sent}
    for node in pair:
        await until(lambda node=node: len(seqs(node)) >= 100)  # type: ignore[misc]
        assert seqs(node) == list(range(1, 101))
    ids = [e.event.id for e in listener.delivered if isinstance(e.event, Message)]
    assert ids == [f"id-{n}" for n in range(1, 101)]


async def test_a_publication_carries_everything_the_envelope_had(
    pair: tuple[Adapters, Adapters],
) -> None:
    listener, publisher = pair
    message = await publisher.broker.publish_message(
        draft(1), reply_conn="c-1", reply_ref="r-1", accepted_at=0.0
    )
    await until(lambda: len(listener.delivered) == 1)
    assert listener.delivered == [
        Envelope(room="lobby", event=message, reply_conn="c-1", reply_ref="r-1")
    ]


async def test_a_forgotten_publish_script_is_run_once_after_script_flush(
    pair: tuple[Adapters, Adapters],
) -> None:
    listener, publisher = pair
    redis = publisher.redis
    assert redis is not None
    await publisher.broker.publish_message(draft(1), reply_conn=None, reply_ref=None, accepted_at=0)
    await redis.client.script_flush()
    second = await publisher.broker.publish_message(
        draft(2), reply_conn=None, reply_ref=None, accepted_at=0
    )
    assert second.seq == 2  # NOSCRIPT: it did not run, so it runs (once) now
    await until(lambda: len(seqs(listener)) == 2)
    assert seqs(listener) == [1, 2]
    assert await redis.client.script_exists(redis.scripts.sha("publish")) == [True]


async def test_a_frozen_redis_fails_a_send_within_the_timeout_and_the_link_returns(
    own_redis: RedisServer,
) -> None:
    redis = await open_redis(
        RedisOptions(url=own_redis.url, command_timeout_s=0.5, connect_timeout_s=0.5),
        clock=ManualClock(),
        history_size=HISTORY_SIZE,
        prefix="frozen:",
        link=FAST_LINK,
    )
    delivered: list[Envelope] = []
    try:
        await redis.broker.start(delivered.append)
        await redis.broker.subscribe("lobby")
        await redis.rooms.join("lobby", member("Ann"), capacity=10, now=T0)
        await redis.broker.publish_message(draft(1), reply_conn=None, reply_ref=None, accepted_at=0)
        own_redis.pause()
        started = time.monotonic()
        with pytest.raises(StoreUnavailable):
            await redis.broker.publish_message(
                draft(2), reply_conn=None, reply_ref=None, accepted_at=0
            )
        assert time.monotonic() - started < 2
        own_redis.resume()
        # The timed-out script may have run once Redis thawed (never twice): seq 2 or 3.
        third = await redis.broker.publish_message(
            draft(3), reply_conn=None, reply_ref=None, accepted_at=0
        )
        assert third.seq in (2, 3)
        await until(lambda: third.seq in [e.event.seq for e in delivered], timeout=5)  # type: ignore[union-attr]
        got = [e.event.seq for e in delivered]  # type: ignore[union-attr]
        assert got == sorted(set(got))
    finally:
        own_redis.resume()
        await redis.close()


async def test_publications_arriving_during_a_gap_repair_wait_for_it_in_order(
    pair: tuple[Adapters, Adapters], monkeypatch: pytest.MonkeyPatch
) -> None:
    listener, publisher = pair
    redis, listening = publisher.redis, listener.redis
    assert redis is not None
    assert listening is not None
    # Seqs 1 and 2 kept but never published: seq 3 arrives as a jump, filled from history.
    for n in (1, 2):
        seq = await redis.client.incr(redis.keys.room("lobby", "seq"))
        stored = codec.encode_stored(draft(n).numbered(seq))
        await redis.client.rpush(redis.keys.room("lobby", "log"), stored)
    read = listening.history.read
    reads: list[float] = []

    async def slow_read(room: str) -> tuple[str | None, History]:
        reads.append(time.monotonic())
        await asyncio.sleep(0.2)  # 4 and 5 arrive on the link meanwhile
        return await read(room)

    monkeypatch.setattr(listening.history, "read", slow_read)
    for n in (3, 4, 5):
        await publisher.broker.publish_message(
            draft(n), reply_conn=None, reply_ref=None, accepted_at=0
        )
    await until(lambda: len(seqs(listener)) == 5)
    assert seqs(listener) == [1, 2, 3, 4, 5]
    assert len(reads) == 1  # one repair; 4 and 5 were next in line after it
    assert listening.broker.counters.repaired == 2
