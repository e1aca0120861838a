"""The room rules' refusals, built in one place.

The in-memory Room raises them directly; the Redis adapter gets a code back from its Lua
scripts and raises the same error through these functions, so the code, the reason and the
retry_after_ms a client sees do not depend on the adapter.
"""

from __future__ import annotations

from app.domain.codes import ErrorCode
from app.domain.errors import ChatError


def name_taken(room: str, name: str) -> ChatError:
    return ChatError(
        ErrorCode.NAME_TAKEN, f"the name {name!r} is already used in this room", room=room
    )


def banned(room: str) -> ChatError:
    return ChatError(ErrorCode.BANNED, "you are banned from this room", room=room)


def kicked(room: str, retry_after_ms: int) -> ChatError:
    return ChatError(
        ErrorCode.KICKED,
        "you were kicked from this room and may not rejoin yet",
        room=room,
        retry_after_ms=retry_after_ms,
    )


def room_full(room: str, capacity: int) -> ChatError:
    return ChatError(ErrorCode.ROOM_FULL, f"the room is full ({capacity} members)", room=room)


def not_owner(room: str) -> ChatError:
    return ChatError(ErrorCode.NOT_OWNER, "only the room's owner may do that", room=room)


def cannot_target_self(room: str) -> ChatError:
    return ChatError(ErrorCode.CANNOT_TARGET_SELF, "you cannot do that to yourself", room=room)


def member_not_found(room: str) -> ChatError:
    return ChatError(ErrorCode.MEMBER_NOT_FOUND, "nobody by that name is in this room", room=room)


def not_in_room(room: str) -> ChatError:
    return ChatError(ErrorCode.NOT_IN_ROOM, "you are not in this room", room=room)
