"""HistoryStore reads and Broker.publish_message: one seq order, kept and delivered."""

from __future__ import annotations

import asyncio
import dataclasses

import pytest

from app.domain.attachments import Attachment
from app.domain.codes import ErrorCode
from app.domain.errors import ChatError
from app.domain.events import (
    Banned,
    Envelope,
    Eviction,
    Kicked,
    LeaveReason,
    Presence,
    PresenceStatus,
    RoomEvent,
    SystemEventKind,
    SystemNotice,
    Typing,
)
from app.domain.history import Message, MessageDraft
from app.domain.model import AWAY_AFTER_S
from app.domain.policies.names import name_key
from tests.contract.conftest import HISTORY_SIZE, Adapters
from tests.contract.helpers import T0, member, until


def draft(n: int, room: str = "lobby") -> MessageDraft:
    return MessageDraft(
        room=room, id=f"id-{n}", author="Ann", text=f"text {n}", html=f"<b>{n}</b>", ts=T0 + n
    )


async def _started_room(adapters: Adapters, room: str = "lobby") -> None:
    await adapters.start()
    await adapters.broker.subscribe(room)
    await adapters.rooms.join(room, member("Ann"), capacity=10, now=T0)


def _messages(adapters: Adapters) -> list[Message]:
    return [e.event for e in adapters.delivered if isinstance(e.event, Message)]


async def test_publish_numbers_keeps_and_delivers_a_message(adapters: Adapters) -> None:
    await _started_room(adapters)
    message = await adapters.broker.publish_message(
        draft(1), reply_conn="c-Ann", reply_ref="r1", accepted_at=0.0
    )
    assert message == draft(1).numbered(1)
    await until(lambda: len(adapters.delivered) == 1)
    assert adapters.delivered == [
        Envelope(room="lobby", event=message, reply_conn="c-Ann", reply_ref="r1")
    ]
    assert await adapters.history.latest("lobby") == [message]
    assert await adapters.history.latest_seq("lobby") == 1
    assert await adapters.history.last_message_at("lobby") == T0 + 1


async def test_messages_from_two_clients_are_delivered_in_seq_order_once(
    adapters: Adapters,
) -> None:
    await _started_room(adapters)
    assert adapters.peer is not None
    other = await adapters.peer()
    sends = [
        (adapters if n % 2 else other).broker.publish_message(
            draft(n), reply_conn=None, reply_ref=None, accepted_at=0.0
        )
        for n in range(1, 41)
    ]
    numbered = await asyncio.gather(*sends)
    assert sorted(m.seq for m in numbered) == list(range(1, 41))
    await until(lambda: len(adapters.delivered) == 40)
    assert [m.seq for m in _messages(adapters)] == list(range(1, 41))
    by_seq = {m.seq: m for m in numbered}
    assert _messages(adapters) == [by_seq[s] for s in range(1, 41)]
    kept = await adapters.history.latest("lobby")
    assert kept == [by_seq[s] for s in range(41 - HISTORY_SIZE, 41)]


async def test_history_reads_answer_like_the_domain_history(adapters: Adapters) -> None:
    await _started_room(adapters)
    history, broker = adapters.history, adapters.broker
    assert await history.since("lobby", 0) == []
    assert await history.since("lobby", 1) is None
    assert await history.before("lobby", None, 10) == ([], False)
    assert await history.last_message_at("lobby") is None
    sent = [
        await broker.publish_message(draft(n), reply_conn=None, reply_ref=None, accepted_at=0)
        for n in range(1, 9)
    ]
    kept = sent[-HISTORY_SIZE:]  # seq 4..8
    assert await history.latest("lobby") == kept
    assert await history.latest("lobby", 2) == kept[-2:]
    assert await history.latest("lobby", 0) == []
    assert await history.latest("lobby", 50) == kept
    assert await history.since("lobby", 8) == []
    assert await history.since("lobby", 5) == sent[5:]
    assert await history.since("lobby", 3) == kept
    assert await history.since("lobby", 2) is None
    assert await history.since("lobby", 9) is None
    assert await history.since("lobby", -1) is None
    assert await history.before("lobby", None, 2) == (sent[6:8], True)
    assert await history.before("lobby", 7, 2) == (sent[4:6], True)
    assert await history.before("lobby", 6, 10) == (sent[3:5], False)
    assert await history.before("lobby", 4, 10) == ([], False)
    assert await history.before("lobby", None, 0) == ([], True)


async def test_messages_published_at_once_from_two_nodes_are_numbered_without_a_hole(
    adapters: Adapters,
) -> None:
    await _started_room(adapters)
    assert adapters.peer is not None
    other = await adapters.peer()
    brokers = [adapters.broker, other.broker]
    published = await asyncio.gather(
        *(
            brokers[n % 2].publish_message(draft(n), reply_conn=None, reply_ref=None, accepted_at=0)
            for n in range(1, 13)
        )
    )
    assert sorted(m.seq for m in published) == list(range(1, 13))
    kept = await adapters.history.latest("lobby")
    assert [m.seq for m in kept] == list(range(13 - HISTORY_SIZE, 13))
    assert {m.id for m in kept} == {m.id for m in published if m.seq > 12 - HISTORY_SIZE}


async def test_a_room_created_again_starts_its_seq_from_one(adapters: Adapters) -> None:
    await _started_room(adapters)
    for n in range(1, 4):
        await adapters.broker.publish_message(
            draft(n), reply_conn=None, reply_ref=None, accepted_at=0
        )
    await adapters.rooms.leave("lobby", "ann", now=T0 + 10)
    await adapters.history.drop("lobby")
    created = await adapters.rooms.join("lobby", member("Bob"), capacity=10, now=T0 + 11)
    assert created.created
    await adapters.history.drop("lobby")  # the service drops on creation too
    assert await adapters.history.latest("lobby") == []
    again = await adapters.broker.publish_message(
        draft(4), reply_conn=None, reply_ref=None, accepted_at=0
    )
    assert again.seq == 1
    # Dropping the history of a room that exists is what the service does right after
    # creating it; on Redis another node may have written to it already, so it stays.
    await adapters.history.drop("lobby")
    if adapters.kind == "redis":
        assert await adapters.history.latest_seq("lobby") == 1


ROOM_EVENTS: list[RoomEvent] = [
    SystemNotice(
        event=SystemEventKind.MEMBER_LEFT,
        text="[system] Ann left",
        ts=T0,
        room="lobby",
        data={"name": "Ann", "last_seen": "2026-09-21T12:00:00Z"},
    ),
    Presence(room="lobby", name="Ann", status=PresenceStatus.AWAY, last_seen=T0 + 0.1),
    Typing(room="lobby", name="Ann", ttl_ms=5000),
    Eviction(
        room="lobby",
        conn_id="c-Bob",
        notice=Kicked(room="lobby", by="Ann", reason="spam", retry_after_ms=60_000),
        reason=LeaveReason.KICKED,
    ),
    Eviction(
        room="lobby",
        conn_id="c-Bob",
        notice=Banned(room="lobby", by="Ann", reason=None),
        reason=LeaveReason.BANNED,
    ),
]


async def test_every_room_event_reaches_a_subscribed_node_as_it_was_sent(
    adapters: Adapters,
) -> None:
    await _started_room(adapters)
    assert adapters.peer is not None
    other = await adapters.peer()
    sent = [
        Envelope(room="lobby", event=event, exclude_conn="c-Ann" if i == 2 else None)
        for i, event in enumerate(ROOM_EVENTS)
    ]
    for envelope in sent:
        await other.broker.publish(envelope)
    await until(lambda: len(adapters.delivered) == len(sent))
    assert adapters.delivered == sent


async def test_a_node_receives_only_the_rooms_it_listens_to(adapters: Adapters) -> None:
    await _started_room(adapters)
    await adapters.broker.subscribe("lobby")  # counted: two subscribes, two unsubscribes
    await adapters.rooms.join("other", member("Bob"), capacity=10, now=T0)
    notice = Presence(room="lobby", name="Ann", status=PresenceStatus.ONLINE, last_seen=T0)
    await adapters.broker.unsubscribe("lobby")
    await adapters.broker.publish(Envelope(room="lobby", event=notice))
    await until(lambda: len(adapters.delivered) == 1)
    if adapters.kind == "redis":  # memory has one node, which delivers everything
        await adapters.broker.publish(Envelope(room="other", event=notice))
        await adapters.broker.unsubscribe("lobby")
        await adapters.broker.publish(Envelope(room="lobby", event=notice))
        await adapters.broker.subscribe("other")
        await adapters.broker.publish(Envelope(room="other", event=notice))
        await until(lambda: len(adapters.delivered) == 2)
        await asyncio.sleep(0.05)
        assert [e.room for e in adapters.delivered] == ["lobby", "other"]


async def test_a_send_records_the_authors_activity_in_the_same_step(adapters: Adapters) -> None:
    await _started_room(adapters)
    rooms, broker = adapters.rooms, adapters.broker
    await rooms.join("lobby", member("Bob"), capacity=10, now=T0)
    await rooms.typing("lobby", "ann", now=T0 + 1)
    # Ann goes away; her next message brings her back: presence first, then the message.
    await rooms.sweep(now=T0 + AWAY_AFTER_S + 1)
    sent = dataclasses.replace(draft(1), ts=T0 + AWAY_AFTER_S + 2)
    await broker.publish_message(
        sent, reply_conn=None, reply_ref=None, accepted_at=0, author_key=name_key("Ann")
    )
    await until(lambda: len(adapters.delivered) >= 2)
    assert [type(e.event).__name__ for e in adapters.delivered] == ["Presence", "Message"]
    online = adapters.delivered[0].event
    assert isinstance(online, Presence)
    assert (online.name, online.status, online.last_seen) == ("Ann", PresenceStatus.ONLINE, sent.ts)
    snapshot = await rooms.snapshot("lobby", now=sent.ts)
    assert snapshot is not None
    ann = next(m for m in snapshot.members if m.name == "Ann")
    assert (ann.last_active_at, ann.away, snapshot.typing) == (sent.ts, False, [])
    listing, _ = await rooms.list_rooms(limit=1, offset=0)
    assert listing[0].last_message_at == sent.ts
    # Not away any more: the next message comes alone.
    await broker.publish_message(
        draft(2), reply_conn=None, reply_ref=None, accepted_at=0, author_key=name_key("Ann")
    )
    await until(lambda: len(adapters.delivered) >= 3)
    assert type(adapters.delivered[2].event).__name__ == "Message"


async def test_a_send_by_someone_not_in_the_room_is_refused_and_not_numbered(
    adapters: Adapters,
) -> None:
    await _started_room(adapters)
    with pytest.raises(ChatError) as refused:
        await adapters.broker.publish_message(
            draft(1), reply_conn=None, reply_ref=None, accepted_at=0, author_key="nobody"
        )
    assert refused.value.code is ErrorCode.NOT_IN_ROOM
    assert await adapters.history.latest_seq("lobby") == 0


async def test_a_messages_attachment_is_kept_and_delivered_with_it(adapters: Adapters) -> None:
    await _started_room(adapters)
    attached = Attachment(id="a" * 32, name="plan.pdf", size=1234, content_type="application/pdf")
    sent = dataclasses.replace(draft(1), attachment=attached)
    await adapters.broker.publish_message(sent, reply_conn=None, reply_ref=None, accepted_at=0)
    await until(lambda: len(_messages(adapters)) == 1)
    assert _messages(adapters)[0].attachment == attached
    [kept] = await adapters.history.latest("lobby")
    assert kept == sent.numbered(1)
