"""What the chat core says: broadcasts to a room and direct replies to one connection.

Plain frozen dataclasses, named after the wire events they become. The web edge turns each
into its pydantic wire model (app/web/wire/) and encodes it once per broadcast.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from app.domain.codes import ErrorCode
from app.domain.history import Message


class SystemEventKind(StrEnum):
    ROOM_CREATED = "room_created"
    MEMBER_JOINED = "member_joined"
    MEMBER_LEFT = "member_left"
    OWNER_CHANGED = "owner_changed"
    MEMBER_KICKED = "member_kicked"
    MEMBER_BANNED = "member_banned"
    # In the protocol's list, so clients accept it; this server never sends it (a room is
    # deleted when its last member has left, so nobody is there to be told).
    ROOM_CLOSED = "room_closed"
    SERVER_SHUTDOWN = "server_shutdown"
    # The owner made the room private (invites needed) or public again (`set_private`).
    PRIVATE = "private"


class PresenceStatus(StrEnum):
    ONLINE = "online"
    AWAY = "away"
    OFFLINE = "offline"


class LeaveReason(StrEnum):
    LEFT = "left"
    KICKED = "kicked"
    BANNED = "banned"
    SHUTDOWN = "shutdown"


@dataclass(frozen=True, slots=True)
class SystemNotice:
    event: SystemEventKind
    text: str
    ts: float
    room: str | None = None
    data: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Presence:
    room: str
    name: str
    status: PresenceStatus
    last_seen: float


@dataclass(frozen=True, slots=True)
class Typing:
    room: str
    name: str
    ttl_ms: int


@dataclass(frozen=True, slots=True)
class MemberView:
    name: str
    owner: bool
    joined_at: float
    last_active_at: float


@dataclass(frozen=True, slots=True)
class YouView:
    name: str
    owner: bool


@dataclass(frozen=True, slots=True)
class RecentView:
    name: str
    last_seen: float


@dataclass(frozen=True, slots=True)
class Limits:
    max_message_chars: int
    history_size: int
    max_room_members: int
    max_rooms_per_connection: int
    max_frame_bytes: int
    typing_ttl_ms: int
    max_attachment_bytes: int = 0
    """0 when this server takes no attachments."""


@dataclass(frozen=True, slots=True)
class Welcome:
    connection_id: str
    name: str
    limits: Limits
    server_time: float
    authenticated: bool = False
    """True when `hello` carried a token this server verified."""


@dataclass(frozen=True, slots=True)
class Joined:
    room: str
    epoch: str
    seq: int
    owner: str
    you: YouView
    members: list[MemberView]
    recent: list[RecentView]
    history: list[Message]
    recovered: bool
    private: bool = False
    """True when joining needs an invite (docs/protocol.md, `join`)."""
    rejoin: str | None = None
    """A private room's personal rejoin pass (app/domain/passes.py); None in a public room."""


@dataclass(frozen=True, slots=True)
class Left:
    room: str
    reason: LeaveReason


@dataclass(frozen=True, slots=True)
class HistoryPage:
    room: str
    messages: list[Message]
    has_more: bool


@dataclass(frozen=True, slots=True)
class Kicked:
    room: str
    by: str
    reason: str | None = None
    retry_after_ms: int | None = None


@dataclass(frozen=True, slots=True)
class Banned:
    room: str
    by: str
    reason: str | None = None


@dataclass(frozen=True, slots=True)
class Pong:
    server_time: float


@dataclass(frozen=True, slots=True)
class Error:
    code: ErrorCode
    reason: str
    room: str | None = None
    retry_after_ms: int | None = None
    details: list[dict[str, str]] | None = None


@dataclass(frozen=True, slots=True)
class UploadUrl:
    """Reply to `attach`: where to PUT the file, until when."""

    room: str
    id: str
    url: str
    method: str
    expires_at: float
    name: str
    size: int
    content_type: str


@dataclass(frozen=True, slots=True)
class Invitation:
    """Reply to `invite` (the owner only): a token for `join{invite}` and the link path."""

    room: str
    token: str
    expires_at: float
    uses: int
    url_path: str


@dataclass(frozen=True, slots=True)
class Eviction:
    """A member was removed by the owner: their node tells them and forgets the room."""

    room: str
    conn_id: str
    notice: Kicked | Banned
    reason: LeaveReason


RoomEvent = Message | SystemNotice | Presence | Typing | Eviction
"""Events published to a room (an Eviction reaches only its target)."""

ServerEvent = (
    RoomEvent
    | Welcome
    | Joined
    | Left
    | HistoryPage
    | Kicked
    | Banned
    | Pong
    | Error
    | UploadUrl
    | Invitation
)
"""Everything a connection can be sent."""


@dataclass(frozen=True, slots=True)
class Envelope:
    """A room event on its way through the Broker to every node's Hub.

    `exclude_conn` is left out of the fan-out (typing reaches the others only);
    `reply_conn`/`reply_ref` mark the sender, whose copy carries its `ref`.
    """

    room: str
    event: RoomEvent
    exclude_conn: str | None = None
    reply_conn: str | None = None
    reply_ref: str | None = None
    accepted_at: float = 0.0
