"""Compact JSON encodings of what Redis stores and carries.

An envelope on a room's channel is one JSON array:

    [1, room, exclude_conn, reply_conn, reply_ref, accepted_wall, epoch, kind, *fields]

`1` is the format version; `kind` is m (Message), s (SystemNotice), p (Presence),
t (Typing) or e (Eviction, whose notice is ["k", ...] for Kicked or ["b", ...] for
Banned). `accepted_wall` is the publisher's accept time on the wall clock (0 when not
measured), turned back into the receiver's monotonic clock on decoding, so broadcast latency
stays measurable across nodes. `epoch` is set on messages (the publish script writes it) so
that a receiver notices a room that was re-created. A stored message is
`[seq, id, author, text, html, ts]`, and `[id, name, size, content_type]` of its attachment
last when it has one (the download URL is signed when it is sent, never stored). Floats go
through `repr`, so they round-trip exactly.

The publish script splices the seq in: Python builds the head up to the epoch and the tail
after the seq, Lua writes `head .. epoch .. ',"m",' .. seq .. tail`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from json.encoder import encode_basestring
from json.scanner import make_scanner
from typing import Any

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

FORMAT = 1

_dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode
# The hot path's pieces are built from these two, exactly as _dumps writes them (a unit test
# compares): a string as JSON (ensure_ascii=False), and the C scanner json.loads ends in.
_str = encode_basestring
_scan = make_scanner(json.JSONDecoder())  # type: ignore[arg-type]  # typeshed types the class


def _opt(value: str | None) -> str:
    return "null" if value is None else _str(value)


def _float(value: float) -> str:
    # As json writes a float; NaN and infinities never reach here (times and sizes).
    return repr(float(value))


class CodecError(ValueError):
    """A publication or stored value this version cannot read."""


@dataclass(frozen=True, slots=True)
class Received:
    """A decoded publication: the envelope, and the room epoch when it is a message."""

    envelope: Envelope
    epoch: str | None


def _wall(accepted_at: float, wall_offset: float) -> float:
    return accepted_at + wall_offset if accepted_at else 0.0


def _head(
    envelope_room: str,
    exclude: str | None,
    reply_conn: str | None,
    reply_ref: str | None,
    accepted_wall: float,
) -> str:
    return _dumps([FORMAT, envelope_room, exclude, reply_conn, reply_ref, accepted_wall])[:-1]


def message_head(
    room: str, *, reply_conn: str | None, reply_ref: str | None, accepted_wall: float
) -> str:
    """The envelope of a message up to (not including) the epoch: ends with a comma."""
    return (
        f"[{FORMAT},{_str(room)},null,{_opt(reply_conn)},{_opt(reply_ref)},{_float(accepted_wall)},"
    )


def presence_online(room: str, name: str, last_seen: float) -> str:
    """encode_envelope of `name`'s Presence (online) in `room`, as the publish script sends
    it when the author of a message was away."""
    r = _str(room)
    return (
        f'[{FORMAT},{r},null,null,null,0.0,null,"p",{r},{_str(name)},"online",{_float(last_seen)}]'
    )


def _attachment_fields(attachment: Attachment | None) -> list[Any]:
    # The URL is signed when the message is sent to a client, never stored.
    if attachment is None:
        return []
    return [[attachment.id, attachment.name, attachment.size, attachment.content_type]]


def message_tail(draft: MessageDraft) -> str:
    """What follows the seq, in both the stored message and the envelope."""
    tail = (
        f",{_str(draft.id)},{_str(draft.author)},{_str(draft.text)},{_str(draft.html)},"
        f"{_float(draft.ts)}"
    )
    if draft.attachment is not None:
        tail += "," + _dumps(_attachment_fields(draft.attachment)[0])
    return tail + "]"


def encode_stored(message: Message) -> str:
    fields = [message.seq, message.id, message.author, message.text, message.html, message.ts]
    return _dumps(fields + _attachment_fields(message.attachment))


def decode_stored(room: str, raw: str | bytes) -> Message:
    return _message(room, json.loads(raw))


def _message(room: str, f: list[Any]) -> Message:
    seq, id_, author, text, html, ts, *rest = f
    attachment = None
    if rest:
        upload_id, name, size, content_type = rest[0]
        attachment = Attachment(id=upload_id, name=name, size=int(size), content_type=content_type)
    return Message(room, int(seq), id_, author, text, html, float(ts), attachment)


def _event_fields(event: RoomEvent) -> list[Any]:
    match event:
        case Message():
            fields = ["m", event.seq, event.id, event.author, event.text, event.html, event.ts]
            return fields + _attachment_fields(event.attachment)
        case SystemNotice():
            return ["s", event.event.value, event.text, event.ts, event.room, event.data]
        case Presence():
            return ["p", event.room, event.name, event.status.value, event.last_seen]
        case Typing():
            return ["t", event.room, event.name, event.ttl_ms]
        case Eviction():
            notice = event.notice
            encoded = (
                ["k", notice.room, notice.by, notice.reason, notice.retry_after_ms]
                if isinstance(notice, Kicked)
                else ["b", notice.room, notice.by, notice.reason]
            )
            return ["e", event.room, event.conn_id, event.reason.value, encoded]
    raise TypeError(f"not a room event: {event!r}")  # pragma: no cover - the union is closed


def encode_envelope(envelope: Envelope, *, wall_offset: float, epoch: str | None = None) -> str:
    head = [
        FORMAT,
        envelope.room,
        envelope.exclude_conn,
        envelope.reply_conn,
        envelope.reply_ref,
        _wall(envelope.accepted_at, wall_offset),
        epoch,
    ]
    return _dumps(head + _event_fields(envelope.event))


def _event(room: str, f: list[Any]) -> RoomEvent:
    kind = f[0]
    if kind == "m":
        return _message(room, f[1:])
    if kind == "s":
        _, event, text, ts, notice_room, data = f
        return SystemNotice(
            event=SystemEventKind(event), text=text, ts=float(ts), room=notice_room, data=data
        )
    if kind == "p":
        _, p_room, name, status, last_seen = f
        return Presence(
            room=p_room, name=name, status=PresenceStatus(status), last_seen=float(last_seen)
        )
    if kind == "t":
        _, t_room, name, ttl_ms = f
        return Typing(room=t_room, name=name, ttl_ms=int(ttl_ms))
    if kind == "e":
        _, e_room, conn_id, reason, notice = f
        decoded: Kicked | Banned
        if notice[0] == "k":
            decoded = Kicked(
                room=notice[1], by=notice[2], reason=notice[3], retry_after_ms=notice[4]
            )
        else:
            decoded = Banned(room=notice[1], by=notice[2], reason=notice[3])
        return Eviction(room=e_room, conn_id=conn_id, notice=decoded, reason=LeaveReason(reason))
    raise CodecError(f"unknown event kind {kind!r}")


def decode_envelope(raw: str | bytes, *, wall_offset: float) -> Received:
    try:
        text = raw.decode() if isinstance(raw, bytes) else raw
        f, end = _scan(text, 0)
        if end != len(text) or not isinstance(f, list):
            raise CodecError("a publication is one JSON array")
        if f[0] != FORMAT:
            raise CodecError(f"envelope format {f[0]!r}, this version reads {FORMAT}")
        _, room, exclude, reply_conn, reply_ref, accepted_wall, epoch = f[:7]
        event = _event(room, f[7:])
    except CodecError:
        raise
    except (ValueError, TypeError, IndexError, KeyError, StopIteration) as exc:
        raise CodecError(f"cannot decode a publication: {exc!r}") from exc
    accepted_at = accepted_wall - wall_offset if accepted_wall else 0.0
    envelope = Envelope(room, event, exclude, reply_conn, reply_ref, accepted_at)
    return Received(envelope, epoch)


# --- members -----------------------------------------------------------------------------
# A member is stored as [name, conn_id, joined_at, node_id] (the parts that never change);
# last_active_at lives in a sorted set and `away` is "not in the live set".


def encode_member(member: Member) -> str:
    """`[name, conn_id, joined_at, node_id]`, and the verified `sub` last when there is one
    (join.lua and evict.lua read it at index 5)."""
    fields = [member.name, member.conn_id, member.joined_at, member.node_id]
    return _dumps(fields if member.sub is None else [*fields, member.sub])


def decode_member(key: str, static: str, last_active: str, away: bool) -> Member:
    name, conn_id, joined_at, node_id, *rest = json.loads(static)
    return Member(
        name=name,
        key=key,
        conn_id=conn_id,
        joined_at=float(joined_at),
        last_active_at=float(last_active),
        away=away,
        node_id=node_id,
        sub=str(rest[0]) if rest else None,
    )


def number(value: float) -> str:
    """A float as a script argument, exactly (Lua reads it back to the same double)."""
    return repr(float(value))
