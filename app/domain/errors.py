"""Domain errors: every denial the chat core can give, by protocol error code.

The tree is flat on purpose: one exception type carries a code, a human reason and the
optional extras the wire `error` event can hold. The web edge maps codes to close codes and
HTTP statuses by table (app/web/errors.py); the domain never decides how a denial is sent.
"""

from __future__ import annotations

from enum import StrEnum


class ErrorCode(StrEnum):
    """Every `error.code` of PROTOCOL.md, in its order."""

    INVALID_JSON = "invalid_json"
    INVALID_EVENT = "invalid_event"
    UNSUPPORTED_FRAME = "unsupported_frame"
    HELLO_REQUIRED = "hello_required"
    NAME_INVALID = "name_invalid"
    NAME_RESERVED = "name_reserved"
    NAME_TAKEN = "name_taken"
    RENAME_IN_ROOM = "rename_in_room"
    AUTH_FAILED = "auth_failed"
    ROOM_INVALID = "room_invalid"
    ROOM_RESERVED = "room_reserved"
    ROOM_FULL = "room_full"
    ROOM_NOT_FOUND = "room_not_found"
    ALREADY_IN_ROOM = "already_in_room"
    NOT_IN_ROOM = "not_in_room"
    TOO_MANY_ROOMS = "too_many_rooms"
    KICKED = "kicked"
    BANNED = "banned"
    MESSAGE_EMPTY = "message_empty"
    MESSAGE_TOO_LONG = "message_too_long"
    MESSAGE_BLOCKED = "message_blocked"
    RATE_LIMITED = "rate_limited"
    NOT_OWNER = "not_owner"
    MEMBER_NOT_FOUND = "member_not_found"
    CANNOT_TARGET_SELF = "cannot_target_self"
    SERVER_FULL = "server_full"
    SERVER_SHUTTING_DOWN = "server_shutting_down"
    INTERNAL_ERROR = "internal_error"
    IDLE_TIMEOUT = "idle_timeout"
    # Extensions beyond PROTOCOL.md v1 (additive):
    ORIGIN_FORBIDDEN = "origin_forbidden"  # HTTP 403 body when a handshake's Origin is refused


class ChatError(Exception):
    """A denial: the request is refused, nothing changed, the connection stays usable."""

    def __init__(
        self,
        code: ErrorCode,
        reason: str,
        *,
        room: str | None = None,
        retry_after_ms: int | None = None,
        details: list[dict[str, str]] | None = None,
    ) -> None:
        super().__init__(f"{code.value}: {reason}")
        self.code = code
        self.reason = reason
        self.room = room
        self.retry_after_ms = retry_after_ms
        self.details = details
