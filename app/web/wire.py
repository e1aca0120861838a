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
    PlainSerializer,
    StringConstraints,
    TypeAdapter,
    ValidationError,
)

from app.domain import events as domain
from app.domain.errors import ErrorCode
from app.domain.history import Message
from app.domain.timefmt import rfc3339

Ref = Annotated[str, StringConstraints(min_length=1, max_length=64)]
# Generous caps: the domain gives the precise error (name_invalid, room_invalid ...) for
# anything plausible; these only keep absurd payloads away from it.
NameField = Annotated[str, StringConstraints(max_length=256)]
RoomField = Annotated[str, StringConstraints(max_length=256)]
Timestamp = Annotated[
    datetime,
    PlainSerializer(lambda d: rfc3339(d.timestamp()), return_type=str, when_used="json"),
]


# --- client → server ---------------------------------------------------------------------


class _ClientEvent(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)

    ref: Ref | None = Field(default=None, description="Copied into the direct reply.")


class Hello(_ClientEvent):
    """Introduce yourself (first event; again only while in no room, to rename)."""

    type: Literal["hello"]
    name: NameField = Field(description="Guest name: 2-24 characters, unique per room.")
    token: str | None = Field(default=None, max_length=4096, description="Reserved for auth.")


class Join(_ClientEvent):
    """Join a room (creating it if empty); resume with `since` and `epoch`."""

    type: Literal["join"]
    room: RoomField
    since: int | None = Field(default=None, ge=0, description="Last seq the client saw.")
    epoch: str | None = Field(default=None, max_length=64, description="From the last joined.")


class Leave(_ClientEvent):
    """Leave a room."""

    type: Literal["leave"]
    room: RoomField


class Send(_ClientEvent):
    """Send a text message to a room."""

    type: Literal["send"]
    room: RoomField
    text: str


class TypingIn(_ClientEvent):
    """Tell the room you are typing (coalesced; expires after ttl_ms)."""

    type: Literal["typing"]
    room: RoomField


class HistoryIn(_ClientEvent):
    """Page back through a room's kept history."""

    type: Literal["history"]
    room: RoomField
    before: int | None = Field(default=None, ge=1, description="Only messages below this seq.")
    limit: int | None = Field(default=None, ge=1, le=50)


class Kick(_ClientEvent):
    """Owner only: remove a member, who may not rejoin for the kick cooldown."""

    type: Literal["kick"]
    room: RoomField
    name: NameField
    reason: str | None = Field(default=None, max_length=200)


class Ban(_ClientEvent):
    """Owner only: remove a member until the room is deleted."""

    type: Literal["ban"]
    room: RoomField
    name: NameField
    reason: str | None = Field(default=None, max_length=200)


class Ping(_ClientEvent):
    """Application-level round-trip probe."""

    type: Literal["ping"]


ClientEvent = Annotated[
    Hello | Join | Leave | Send | TypingIn | HistoryIn | Kick | Ban | Ping,
    Field(discriminator="type"),
]
CLIENT_EVENT: TypeAdapter[ClientEvent] = TypeAdapter(ClientEvent)


# --- server → client ---------------------------------------------------------------------


class _ServerModel(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class LimitsOut(_ServerModel):
    max_message_chars: int
    history_size: int
    max_room_members: int
    max_rooms_per_connection: int
    max_frame_bytes: int
    typing_ttl_ms: int


class WelcomeOut(_ServerModel):
    """Reply to hello."""

    type: Literal["welcome"] = "welcome"
    connection_id: str
    name: str
    limits: LimitsOut
    server_time: Timestamp
    ref: Ref | None = None


class MessageOut(_ServerModel):
    """A chat message; `seq` grows by exactly one per message in the room."""

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
    name: str
    owner: bool
    joined_at: Timestamp
    last_active_at: Timestamp


class YouOut(_ServerModel):
    name: str
    owner: bool


class RecentOut(_ServerModel):
    name: str
    last_seen: Timestamp


class JoinedOut(_ServerModel):
    """Reply to join: the room as it is, and the history the client needs."""

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

    type: Literal["left"] = "left"
    room: str
    reason: domain.LeaveReason
    ref: Ref | None = None


class SystemOut(_ServerModel):
    """A server notice to a room (or to everyone); clients cannot send this type."""

    type: Literal["system"] = "system"
    room: str | None = None
    event: domain.SystemEventKind
    text: str
    data: dict[str, Any] = Field(default_factory=dict)
    ts: Timestamp


class PresenceOut(_ServerModel):
    type: Literal["presence"] = "presence"
    room: str
    name: str
    status: domain.PresenceStatus
    last_seen: Timestamp


class TypingOut(_ServerModel):
    type: Literal["typing"] = "typing"
    room: str
    name: str
    ttl_ms: int


class HistoryOut(_ServerModel):
    """Reply to history: a page of messages, oldest first."""

    type: Literal["history"] = "history"
    room: str
    messages: list[MessageOut]
    has_more: bool
    ref: Ref | None = None


class KickedOut(_ServerModel):
    type: Literal["kicked"] = "kicked"
    room: str
    by: str
    reason: str | None = None
    retry_after_ms: int | None = None


class BannedOut(_ServerModel):
    type: Literal["banned"] = "banned"
    room: str
    by: str
    reason: str | None = None


class ErrorDetail(BaseModel):
    path: str
    message: str


class ErrorOut(_ServerModel):
    """A denial: nothing changed; the connection stays open unless a close follows."""

    type: Literal["error"] = "error"
    code: ErrorCode
    reason: str
    ref: Ref | None = None
    room: str | None = None
    retry_after_ms: int | None = None
    details: list[ErrorDetail] | None = None


class PongOut(_ServerModel):
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
