"""System notices: every `system` event the server says, with its text, in one place.

A notice's `text` always starts with `SYSTEM_PREFIX` (docs/protocol.md, `system`), so a client
that shows only text still cannot mistake it for a member's message; `data` carries the same
facts for clients that render their own wording.
"""

from __future__ import annotations

from app.domain.events import SystemEventKind, SystemNotice
from app.domain.timefmt import rfc3339

SYSTEM_PREFIX = "[system] "


def _notice(
    kind: SystemEventKind, text: str, now: float, room: str | None, **data: object
) -> SystemNotice:
    return SystemNotice(event=kind, text=SYSTEM_PREFIX + text, ts=now, room=room, data=data)


def room_created(room: str, owner: str, now: float) -> SystemNotice:
    return _notice(
        SystemEventKind.ROOM_CREATED, f"{owner} created the room", now, room, owner=owner
    )


def member_joined(room: str, name: str, now: float) -> SystemNotice:
    return _notice(SystemEventKind.MEMBER_JOINED, f"{name} joined", now, room, name=name)


def member_left(room: str, name: str, now: float) -> SystemNotice:
    return _notice(
        SystemEventKind.MEMBER_LEFT, f"{name} left", now, room, name=name, last_seen=rfc3339(now)
    )


def owner_changed(room: str, owner: str, previous: str, now: float) -> SystemNotice:
    return _notice(
        SystemEventKind.OWNER_CHANGED,
        f"{owner} now owns the room",
        now,
        room,
        owner=owner,
        previous=previous,
    )


def member_evicted(room: str, name: str, by: str, now: float, *, ban: bool) -> SystemNotice:
    kind = SystemEventKind.MEMBER_BANNED if ban else SystemEventKind.MEMBER_KICKED
    verb = "banned" if ban else "kicked"
    return _notice(kind, f"{name} was {verb} by {by}", now, room, name=name, by=by)


def privacy_changed(room: str, private: bool, by: str, now: float) -> SystemNotice:
    text = (
        f"{by} made the room private: joining needs an invite"
        if private
        else f"{by} made the room public"
    )
    return _notice(SystemEventKind.PRIVATE, text, now, room, private=private, by=by)


def server_shutdown(now: float, reconnect_after_ms: int) -> SystemNotice:
    return _notice(
        SystemEventKind.SERVER_SHUTDOWN,
        "the server is restarting; reconnect shortly",
        now,
        None,
        reconnect_after_ms=reconnect_after_ms,
    )
