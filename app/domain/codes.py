"""The protocol's error codes and close codes: one table each, and everything that belongs to a
code lives in its row (docs/protocol.md sections 6 and 9 are generated from these tables, and a
test fails when they disagree).

An error code says what its `error` event means, which HTTP status carries it when it refuses a
REST request or a WebSocket handshake, whether it counts against the sender's abuse budget (a
denial the client caused does; one about the server does not), and which close code follows it
when it ends the connection. A close code says what its default reason is, when the server
sends it, and what a good client does next.

Adding a code is one row here, plus its row in docs/protocol.md (the test prints it) and a test
of the behaviour.

Longer than ~300 lines on purpose: the two tables are the point of the module (one row per code,
everything about the code in that row); splitting them would bring back the scattering this
module exists to end.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum, StrEnum
from typing import Self


@dataclass(frozen=True, slots=True)
class CloseInfo:
    reason: str
    """The default close reason (kept under 123 UTF-8 bytes)."""
    when: str
    advice: str
    """What a good client does next."""
    reconnect: bool
    """Whether reconnecting (after the advised wait) is the right reaction."""


class CloseCode(IntEnum):
    """Every close code the server itself sends."""

    info: CloseInfo

    def __new__(cls, code: int, info: CloseInfo) -> Self:
        member = int.__new__(cls, code)
        member._value_ = code
        member.info = info
        return member

    NORMAL = 1000, CloseInfo("bye", "client-initiated normal close", "-", reconnect=False)
    GOING_AWAY = (
        1001,
        CloseInfo(
            "server shutting down",
            'graceful shutdown, after `system{event:"server_shutdown", data{reconnect_after_ms}}`',
            "reconnect after the jittered delay, re-join with `since`",
            reconnect=True,
        ),
    )
    POLICY = (
        1008,
        CloseInfo(
            "policy violation",
            "policy: `hello` deadline missed, abuse budget exhausted (repeated denials), "
            '`error{code:"auth_failed"}`',
            "do not retry at once",
            reconnect=False,
        ),
    )
    TOO_BIG = (
        1009,
        CloseInfo(
            "frame too large",
            "frame larger than `max_frame_bytes`",
            "fix the client",
            reconnect=False,
        ),
    )
    INTERNAL = (
        1011,
        CloseInfo(
            "internal error",
            "internal error, or the peer stopped answering pings",
            "reconnect with backoff",
            reconnect=True,
        ),
    )
    TRY_AGAIN_LATER = (
        1013,
        CloseInfo(
            "server full, try again later",
            'server full when the connection arrived, after `error{code:"server_full"}` '
            "(a draining server refuses the handshake with HTTP 503 instead)",
            "retry later with backoff",
            reconnect=True,
        ),
    )
    IDLE = (
        4000,
        CloseInfo(
            "idle timeout",
            'idle for the idle timeout (600 s), after `error{code:"idle_timeout"}`',
            "reconnect only on user action",
            reconnect=False,
        ),
    )
    SLOW_CONSUMER = (
        4008,
        CloseInfo(
            "slow consumer: outbound queue overflowed",
            "slow consumer: its outbound queue overflowed",
            "reconnect, re-join with `since`",
            reconnect=True,
        ),
    )
    RESYNC = (
        4009,
        CloseInfo(
            "resync: reconnect and re-join with since and epoch",
            "several nodes on Redis: this node missed room messages it could not repair from "
            "history, or lost your memberships (it was presumed dead, or Redis lost its data)",
            "reconnect at once (a little jitter), re-join every room with `since` and `epoch`",
            reconnect=True,
        ),
    )


@dataclass(frozen=True, slots=True)
class ErrorInfo:
    description: str
    http_status: int = 400
    """The status when this code refuses a REST request or a WebSocket handshake."""
    counts_as_abuse: bool = True
    """False for denials that say something about the server, not the client."""
    closes_with: CloseCode | None = None
    """The close that follows the `error` event, when the denial ends the connection."""


class ErrorCode(StrEnum):
    """Every `error.code` of docs/protocol.md, in its order."""

    info: ErrorInfo

    def __new__(cls, code: str, info: ErrorInfo) -> Self:
        member = str.__new__(cls, code)
        member._value_ = code
        member.info = info
        return member

    INVALID_JSON = "invalid_json", ErrorInfo("The frame is not valid JSON.")
    INVALID_EVENT = (
        "invalid_event",
        ErrorInfo("The event does not match the protocol (`details` has the paths)."),
    )
    UNSUPPORTED_FRAME = (
        "unsupported_frame",
        ErrorInfo("A binary frame; only text frames are accepted."),
    )
    HELLO_REQUIRED = "hello_required", ErrorInfo("The first event must be `hello`.")
    NAME_INVALID = (
        "name_invalid",
        ErrorInfo(
            "The name breaks the name rules (2-24 characters, allowed set); the reason names the "
            "offending code point as `U+XXXX`."
        ),
    )
    NAME_RESERVED = (
        "name_reserved",
        ErrorInfo(
            "The name (or a look-alike of it) is reserved: `system`, `admin`, `owner`, `server`, "
            "`parrot`, `parrotchat`, `moderator`, `root`."
        ),
    )
    NAME_TAKEN = (
        "name_taken",
        ErrorInfo("Someone in the room already uses this name (or a look-alike)."),
    )
    RENAME_IN_ROOM = "rename_in_room", ErrorInfo("`hello` again is allowed only while in no room.")
    AUTH_FAILED = (
        "auth_failed",
        ErrorInfo(
            "The `token` was refused (or the server requires one), or it expired during the "
            "session; a 1008 close follows.",
            http_status=401,
            closes_with=CloseCode.POLICY,
        ),
    )
    ROOM_INVALID = (
        "room_invalid",
        ErrorInfo("The room name does not fullmatch `^[a-z0-9-]{3,30}$`.", http_status=422),
    )
    ROOM_RESERVED = "room_reserved", ErrorInfo("The room name is reserved.", http_status=422)
    ROOM_FULL = (
        "room_full",
        ErrorInfo("The room has reached its member limit (`max_room_members`, 100 by default)."),
    )
    ROOM_NOT_FOUND = (
        "room_not_found",
        ErrorInfo("No such room (REST `GET /api/rooms/{name}`, HTTP 404).", http_status=404),
    )
    ALREADY_IN_ROOM = "already_in_room", ErrorInfo("This connection is already in the room.")
    NOT_IN_ROOM = "not_in_room", ErrorInfo("This connection is not in the room.")
    TOO_MANY_ROOMS = (
        "too_many_rooms",
        ErrorInfo(
            "This connection is in as many rooms as it may be (`max_rooms_per_connection`, 10 by "
            "default)."
        ),
    )
    KICKED = (
        "kicked",
        ErrorInfo("Kicked from this room; `retry_after_ms` says when a rejoin is allowed."),
    )
    BANNED = "banned", ErrorInfo("Banned from this room until it is deleted.")
    MESSAGE_EMPTY = "message_empty", ErrorInfo("Nothing left of the text after trimming.")
    MESSAGE_TOO_LONG = (
        "message_too_long",
        ErrorInfo("The text is longer than `max_message_chars` code points."),
    )
    MESSAGE_BLOCKED = (
        "message_blocked",
        ErrorInfo(
            "The text contains a deny-listed term; nothing was sent (the term is not echoed)."
        ),
    )
    RATE_LIMITED = "rate_limited", ErrorInfo("Too many events; retry after `retry_after_ms`.")
    NOT_OWNER = (
        "not_owner",
        ErrorInfo("Only the room's owner may kick, ban, `invite` or `set_private`."),
    )
    MEMBER_NOT_FOUND = "member_not_found", ErrorInfo("No member of that name in the room.")
    CANNOT_TARGET_SELF = "cannot_target_self", ErrorInfo("The owner cannot kick or ban themself.")
    SERVER_FULL = (
        "server_full",
        ErrorInfo(
            "The server has no room for another connection; a 1013 close follows.",
            counts_as_abuse=False,
            closes_with=CloseCode.TRY_AGAIN_LATER,
        ),
    )
    SERVER_SHUTTING_DOWN = (
        "server_shutting_down",
        ErrorInfo(
            "The server is draining; reconnect later (a handshake gets HTTP 503 with this code).",
            http_status=503,
            counts_as_abuse=False,
        ),
    )
    INTERNAL_ERROR = (
        "internal_error",
        ErrorInfo(
            "A bug on the server; the event had no effect.", http_status=500, counts_as_abuse=False
        ),
    )
    IDLE_TIMEOUT = (
        "idle_timeout",
        ErrorInfo(
            "No client event for the idle timeout; a 4000 close follows.",
            counts_as_abuse=False,
            closes_with=CloseCode.IDLE,
        ),
    )
    # Extensions beyond the first version of the protocol (additive):
    ORIGIN_FORBIDDEN = (
        "origin_forbidden",
        ErrorInfo("HTTP 403 body only: the handshake's `Origin` is not allowed.", http_status=403),
    )
    ATTACHMENTS_DISABLED = (
        "attachments_disabled",
        ErrorInfo(
            "This server takes no attachments (`max_attachment_bytes` is 0).",
            http_status=404,
            counts_as_abuse=False,
        ),
    )
    ATTACHMENT_INVALID = (
        "attachment_invalid",
        ErrorInfo(
            "The attachment's name or size is unusable, its upload does not match what `attach` "
            "declared, or it is not uploaded yet or already sent."
        ),
    )
    ATTACHMENT_TOO_LARGE = (
        "attachment_too_large",
        ErrorInfo(
            "The file is larger than `max_attachment_bytes`, or the room's attachments would "
            "exceed the room's quota.",
            http_status=413,
        ),
    )
    ATTACHMENT_TYPE_NOT_ALLOWED = (
        "attachment_type_not_allowed",
        ErrorInfo(
            "The content type is not on the allow-list (PNG, JPEG, GIF, WebP, PDF, plain text), "
            "or the file's content is not of the type declared.",
            http_status=415,
        ),
    )
    ATTACHMENT_NOT_FOUND = (
        "attachment_not_found",
        ErrorInfo(
            "No such attachment in this room (never reserved, by another connection, or deleted "
            "with its room).",
            http_status=404,
        ),
    )
    URL_EXPIRED = (
        "url_expired",
        ErrorInfo(
            "HTTP 403 body only: the signed upload or download URL has expired; ask for a new one.",
            http_status=403,
        ),
    )
    URL_INVALID = (
        "url_invalid",
        ErrorInfo(
            "HTTP 403 body only: the URL's signature does not match (altered, or for another "
            "method or attachment).",
            http_status=403,
        ),
    )
    INVITE_REQUIRED = (
        "invite_required",
        ErrorInfo("The room is private and the `join` carried no `invite`."),
    )
    INVITE_INVALID = (
        "invite_invalid",
        ErrorInfo(
            "The invite (or rejoin pass) is malformed, its signature does not match, or it is "
            "for another room or an earlier room of that name (another epoch); a rejoin pass "
            "also when it was issued to another name or signed-in user."
        ),
    )
    INVITE_EXPIRED = (
        "invite_expired",
        ErrorInfo("The invite is past its `expires_at` (a rejoin pass: past its expiry)."),
    )
    INVITE_USED = "invite_used", ErrorInfo("Every use of the invite is spent.")
    SERVICE_UNAVAILABLE = (
        "service_unavailable",
        ErrorInfo(
            "The shared store (Redis) cannot be reached; the event may not have taken effect "
            "(a `send` was not accepted unless its `message` arrives). Retry later.",
            http_status=503,
            counts_as_abuse=False,
        ),
    )


# Close codes the server does not choose but its connections still end with: the WebSocket
# library's (1002 a protocol violation, 1007 invalid UTF-8, 1011 a missed pong) and the ones that
# never travel in a close frame (1005 none given, 1006 no close frame at all).
LIBRARY_CLOSE_CODES = frozenset({1002, 1005, 1006, 1007, 1011})
KNOWN_CLOSE_CODES = frozenset(int(code) for code in CloseCode) | LIBRARY_CLOSE_CODES
"""Every close code docs/operations.md documents; metrics count any other as `other`."""

MAX_CLOSE_REASON_BYTES = 123


def close_reason(code: CloseCode, reason: str | None = None) -> str:
    """A valid close reason: the given text or the code's default, cut to 123 UTF-8 bytes."""
    text = reason if reason is not None else code.info.reason
    data = text.encode("utf-8")
    if len(data) <= MAX_CLOSE_REASON_BYTES:
        return text
    return data[:MAX_CLOSE_REASON_BYTES].decode("utf-8", errors="ignore")
