"""The publish path's hand-built pieces of an envelope (codec.message_head, message_tail,
presence_online) write exactly what the general encoder writes, and the decoder's fast
scanner refuses what json.loads would."""

from __future__ import annotations

import pytest

from app.adapters.redis import codec
from app.domain.attachments import Attachment
from app.domain.events import Envelope, Presence, PresenceStatus
from app.domain.history import MessageDraft

TS = 1_790_000_000.123456789
FILE = Attachment(id="f" * 32, name='cat "1"\n.png', size=2048, content_type="image/png")
TEXTS = ["", "plain", 'quote " back \\ slash', "tab\t nl\n nul\x00 del\x7f", "Zoë 日本 😀 \u2028"]


@pytest.mark.parametrize("text", TEXTS)
@pytest.mark.parametrize("attachment", [None, FILE], ids=["text", "attachment"])
@pytest.mark.parametrize(
    ("reply_conn", "reply_ref", "accepted_at"),
    [(None, None, 0.0), ("c-1", 'r "1"', 12.5), ("c-2", None, 0.375)],
)
def test_the_spliced_envelope_is_what_encode_envelope_writes(
    text: str,
    attachment: Attachment | None,
    reply_conn: str | None,
    reply_ref: str | None,
    accepted_at: float,
) -> None:
    draft = MessageDraft(
        room="lobby", id="x1", author=text or "Ann", text=text, html=f"<p>{text}</p>", ts=TS,
        attachment=attachment,
    )  # fmt: skip
    message = draft.numbered(42)
    envelope = Envelope(
        room="lobby", event=message, reply_conn=reply_conn, reply_ref=reply_ref,
        accepted_at=accepted_at,
    )  # fmt: skip
    wall_offset = 1000.0
    head = codec.message_head(
        "lobby",
        reply_conn=reply_conn,
        reply_ref=reply_ref,
        accepted_wall=accepted_at + wall_offset if accepted_at else 0.0,
    )
    spliced = head + '"e1","m",42' + codec.message_tail(draft)  # as publish.lua writes it
    assert spliced == codec.encode_envelope(envelope, wall_offset=wall_offset, epoch="e1")
    assert codec.encode_stored(message) == "[42" + codec.message_tail(draft)
    got = codec.decode_envelope(spliced.encode(), wall_offset=wall_offset)
    assert (got.envelope, got.epoch) == (envelope, "e1")


@pytest.mark.parametrize("name", ["Ann", 'a "b"', "Zoë 😀"])
def test_the_presence_a_message_may_publish_is_what_encode_envelope_writes(name: str) -> None:
    presence = Presence(room="lobby", name=name, status=PresenceStatus.ONLINE, last_seen=TS)
    expected = codec.encode_envelope(Envelope(room="lobby", event=presence), wall_offset=0.0)
    assert codec.presence_online("lobby", name, TS) == expected


@pytest.mark.parametrize(
    "raw",
    [
        b"",
        b"{}",
        b'"text"',
        b"[1",
        b'[1,"lobby",null,null,null,0.0,null,"t","lobby","a",1] trailing',
        b' [1,"lobby",null,null,null,0.0,null,"t","lobby","a",1]',
        b'[2,"lobby",null,null,null,0.0,null,"t","lobby","a",1]',
        b'[1,"lobby",null,null,null,0.0,null,"?"]',
        b"\xff\xfe",
    ],
)
def test_what_is_not_one_envelope_is_a_codec_error(raw: bytes) -> None:
    with pytest.raises(codec.CodecError):
        codec.decode_envelope(raw, wall_offset=0.0)
