"""Example payloads of every event, shown in the AsyncAPI document (each is validated by its
own model in tests/protocol/test_asyncapi.py).

Longer than ~300 lines: it is data only (one list per event, no logic), and one file keeps every
example of the protocol in one place."""

from __future__ import annotations

from typing import Any

from pydantic import ConfigDict

Example = dict[str, Any]

TS = "2026-11-29T07:02:46.878Z"
TS_EARLIER = "2026-11-29T06:58:10.204Z"
MESSAGE: Example = {
    "type": "message",
    "room": "lobby",
    "seq": 42,
    "id": "9c1f0b7e4d2a4c7f8e3b5a6d1c0e9f2a",
    "author": "Alice",
    "text": "hi *Bob*",
    "html": "hi <strong>Bob</strong>",
    "ts": TS,
}


UPLOAD_ID = "7d0c5e2b9a8f4e6d8c1b2a3f4e5d6c7b"
SIG = "Yb2v9VwP1r3kH0Zq8n7M5c4x6L2j1T0sR9e8W7a6B5d"
ATTACHMENT: Example = {
    "id": UPLOAD_ID,
    "url": f"/api/uploads/{UPLOAD_ID}?room=lobby&exp=1795927366&sig={SIG}",
    "name": "plan.png",
    "size": 48213,
    "content_type": "image/png",
}


INVITE_TOKEN = (
    "eyJyIjoiaGlkZW91dCIsImUiOiI1ZjJhOWMwMWJlN2QiLCJpIjoiVGJ3TWtRN3FYbTJkUjlzQyIsIngiOjE3OTU5"
    "MjY5NjYsInUiOjF9.Qm9yM0x0V2Y1cTk2Z2h0Wm1ZV2pRcHQ3UnZhS2cxNGRKdVJ6"
)

# A rejoin pass (app/domain/passes.py) for Alice (sub "alice") in hideout's epoch 5f2a9c01be7d.
REJOIN_PASS = (
    "eyJyIjoiaGlkZW91dCIsImUiOiI1ZjJhOWMwMWJlN2QiLCJrIjoiMEh3S2VTRVZ1Q19nSGEya2tiQzJ4dyIsInMiOiJL"
    "OWdHeVg4T0FLOGFIOE15ajZkanFRIiwieCI6MTc5NTkyNjk2Nn0.XYH32X8CwjDaHNqXvG1XBcRzdSVTr5VdqSnHnkGHIHA"
)


def config(*examples: Example) -> ConfigDict:
    """A model_config that shows `examples` in the JSON Schema."""
    return ConfigDict(json_schema_extra={"examples": list(examples)})


HELLO: list[Example] = [
    {"type": "hello", "name": "Alice", "ref": "r1"},
    {
        "type": "hello",
        "name": "Alice",
        "token": "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9.x",
        "ref": "r1",
    },
]

JOIN: list[Example] = [
    {"type": "join", "room": "lobby", "ref": "r2"},
    {"type": "join", "room": "lobby", "since": 41, "epoch": "5f2a9c01be7d", "ref": "r3"},
    {"type": "join", "room": "hideout", "private": True, "ref": "r12"},
    {"type": "join", "room": "hideout", "invite": INVITE_TOKEN, "ref": "r14"},
    {
        "type": "join",
        "room": "hideout",
        "since": 7,
        "epoch": "5f2a9c01be7d",
        "invite": REJOIN_PASS,
        "ref": "r15",
    },
]

INVITE_IN: list[Example] = [
    {"type": "invite", "room": "hideout", "ref": "r13"},
    {"type": "invite", "room": "hideout", "ttl_s": 86400, "uses": 5, "ref": "r13"},
]

SET_PRIVATE: list[Example] = [
    {"type": "set_private", "room": "hideout", "private": True, "ref": "r15"},
]

LEAVE: list[Example] = [
    {"type": "leave", "room": "lobby", "ref": "r4"},
]

SEND: list[Example] = [
    {"type": "send", "room": "lobby", "text": "hi *Bob*", "ref": "r5"},
    {
        "type": "send",
        "room": "lobby",
        "text": "the plan :thumbsup:",
        "attachment": UPLOAD_ID,
        "ref": "r11",
    },
]

ATTACH: list[Example] = [
    {
        "type": "attach",
        "room": "lobby",
        "name": "plan.png",
        "size": 48213,
        "content_type": "image/png",
        "ref": "r10",
    },
]

TYPING_IN: list[Example] = [
    {"type": "typing", "room": "lobby"},
]

HISTORY_IN: list[Example] = [
    {"type": "history", "room": "lobby", "before": 3, "limit": 20, "ref": "r6"},
]

KICK: list[Example] = [
    {"type": "kick", "room": "lobby", "name": "Mallory", "reason": "spam", "ref": "r7"},
]

BAN: list[Example] = [
    {"type": "ban", "room": "lobby", "name": "Mallory", "reason": "spam", "ref": "r8"},
]

PING: list[Example] = [
    {"type": "ping", "ref": "r9"},
]

WELCOME_OUT: list[Example] = [
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
            "max_attachment_bytes": 5242880,
        },
        "server_time": TS,
        "authenticated": False,
        "ref": "r1",
    },
]

MESSAGE_OUT: list[Example] = [
    {**MESSAGE, "ref": "r5"},
    MESSAGE,
    {
        **MESSAGE,
        "seq": 43,
        "id": "0b4f2c6e8a1d4f3b9e7c5a2d1f0e8b6c",
        "text": "the plan 👍",
        "html": "the plan 👍",
        "attachment": ATTACHMENT,
    },
]

JOINED_OUT: list[Example] = [
    {
        "type": "joined",
        "room": "lobby",
        "epoch": "5f2a9c01be7d",
        "seq": 42,
        "owner": "Bob",
        "you": {"name": "Alice", "owner": False},
        "members": [
            {"name": "Bob", "owner": True, "joined_at": TS_EARLIER, "last_active_at": TS},
            {"name": "Alice", "owner": False, "joined_at": TS, "last_active_at": TS},
        ],
        "recent": [{"name": "Carol", "last_seen": TS_EARLIER}],
        "history": [MESSAGE],
        "recovered": False,
        "private": False,
        "ref": "r2",
    },
    {
        "type": "joined",
        "room": "hideout",
        "epoch": "5f2a9c01be7d",
        "seq": 9,
        "owner": "Bob",
        "you": {"name": "Alice", "owner": False},
        "members": [
            {"name": "Bob", "owner": True, "joined_at": TS_EARLIER, "last_active_at": TS},
            {"name": "Alice", "owner": False, "joined_at": TS, "last_active_at": TS},
        ],
        "recent": [],
        "history": [],
        "recovered": True,
        "private": True,
        "rejoin": REJOIN_PASS,
        "ref": "r15",
    },
]

INVITE_OUT: list[Example] = [
    {
        "type": "invite",
        "room": "hideout",
        "token": INVITE_TOKEN,
        "expires_at": "2026-11-29T08:02:46.000Z",
        "uses": 1,
        "url_path": f"/?room=hideout&invite={INVITE_TOKEN}",
        "ref": "r13",
    },
]

LEFT_OUT: list[Example] = [
    {"type": "left", "room": "lobby", "reason": "left", "ref": "r4"},
]

SYSTEM_OUT: list[Example] = [
    {
        "type": "system",
        "room": "lobby",
        "event": "member_joined",
        "text": "[system] Alice joined",
        "data": {"name": "Alice"},
        "ts": TS,
    },
    {
        "type": "system",
        "event": "server_shutdown",
        "text": "[system] the server is restarting",
        "data": {"reconnect_after_ms": 2500},
        "ts": TS,
    },
    {
        "type": "system",
        "room": "hideout",
        "event": "private",
        "text": "[system] Bob made the room private: joining needs an invite",
        "data": {"private": True, "by": "Bob"},
        "ts": TS,
    },
]

PRESENCE_OUT: list[Example] = [
    {"type": "presence", "room": "lobby", "name": "Alice", "status": "online", "last_seen": TS},
]

TYPING_OUT: list[Example] = [
    {"type": "typing", "room": "lobby", "name": "Bob", "ttl_ms": 5000},
]

HISTORY_OUT: list[Example] = [
    {
        "type": "history",
        "room": "lobby",
        "messages": [MESSAGE],
        "has_more": True,
        "ref": "r6",
    },
]

KICKED_OUT: list[Example] = [
    {
        "type": "kicked",
        "room": "lobby",
        "by": "Bob",
        "reason": "spam",
        "retry_after_ms": 3600000,
    },
]

BANNED_OUT: list[Example] = [
    {"type": "banned", "room": "lobby", "by": "Bob", "reason": "spam"},
]

ERROR_OUT: list[Example] = [
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
        "details": [{"path": "send.room", "message": "Field required"}],
    },
]

UPLOAD_URL_OUT: list[Example] = [
    {
        "type": "upload_url",
        "room": "lobby",
        "id": UPLOAD_ID,
        "url": f"/api/uploads/{UPLOAD_ID}?room=lobby&exp=1795923966&sig={SIG}",
        "method": "PUT",
        "expires_at": "2026-11-29T07:07:46.000Z",
        "name": "plan.png",
        "size": 48213,
        "content_type": "image/png",
        "ref": "r10",
    },
]

PONG_OUT: list[Example] = [
    {"type": "pong", "server_time": TS, "ref": "r9"},
]
