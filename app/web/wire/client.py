"""Client → server events: a discriminated union on `type`, unknown fields forbidden, parsed by
one module-level TypeAdapter; and how a parse failure becomes an `error` code."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError

from app.domain.codes import ErrorCode
from app.domain.invites import MAX_INVITE_TTL_S, MAX_INVITE_USES
from app.web.wire import examples
from app.web.wire.fields import NameField, Ref, RoomField, UploadId


class _ClientEvent(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)

    ref: Ref | None = Field(default=None, description="Copied into the direct reply.")


class Hello(_ClientEvent):
    """Introduce yourself (first event; again only while in no room, to rename)."""

    model_config = examples.config(*examples.HELLO)

    type: Literal["hello"]
    name: NameField = Field(
        description="Display name: 2-24 characters, unique per room (with a token whose name "
        "claim is set, the claim's name is used instead)."
    )
    token: str | None = Field(
        default=None,
        max_length=4096,
        description="A JWT, when the server authenticates (`PARROT_AUTH`); ignored when it "
        "does not. A refused token is `auth_failed`, then close 1008.",
    )


class Join(_ClientEvent):
    """Join a room (creating it if empty); resume with `since` and `epoch`."""

    model_config = examples.config(*examples.JOIN)

    type: Literal["join"]
    room: RoomField
    since: int | None = Field(default=None, ge=0, description="Last seq the client saw.")
    epoch: str | None = Field(default=None, max_length=64, description="From the last joined.")
    private: bool | None = Field(
        default=None,
        description="true: a room this join creates is private (joining it needs an invite); "
        "ignored when the room exists (`joined.private` says what it is).",
    )
    invite: str | None = Field(
        default=None,
        max_length=512,
        description="A token from an `invite` reply, or your rejoin pass (`joined.rejoin`) to "
        "come back: required to join a private room; neither checked nor spent when the "
        "room is public.",
    )


class Leave(_ClientEvent):
    """Leave a room."""

    model_config = examples.config(*examples.LEAVE)

    type: Literal["leave"]
    room: RoomField


class Send(_ClientEvent):
    """Send a text message to a room."""

    model_config = examples.config(*examples.SEND)

    type: Literal["send"]
    room: RoomField
    text: str = Field(default="", description="May be left out when `attachment` is given.")
    attachment: UploadId | None = Field(
        default=None, description="The `id` of an uploaded file (from `upload_url`)."
    )


class Attach(_ClientEvent):
    """Ask to attach a file: the reply `upload_url` says where to PUT it."""

    model_config = examples.config(*examples.ATTACH)

    type: Literal["attach"]
    room: RoomField
    name: str = Field(max_length=1024, description="The file's name, shown to people.")
    size: int = Field(ge=0, description="Bytes; at most `limits.max_attachment_bytes`.")
    content_type: str = Field(
        max_length=255,
        description="image/png, image/jpeg, image/gif, image/webp, application/pdf or text/plain.",
    )


class TypingIn(_ClientEvent):
    """Tell the room you are typing (coalesced; expires after ttl_ms)."""

    model_config = examples.config(*examples.TYPING_IN)

    type: Literal["typing"]
    room: RoomField


class HistoryIn(_ClientEvent):
    """Page back through a room's kept history."""

    model_config = examples.config(*examples.HISTORY_IN)

    type: Literal["history"]
    room: RoomField
    before: int | None = Field(default=None, ge=1, description="Only messages below this seq.")
    limit: int | None = Field(default=None, ge=1, le=50)


class Kick(_ClientEvent):
    """Owner only: remove a member, who may not rejoin for the kick cooldown."""

    model_config = examples.config(*examples.KICK)

    type: Literal["kick"]
    room: RoomField
    name: NameField
    reason: str | None = Field(default=None, max_length=200)


class Ban(_ClientEvent):
    """Owner only: remove a member until the room is deleted."""

    model_config = examples.config(*examples.BAN)

    type: Literal["ban"]
    room: RoomField
    name: NameField
    reason: str | None = Field(default=None, max_length=200)


class InviteIn(_ClientEvent):
    """Owner only: ask for an invite token to the room (reply `invite`)."""

    model_config = examples.config(*examples.INVITE_IN)

    type: Literal["invite"]
    room: RoomField
    ttl_s: int | None = Field(
        default=None,
        ge=60,
        le=MAX_INVITE_TTL_S,
        description="Lifetime in seconds; default `PARROT_INVITE_TTL_S` (3600), at most "
        "`PARROT_INVITE_MAX_TTL_S` (7 days).",
    )
    uses: int | None = Field(
        default=None,
        ge=1,
        le=MAX_INVITE_USES,
        description="Joins it admits; default 1 (single use), at most `PARROT_INVITE_MAX_USES` "
        "(1000).",
    )


class SetPrivate(_ClientEvent):
    """Owner only: make the room private (joining needs an invite) or public again."""

    model_config = examples.config(*examples.SET_PRIVATE)

    type: Literal["set_private"]
    room: RoomField
    private: bool


class Ping(_ClientEvent):
    """Application-level round-trip probe."""

    model_config = examples.config(*examples.PING)

    type: Literal["ping"]


ClientEvent = Annotated[
    Hello
    | Join
    | Leave
    | Send
    | TypingIn
    | HistoryIn
    | Kick
    | Ban
    | Ping
    | Attach
    | InviteIn
    | SetPrivate,
    Field(discriminator="type"),
]
CLIENT_EVENT: TypeAdapter[ClientEvent] = TypeAdapter(ClientEvent)


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
