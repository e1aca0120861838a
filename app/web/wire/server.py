"""Server → client events: built from the domain's dataclasses (`from_attributes`) and encoded
once per broadcast (the Hub calls `encode`). The session's own events live here, a room's in
room_events.py; the union and the encoder cover both."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field, TypeAdapter

from app.domain import events as domain
from app.domain.codes import ErrorCode
from app.domain.history import Message
from app.web.wire import examples
from app.web.wire.fields import Ref, Timestamp
from app.web.wire.room_events import (
    AttachmentOut,
    BannedOut,
    HistoryOut,
    JoinedOut,
    KickedOut,
    LeftOut,
    MemberOut,
    MessageOut,
    PresenceOut,
    RecentOut,
    SystemOut,
    TypingOut,
    YouOut,
)
from app.web.wire.server_model import ServerModel

__all__ = [
    "SERVER_EVENT",
    "AttachmentOut",
    "BannedOut",
    "ErrorDetail",
    "ErrorOut",
    "HistoryOut",
    "InviteOut",
    "JoinedOut",
    "KickedOut",
    "LeftOut",
    "LimitsOut",
    "MemberOut",
    "MessageOut",
    "PongOut",
    "PresenceOut",
    "RecentOut",
    "SystemOut",
    "TypingOut",
    "UploadUrlOut",
    "WelcomeOut",
    "YouOut",
    "encode",
    "to_model",
]


class LimitsOut(ServerModel):
    """The limits this server enforces on this connection."""

    max_message_chars: int
    history_size: int
    max_room_members: int
    max_rooms_per_connection: int
    max_frame_bytes: int
    typing_ttl_ms: int
    max_attachment_bytes: int = Field(
        default=0, description="The largest attachment; 0 when this server takes none."
    )


class WelcomeOut(ServerModel):
    """Reply to hello."""

    model_config = examples.config(*examples.WELCOME_OUT)

    type: Literal["welcome"] = "welcome"
    connection_id: str
    name: str
    limits: LimitsOut
    server_time: Timestamp
    authenticated: bool = Field(
        default=False, description="True when `hello` carried a token the server verified."
    )
    ref: Ref | None = None


class UploadUrlOut(ServerModel):
    """Reply to attach: PUT the file's bytes to `url` before `expires_at`, with the declared
    Content-Type, then `send` with `attachment: id`."""

    model_config = examples.config(*examples.UPLOAD_URL_OUT)

    type: Literal["upload_url"] = "upload_url"
    room: str
    id: str
    url: str = Field(description="Relative to the server; signed for this method and id.")
    method: Literal["PUT"] = "PUT"
    expires_at: Timestamp
    name: str = Field(description="The name as it will be shown (sanitised).")
    size: int
    content_type: str
    ref: Ref | None = None


class InviteOut(ServerModel):
    """Reply to invite (the owner only): `token` goes into `join{invite}`; the web UI's link is
    the server's origin followed by `url_path`."""

    model_config = examples.config(*examples.INVITE_OUT)

    type: Literal["invite"] = "invite"
    room: str
    token: str
    expires_at: Timestamp
    uses: int = Field(description="How many joins the invite admits.")
    url_path: str = Field(description="`/?room=<room>&invite=<token>`.")
    ref: Ref | None = None


class ErrorDetail(BaseModel):
    """One validation problem: where in the event, and what."""

    path: str
    message: str


class ErrorOut(ServerModel):
    """A denial: nothing changed; the connection stays open unless a close follows."""

    model_config = examples.config(*examples.ERROR_OUT)

    type: Literal["error"] = "error"
    code: ErrorCode
    reason: str
    ref: Ref | None = None
    room: str | None = None
    retry_after_ms: int | None = None
    details: list[ErrorDetail] | None = None


class PongOut(ServerModel):
    """Reply to ping, with the server's clock."""

    model_config = examples.config(*examples.PONG_OUT)

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
    | UploadUrlOut
    | InviteOut
)
SERVER_EVENT: TypeAdapter[ServerEventModel] = TypeAdapter(
    Annotated[ServerEventModel, Field(discriminator="type")]
)

MODEL_FOR: dict[type[Any], type[BaseModel]] = {
    # The wire model of each domain event (a parity test checks their fields match).
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
    domain.UploadUrl: UploadUrlOut,
    domain.Invitation: InviteOut,
}


def to_model(event: domain.ServerEvent) -> BaseModel:
    return MODEL_FOR[type(event)].model_validate(event, from_attributes=True)


def encode(event: domain.ServerEvent, ref: str | None = None) -> str:
    """One JSON text frame for `event`; absent optional fields are left out."""
    model = to_model(event)
    if ref is not None and "ref" in type(model).model_fields:
        model = model.model_copy(update={"ref": ref})
    return model.model_dump_json(exclude_none=True)
