"""The Redis adapters' encodings: every room event round-trips exactly."""

from __future__ import annotations

import json

import pytest

from app.adapters.redis import codec
from app.adapters.redis.keys import Keys, listing_member
from app.domain.attachments import Attachment
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
from app.domain.model import Member

TS = 1_790_000_000.123456789

FILE = Attachment(id="f" * 32, name='cat "1".png', size=2048, content_type="image/png")

EVENTS: list[RoomEvent] = [
    Message(
        room="lobby", seq=7, id="a1", author="Zoë", text='hi "you" \\ 😀', html="<b>hi</b>", ts=TS
    ),
    Message(room="lobby", seq=8, id="a2", author="Zoë", text="", html="", ts=TS, attachment=FILE),
    *(
        SystemNotice(
            event=kind,
            text=f"[system] {kind}",
            ts=TS,
            room="lobby",
            data={"name": "Ann", "n": 3, "last_seen": "2026-01-01T00:00:00Z"},
        )
        for kind in SystemEventKind
    ),
    SystemNotice(event=SystemEventKind.SERVER_SHUTDOWN, text="[system] bye", ts=TS, room=None),
    *(Presence(room="lobby", name="Ann", status=s, last_seen=TS) for s in PresenceStatus),
    Typing(room="lobby", name="日本", ttl_ms=5000),
    Eviction(
        room="lobby",
        conn_id="c1",
        notice=Kicked(room="lobby", by="Ann", reason="spam", retry_after_ms=3_600_000),
        reason=LeaveReason.KICKED,
    ),
    Eviction(
        room="lobby", conn_id="c1", notice=Kicked(room="lobby", by="Ann"), reason=LeaveReason.KICKED
    ),
    Eviction(
        room="lobby",
        conn_id="c1",
        notice=Banned(room="lobby", by="Ann", reason=None),
        reason=LeaveReason.BANNED,
    ),
]


@pytest.mark.parametrize("event", EVENTS, ids=lambda e: type(e).__name__)
def test_every_room_event_round_trips(event: RoomEvent) -> None:
    envelope = Envelope(
        room="lobby",
        event=event,
        exclude_conn="c2",
        reply_conn="c3",
        reply_ref="r-1",
        accepted_at=1234.5678,
    )
    raw = codec.encode_envelope(envelope, wall_offset=TS, epoch="e9")
    got = codec.decode_envelope(raw.encode(), wall_offset=TS)
    assert got.epoch == "e9"
    assert got.envelope.event == event
    assert (
        got.envelope.room,
        got.envelope.exclude_conn,
        got.envelope.reply_conn,
        got.envelope.reply_ref,
    ) == ("lobby", "c2", "c3", "r-1")
    assert got.envelope.accepted_at == pytest.approx(1234.5678, abs=1e-6)


def test_accept_times_are_carried_as_wall_time_and_zero_stays_unmeasured() -> None:
    envelope = Envelope(
        room="lobby", event=Typing(room="lobby", name="a", ttl_ms=1), accepted_at=10.0
    )
    raw = codec.encode_envelope(envelope, wall_offset=1000.0)
    assert json.loads(raw)[5] == 1010.0
    # The receiver's monotonic clock starts elsewhere: 10 s after its own zero is 510.
    assert codec.decode_envelope(raw, wall_offset=500.0).envelope.accepted_at == 510.0
    unmeasured = Envelope(room="lobby", event=envelope.event)
    raw = codec.encode_envelope(unmeasured, wall_offset=1000.0)
    assert codec.decode_envelope(raw, wall_offset=500.0).envelope.accepted_at == 0.0


@pytest.mark.parametrize("attachment", [None, FILE], ids=["text", "attachment"])
def test_the_publish_script_splice_gives_the_same_message_and_envelope(
    attachment: Attachment | None,
) -> None:
    draft = MessageDraft(
        room="lobby", id="x", author="Ann", text="a,b]", html="a", ts=TS, attachment=attachment
    )
    head = codec.message_head("lobby", reply_conn="c1", reply_ref=None, accepted_wall=0.0)
    tail = codec.message_tail(draft)
    stored = "[" + "42" + tail  # what publish.lua writes to the list
    assert codec.decode_stored("lobby", stored) == draft.numbered(42)
    published = head + json.dumps("e1") + ',"m",' + "42" + tail
    got = codec.decode_envelope(published, wall_offset=0.0)
    assert got.envelope == Envelope(room="lobby", event=draft.numbered(42), reply_conn="c1")
    assert got.epoch == "e1"
    assert codec.encode_stored(draft.numbered(42)) == stored


def test_a_publication_this_version_cannot_read_is_a_codec_error() -> None:
    for raw in (
        "not json",
        '[2,"lobby",null,null,null,0,null,"t","lobby","a",1]',
        '[1,"lobby",null,null,null,0,null,"?"]',
        "[1]",
    ):
        with pytest.raises(codec.CodecError):
            codec.decode_envelope(raw, wall_offset=0.0)


def test_a_member_round_trips() -> None:
    member = Member(
        name="Zoë",
        key="zoe",
        conn_id="c1",
        joined_at=TS,
        last_active_at=TS + 1,
        away=True,
        node_id="node-a",
    )
    static = codec.encode_member(member)
    assert codec.decode_member("zoe", static, codec.number(TS + 1), True) == member


def test_numbers_are_exact_as_text() -> None:
    for value in (TS, 0.1, 1e-7, 2.5e16, 1 / 3):
        assert float(codec.number(value)) == value


@pytest.mark.parametrize(
    ("a", "b"),
    [
        # (room, last message) pairs with `a` listed first among rooms of equal size
        (("b", 2.0), ("a", 1.0)),
        (("a", TS + 1e-6), ("a", TS)),
        (("aaa", 5.0), ("aab", 5.0)),
        (("zzz", 1.0), ("aaa", None)),
        (("x", 1e-300), ("a", 0.0)),
        (("ab", None), ("abc", None)),
    ],
)
def test_listing_members_sort_by_last_message_desc_then_name(
    a: tuple[str, float | None], b: tuple[str, float | None]
) -> None:
    assert listing_member(*a).encode() < listing_member(*b).encode()


def test_a_room_name_that_would_break_the_hash_tag_is_refused() -> None:
    keys = Keys("p:")
    assert keys.room("lobby", "meta") == "p:{lobby}:meta"
    with pytest.raises(ValueError, match="room"):
        keys.room("a}b", "meta")
    with pytest.raises(ValueError, match="prefix"):
        Keys("bad prefix")


def test_an_attachments_signed_url_is_never_stored() -> None:
    signed = Message(
        room="lobby", seq=1, id="m", author="A", text="", html="", ts=TS,
        attachment=Attachment(id="f", name="n", size=1, content_type="text/plain", url="/signed"),
    )  # fmt: skip
    stored = codec.encode_stored(signed)
    assert "/signed" not in stored
    decoded = codec.decode_stored("lobby", stored).attachment
    assert decoded is not None
    assert decoded.url == ""
