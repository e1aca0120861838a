"""Server → client events about a room: its messages, its members and what happens to them."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from app.domain import events as domain
from app.web.wire import examples
from app.web.wire.fields import Ref, Timestamp
from app.web.wire.server_model import ServerModel


class AttachmentOut(ServerModel):
    """A file a message carries. `url` is signed and expires (`PARROT_DOWNLOAD_URL_TTL_S`);
    each time the message is sent again (`joined`, `history`) it comes with a fresh one."""

    id: str
    url: str = Field(description="Relative to the server: `/api/uploads/{id}?room=&exp=&sig=`.")
    name: str
    size: int
    content_type: str


class MessageOut(ServerModel):
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


class MemberOut(ServerModel):
    """A member of the room."""

    name: str
    owner: bool
    joined_at: Timestamp
    last_active_at: Timestamp


class YouOut(ServerModel):
    """Who you are in the room."""

    name: str
    owner: bool


class RecentOut(ServerModel):
    """A member who left in the last 10 minutes."""

    name: str
    last_seen: Timestamp


class JoinedOut(ServerModel):
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
    private: bool = Field(
        default=False, description="True when joining this room needs an invite (always sent)."
    )
    rejoin: str | None = Field(
        default=None,
        max_length=512,
        description="Private rooms only: your personal rejoin pass. Send it as `join.invite` "
        "to come back (after a reconnect, a drain or a resync) under the same name (and "
        "signed-in user) while the room's epoch lasts; never spent. Renewed by every joined.",
    )
    ref: Ref | None = None


class LeftOut(ServerModel):
    """You are no longer in the room."""

    model_config = examples.config(*examples.LEFT_OUT)

    type: Literal["left"] = "left"
    room: str
    reason: domain.LeaveReason
    ref: Ref | None = None


class SystemOut(ServerModel):
    """A server notice to a room (or to everyone); clients cannot send this type."""

    model_config = examples.config(*examples.SYSTEM_OUT)

    type: Literal["system"] = "system"
    room: str | None = None
    event: domain.SystemEventKind
    text: str
    data: dict[str, Any] = Field(default_factory=dict)
    ts: Timestamp


class PresenceOut(ServerModel):
    """A member's presence in a room changed (online, away, offline)."""

    model_config = examples.config(*examples.PRESENCE_OUT)

    type: Literal["presence"] = "presence"
    room: str
    name: str
    status: domain.PresenceStatus
    last_seen: Timestamp


class TypingOut(ServerModel):
    """Someone in the room is typing; the indicator expires after `ttl_ms` unless refreshed."""

    model_config = examples.config(*examples.TYPING_OUT)

    type: Literal["typing"] = "typing"
    room: str
    name: str
    ttl_ms: int


class HistoryOut(ServerModel):
    """Reply to history: a page of messages, oldest first."""

    model_config = examples.config(*examples.HISTORY_OUT)

    type: Literal["history"] = "history"
    room: str
    messages: list[MessageOut]
    has_more: bool
    ref: Ref | None = None


class KickedOut(ServerModel):
    """You were kicked from the room by its owner (a `left` follows)."""

    model_config = examples.config(*examples.KICKED_OUT)

    type: Literal["kicked"] = "kicked"
    room: str
    by: str
    reason: str | None = None
    retry_after_ms: int | None = None


class BannedOut(ServerModel):
    """You were banned from the room until it is deleted (a `left` follows)."""

    model_config = examples.config(*examples.BANNED_OUT)

    type: Literal["banned"] = "banned"
    room: str
    by: str
    reason: str | None = None
