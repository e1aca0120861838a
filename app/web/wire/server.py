"""Server → client events: built from the domain's dataclasses (`from_attributes`) and encoded
once per broadcast (the Hub calls `encode`)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, GetJsonSchemaHandler, TypeAdapter
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema

from app.domain import events as domain
from app.domain.codes import ErrorCode
from app.domain.history import Message
from app.web.wire import examples
from app.web.wire.fields import Ref, Timestamp


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
    max_attachment_bytes: int = Field(
        default=0, description="The largest attachment; 0 when this server takes none."
    )


class WelcomeOut(_ServerModel):
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


class AttachmentOut(_ServerModel):
    """A file a message carries. `url` is signed and expires (`PARROT_DOWNLOAD_URL_TTL_S`);
    each time the message is sent again (`joined`, `history`) it comes with a fresh one."""

    id: str
    url: str = Field(description="Relative to the server: `/api/uploads/{id}?room=&exp=&sig=`.")
    name: str
    size: int
    content_type: str


class MessageOut(_ServerModel):
    """A chat message; `seq` grows by exactly one per message in the room."""

    model_config = examples.config(*examples.MESSAGE_OUT)

    type: Literal["message"] = "message"
    room: str
    seq: int
    id: str
    author: str
    text: str
    html: str
    ts: Timestamp
    attachment: AttachmentOut | None = None
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

    model_config = examples.config(*examples.JOINED_OUT)

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

    model_config = examples.config(*examples.LEFT_OUT)

    type: Literal["left"] = "left"
    room: str
    reason: domain.LeaveReason
    ref: Ref | None = None


class SystemOut(_ServerModel):
    """A server notice to a room (or to everyone); clients cannot send this type."""

    model_config = examples.config(*examples.SYSTEM_OUT)

    type: Literal["system"] = "system"
    room: str | None = None
    event: domain.SystemEventKind
    text: str
    data: dict[str, Any] = Field(default_factory=dict)
    ts: Timestamp


class PresenceOut(_ServerModel):
    """A member's presence in a room changed (online, away, offline)."""

    model_config = examples.config(*examples.PRESENCE_OUT)

    type: Literal["presence"] = "presence"
    room: str
    name: str
    status: domain.PresenceStatus
    last_seen: Timestamp


class TypingOut(_ServerModel):
    """Someone in the room is typing; the indicator expires after `ttl_ms` unless refreshed."""

    model_config = examples.config(*examples.TYPING_OUT)

    type: Literal["typing"] = "typing"
    room: str
    name: str
    ttl_ms: int


class HistoryOut(_ServerModel):
    """Reply to history: a page of messages, oldest first."""

    model_config = examples.config(*examples.HISTORY_OUT)

    type: Literal["history"] = "history"
    room: str
    messages: list[MessageOut]
    has_more: bool
    ref: Ref | None = None


class KickedOut(_ServerModel):
    """You were kicked from the room by its owner (a `left` follows)."""

    model_config = examples.config(*examples.KICKED_OUT)

    type: Literal["kicked"] = "kicked"
    room: str
    by: str
    reason: str | None = None
    retry_after_ms: int | None = None


class BannedOut(_ServerModel):
    """You were banned from the room until it is deleted (a `left` follows)."""

    model_config = examples.config(*examples.BANNED_OUT)

    type: Literal["banned"] = "banned"
    room: str
    by: str
    reason: str | None = None


class UploadUrlOut(_ServerModel):
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


class ErrorDetail(BaseModel):
    """One validation problem: where in the event, and what."""

    path: str
    message: str


class ErrorOut(_ServerModel):
    """A denial: nothing changed; the connection stays open unless a close follows."""

    model_config = examples.config(*examples.ERROR_OUT)

    type: Literal["error"] = "error"
    code: ErrorCode
    reason: str
    ref: Ref | None = None
    room: str | None = None
    retry_after_ms: int | None = None
    details: list[ErrorDetail] | None = None


class PongOut(_ServerModel):
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
}


def to_model(event: domain.ServerEvent) -> BaseModel:
    return MODEL_FOR[type(event)].model_validate(event, from_attributes=True)


def encode(event: domain.ServerEvent, ref: str | None = None) -> str:
    """One JSON text frame for `event`; absent optional fields are left out."""
    model = to_model(event)
    if ref is not None and "ref" in type(model).model_fields:
        model = model.model_copy(update={"ref": ref})
    return model.model_dump_json(exclude_none=True)
