"""The wire protocol: a pydantic model for every client and server event of PROTOCOL.md.

Client events form a discriminated union on `type` with unknown fields forbidden, parsed by
one module-level TypeAdapter. Server events are built from the domain's dataclasses
(`from_attributes`) and encoded once per broadcast. These models are also the source of the
AsyncAPI document, so what they say is the contract.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    GetJsonSchemaHandler,
    PlainSerializer,
    StringConstraints,
    TypeAdapter,
    ValidationError,
    WithJsonSchema,
)
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema

from app.domain import events as domain
from app.domain.errors import ErrorCode
from app.domain.history import Message
from app.domain.timefmt import rfc3339

# Printable ASCII, no spaces: the X-Request-ID rule (app/web/telemetry.py), as a ref becomes
# the request_id of the event's log lines and is echoed verbatim (ADR 0016).
Ref = Annotated[str, StringConstraints(min_length=1, max_length=64, pattern=r"^[!-~]+$")]
# Generous caps: the domain gives the precise error (name_invalid, room_invalid ...) for
# anything plausible; these only keep absurd payloads away from it.
NameField = Annotated[str, StringConstraints(max_length=256)]
RoomField = Annotated[str, StringConstraints(max_length=256)]
Timestamp = Annotated[
    datetime,
    PlainSerializer(lambda d: rfc3339(d.timestamp()), return_type=str, when_used="json"),
    WithJsonSchema(
        {
            "type": "string",
            "format": "date-time",
            "description": "RFC 3339, UTC, millisecond precision.",
            "examples": ["2026-11-29T07:02:46.878Z"],
        },
        mode="serialization",
    ),
]

# Example values shared by the examples below (each example is validated by its own model in
# tests/protocol/test_asyncapi.py, and shown in the AsyncAPI document).
_TS = "2026-11-29T07:02:46.878Z"
_TS_EARLIER = "2026-11-29T06:58:10.204Z"
_MESSAGE_EXAMPLE: dict[str, Any] = {
    "type": "message",
    "room": "lobby",
    "seq": 42,
    "id": "9c1f0b7e4d2a4c7f8e3b5a6d1c0e9f2a",
    "author": "Alice",
    "text": "hi *Bob*",
    "html": "hi <strong>Bob</strong>",
    "ts": _TS,
}


def _examples(*examples: dict[str, Any]) -> ConfigDict:
    return ConfigDict(json_schema_extra={"examples": list(examples)})


# --- client → server ---------------------------------------------------------------------


class _ClientEvent(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)

    ref: Ref | None = Field(default=None, description="Copied into the direct reply.")


class Hello(_ClientEvent):
    """Introduce yourself (first event; again only while in no room, to rename)."""

    model_config = _examples({"type": "hello", "name": "Alice", "ref": "r1"})

    type: Literal["hello"]
    name: NameField = Field(description="Guest name: 2-24 characters, unique per room.")
    token: str | None = Field(default=None, max_length=4096, description="Reserved for auth.")


class Join(_ClientEvent):
    """Join a room (creating it if empty); resume with `since` and `epoch`."""

    model_config = _examples(
        {"type": "join", "room": "lobby", "ref": "r2"},
        {"type": "join", "room": "lobby", "since": 41, "epoch": "5f2a9c01be7d", "ref": "r3"},
    )

    type: Literal["join"]
    room: RoomField
    since: int | None = Field(default=None, ge=0, description="Last seq the client saw.")
    epoch: str | None = Field(default=None, max_length=64, description="From the last joined.")


class Leave(_ClientEvent):
    """Leave a room."""

    model_config = _examples({"type": "leave", "room": "lobby", "ref": "r4"})

    type: Literal["leave"]
    room: RoomField


class Send(_ClientEvent):
    """Send a text message to a room."""

    model_config = _examples({"type": "send", "room": "lobby", "text": "hi *Bob*", "ref": "r5"})

    type: Literal["send"]
    room: RoomField
    text: str


class TypingIn(_ClientEvent):
    """Tell the room you are typing (coalesced; expires after ttl_ms)."""

    model_config = _examples({"type": "typing", "room": "lobby"})

    type: Literal["typing"]
    room: RoomField


class HistoryIn(_ClientEvent):
    """Page back through a room's kept history."""

    model_config = _examples(
        {"type": "history", "room": "lobby", "before": 3, "limit": 20, "ref": "r6"}
    )

    type: Literal["history"]
    room: RoomField
    before: int | None = Field(default=None, ge=1, description="Only messages below this seq.")
    limit: int | None = Field(default=None, ge=1, le=50)


class Kick(_ClientEvent):
    """Owner only: remove a member, who may not rejoin for the kick cooldown."""

    model_config = _examples(
        {"type": "kick", "room": "lobby", "name": "Mallory", "reason": "spam", "ref": "r7"}
    )

    type: Literal["kick"]
    room: RoomField
    name: NameField
    reason: str | None = Field(default=None, max_length=200)


class Ban(_ClientEvent):
    """Owner only: remove a member until the room is deleted."""

    model_config = _examples(
        {"type": "ban", "room": "lobby", "name": "Mallory", "reason": "spam", "ref": "r8"}
    )

    type: Literal["ban"]
    room: RoomField
    name: NameField
    reason: str | None = Field(default=None, max_length=200)


class Ping(_ClientEvent):
    """Application-level round-trip probe."""

    model_config = _examples({"type": "ping", "ref": "r9"})

    type: Literal["ping"]


ClientEvent = Annotated[
    Hello | Join | Leave | Send | TypingIn | HistoryIn | Kick | Ban | Ping,
    Field(discriminator="type"),
]
CLIENT_EVENT: TypeAdapter[ClientEvent] = TypeAdapter(ClientEvent)


# --- server → client ---------------------------------------------------------------------


class _ServerModel(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    @classmethod
    def __get_pydantic_json_schema__(
        cls, core_schema: CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        """Fields that are always on the wire are required in the schema.

        `encode` leaves out only None, so a field with a non-None default (the `type` tag,
        `SystemOut.data`) is always sent; pydantic would mark it optional because it has a
        default. Only the schema changes, not how the model validates.
        """
        schema = handler(core_schema)
        target = handler.resolve_ref_schema(schema)
        always = [
            name
            for name, field in cls.model_fields.items()
            if field.default_factory is not None or field.default is not None
        ]
        if always and "properties" in target:
            required = target.setdefault("required", [])
            required.extend(name for name in always if name not in required)
        return schema


class LimitsOut(_ServerModel):
    """The limits this server enforces on this connection."""

    max_message_chars: int
    history_size: int
    max_room_members: int
    max_rooms_per_connection: int
    max_frame_bytes: int
    typing_ttl_ms: int


class WelcomeOut(_ServerModel):
    """Reply to hello."""

    model_config = _examples(
        {
            "type": "welcome",
            "connection_id": "3b8e2f6c9a0d4e1f8c7b6a5d4e3f2a1b",
            "name": "Alice",
            "limits": {
                "max_message_chars": 512,
                "history_size": 50,
                "max_room_members": 100,
                "max_rooms_per_connection": 10,
                "max_frame_bytes": 16384,
                "typing_ttl_ms": 5000,
            },
            "server_time": _TS,
            "ref": "r1",
        }
    )

    type: Literal["welcome"] = "welcome"
    connection_id: str
    name: str
    limits: LimitsOut
    server_time: Timestamp
    ref: Ref | None = None


class MessageOut(_ServerModel):
    """A chat message; `seq` grows by exactly one per message in the room."""

    model_config = _examples({**_MESSAGE_EXAMPLE, "ref": "r5"}, _MESSAGE_EXAMPLE)

    type: Literal["message"] = "message"
    room: str
    seq: int
    id: str
    author: str
    text: str
    html: str
    ts: Timestamp
    ref: Ref | None = None


class MemberOut(_ServerModel):
    """A member of the room."""

    name: str
    owner: bool
    joined_at: Timestamp
    last_active_at: Timestamp


class YouOut(_ServerModel):
    """Who you are in the room."""

    name: str
    owner: bool


class RecentOut(_ServerModel):
    """A member who left in the last 10 minutes."""

    name: str
    last_seen: Timestamp


class JoinedOut(_ServerModel):
    """Reply to join: the room as it is, and the history the client needs."""

    model_config = _examples(
        {
            "type": "joined",
            "room": "lobby",
            "epoch": "5f2a9c01be7d",
            "seq": 42,
            "owner": "Bob",
            "you": {"name": "Alice", "owner": False},
            "members": [
                {"name": "Bob", "owner": True, "joined_at": _TS_EARLIER, "last_active_at": _TS},
                {"name": "Alice", "owner": False, "joined_at": _TS, "last_active_at": _TS},
            ],
            "recent": [{"name": "Carol", "last_seen": _TS_EARLIER}],
            "history": [_MESSAGE_EXAMPLE],
            "recovered": False,
            "ref": "r2",
        }
    )

    type: Literal["joined"] = "joined"
    room: str
    epoch: str
    seq: int
    owner: str
    you: YouOut
    members: list[MemberOut]
    recent: list[RecentOut]
    history: list[MessageOut]
    recovered: bool
    ref: Ref | None = None


class LeftOut(_ServerModel):
    """You are no longer in the room."""

    model_config = _examples({"type": "left", "room": "lobby", "reason": "left", "ref": "r4"})

    type: Literal["left"] = "left"
    room: str
    reason: domain.LeaveReason
    ref: Ref | None = None


class SystemOut(_ServerModel):
    """A server notice to a room (or to everyone); clients cannot send this type."""

    model_config = _examples(
        {
            "type": "system",
            "room": "lobby",
            "event": "member_joined",
            "text": "[system] Alice joined",
            "data": {"name": "Alice"},
            "ts": _TS,
        },
        {
            "type": "system",
            "event": "server_shutdown",
            "text": "[system] the server is restarting",
            "data": {"reconnect_after_ms": 2500},
            "ts": _TS,
        },
    )

    type: Literal["system"] = "system"
    room: str | None = None
    event: domain.SystemEventKind
    text: str
    data: dict[str, Any] = Field(default_factory=dict)
    ts: Timestamp


class PresenceOut(_ServerModel):
    """A member's presence in a room changed (online, away, offline)."""

    model_config = _examples(
        {"type": "presence", "room": "lobby", "name": "Alice", "status": "online", "last_seen": _TS}
    )

    type: Literal["presence"] = "presence"
    room: str
    name: str
    status: domain.PresenceStatus
    last_seen: Timestamp


class TypingOut(_ServerModel):
    """Someone in the room is typing; the indicator expires after `ttl_ms` unless refreshed."""

    model_config = _examples({"type": "typing", "room": "lobby", "name": "Bob", "ttl_ms": 5000})

    type: Literal["typing"] = "typing"
    room: str
    name: str
    ttl_ms: int


class HistoryOut(_ServerModel):
    """Reply to history: a page of messages, oldest first."""

    model_config = _examples(
        {
            "type": "history",
            "room": "lobby",
            "messages": [_MESSAGE_EXAMPLE],
            "has_more": True,
            "ref": "r6",
        }
    )

    type: Literal["history"] = "history"
    room: str
    messages: list[MessageOut]
    has_more: bool
    ref: Ref | None = None


class KickedOut(_ServerModel):
    """You were kicked from the room by its owner (a `left` follows)."""

    model_config = _examples(
        {
            "type": "kicked",
            "room": "lobby",
            "by": "Bob",
            "reason": "spam",
            "retry_after_ms": 3600000,
        }
    )

    type: Literal["kicked"] = "kicked"
    room: str
    by: str
    reason: str | None = None
    retry_after_ms: int | None = None


class BannedOut(_ServerModel):
    """You were banned from the room until it is deleted (a `left` follows)."""

    model_config = _examples({"type": "banned", "room": "lobby", "by": "Bob", "reason": "spam"})

    type: Literal["banned"] = "banned"
    room: str
    by: str
    reason: str | None = None


class ErrorDetail(BaseModel):
    """One validation problem: where in the event, and what."""

    path: str
    message: str


class ErrorOut(_ServerModel):
    """A denial: nothing changed; the connection stays open unless a close follows."""

    model_config = _examples(
        {
            "type": "error",
            "code": "rate_limited",
            "reason": "too many messages; try again in 1.2 s",
            "room": "lobby",
            "retry_after_ms": 1200,
            "ref": "r5",
        },
        {
            "type": "error",
            "code": "invalid_event",
            "reason": "the event does not match the protocol",
            "details": [{"path": "send.text", "message": "Field required"}],
        },
    )

    type: Literal["error"] = "error"
    code: ErrorCode
    reason: str
    ref: Ref | None = None
    room: str | None = None
    retry_after_ms: int | None = None
    details: list[ErrorDetail] | None = None


class PongOut(_ServerModel):
    """Reply to ping, with the server's clock."""

    model_config = _examples({"type": "pong", "server_time": _TS, "ref": "r9"})

    type: Literal["pong"] = "pong"
    server_time: Timestamp
    ref: Ref | None = None


ServerEventModel = (
    WelcomeOut
    | JoinedOut
    | LeftOut
    | MessageOut
    | SystemOut
    | PresenceOut
    | TypingOut
    | HistoryOut
    | KickedOut
    | BannedOut
    | ErrorOut
    | PongOut
)
SERVER_EVENT: TypeAdapter[ServerEventModel] = TypeAdapter(
    Annotated[ServerEventModel, Field(discriminator="type")]
)

_MODEL_FOR: dict[type[Any], type[_ServerModel]] = {
    domain.Welcome: WelcomeOut,
    domain.Joined: JoinedOut,
    domain.Left: LeftOut,
    Message: MessageOut,
    domain.SystemNotice: SystemOut,
    domain.Presence: PresenceOut,
    domain.Typing: TypingOut,
    domain.HistoryPage: HistoryOut,
    domain.Kicked: KickedOut,
    domain.Banned: BannedOut,
    domain.Error: ErrorOut,
    domain.Pong: PongOut,
}


def to_model(event: domain.ServerEvent) -> _ServerModel:
    return _MODEL_FOR[type(event)].model_validate(event, from_attributes=True)


def encode(event: domain.ServerEvent, ref: str | None = None) -> str:
    """One JSON text frame for `event`; absent optional fields are left out."""
    model = to_model(event)
    if ref is not None and "ref" in type(model).model_fields:
        model = model.model_copy(update={"ref": ref})
    return model.model_dump_json(exclude_none=True)


# --- parsing -----------------------------------------------------------------------------


def parse_client_event(frame: str | bytes) -> ClientEvent:
    """Parse one text frame; raises ValidationError (see `classify`)."""
    return CLIENT_EVENT.validate_json(frame)


def classify(error: ValidationError) -> tuple[ErrorCode, str, list[dict[str, str]]]:
    """Map a parse failure to (code, reason, details) for the `error` event."""
    errors = error.errors(include_url=False, include_input=False)
    if any(e["type"] == "json_invalid" for e in errors):
        return ErrorCode.INVALID_JSON, "the frame is not valid JSON", []
    details = [
        {"path": ".".join(str(part) for part in e["loc"]) or "$", "message": e["msg"]}
        for e in errors[:10]
    ]
    return ErrorCode.INVALID_EVENT, "the event does not match the protocol", details
