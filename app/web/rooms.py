"""REST: rooms, busiest first, and one room's stats."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header, Path, Query
from pydantic import BaseModel, ConfigDict, Field

from app.domain.codes import ErrorCode
from app.domain.errors import ChatError
from app.domain.policies.names import RESERVED_ROOM_NAMES, ROOM_NAME_PATTERN
from app.web.deps import ContainerDep
from app.web.errors import ErrorBody
from app.web.wire import Timestamp

router = APIRouter(prefix="/api/rooms", tags=["rooms"])


_CREATED = "2026-11-29T06:58:10.204Z"
_LAST = "2026-11-29T07:02:46.878Z"


class RoomItem(BaseModel):
    """A room in the list."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"name": "lobby", "members": 12, "created_at": _CREATED, "last_message_at": _LAST}
            ]
        }
    )

    name: str = Field(examples=["lobby"])
    members: int = Field(examples=[12])
    created_at: Timestamp
    last_message_at: Timestamp | None = Field(description="null before the first message.")


class RoomList(BaseModel):
    """A page of rooms, busiest first."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "rooms": [
                        {
                            "name": "lobby",
                            "members": 12,
                            "created_at": _CREATED,
                            "last_message_at": _LAST,
                        },
                        {
                            "name": "quiet-corner",
                            "members": 1,
                            "created_at": _LAST,
                            "last_message_at": None,
                        },
                    ],
                    "total": 2,
                }
            ]
        }
    )

    rooms: list[RoomItem]
    total: int = Field(description="How many public rooms exist (before limit/offset).")


class RoomStatsOut(BaseModel):
    """One room's figures."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "name": "lobby",
                    "members": 12,
                    "capacity": 100,
                    "owner": "Bob",
                    "created_at": _CREATED,
                    "messages_total": 42,
                    "last_message_at": _LAST,
                    "history_size": 42,
                    "typing": 1,
                }
            ]
        }
    )

    name: str = Field(examples=["lobby"])
    members: int = Field(description="Members now.")
    capacity: int = Field(description="Most members the room may have.")
    owner: str | None = Field(description="The owner's name (null only while emptying).")
    created_at: Timestamp
    messages_total: int = Field(description="Messages sent since the room was created.")
    last_message_at: Timestamp | None
    history_size: int = Field(description="Messages kept for new joiners (at most 50).")
    typing: int = Field(description="Members typing right now.")


# The room-name rule, documented for clients (and schemathesis); the check itself stays in the
# domain so that a bad name gets ParrotChat's own error body.
RoomName = Annotated[
    str,
    Path(
        description="A room name: 3-30 of a-z, 0-9 and '-', not a reserved name.",
        examples=["lobby"],
        json_schema_extra={
            "pattern": ROOM_NAME_PATTERN,
            "not": {"enum": sorted(RESERVED_ROOM_NAMES)},
        },
    ),
]


@router.get("", operation_id="listRooms", summary="List rooms, busiest first")
async def list_rooms(
    container: ContainerDep,
    limit: int = Query(50, ge=1, le=200, description="Page size."),
    offset: int = Query(0, ge=0, description="Rooms to skip."),
) -> RoomList:
    """Every public room that exists now (rooms vanish when their last member leaves; private
    rooms are never listed nor counted), ordered by member count, then most recent message."""
    rooms, total = await container.queries.list_rooms(limit=limit, offset=offset)
    return RoomList(
        rooms=[RoomItem.model_validate(r, from_attributes=True) for r in rooms], total=total
    )


@router.get(
    "/{name}",
    operation_id="getRoom",
    summary="One room's stats",
    responses={
        404: {
            "model": ErrorBody,
            "description": "No such room (rooms exist only while someone is in them), or a "
            "private room without proof.",
            "content": {
                "application/json": {
                    "example": {"code": "room_not_found", "reason": "no room named 'lobby' exists"}
                }
            },
        },
        422: {
            "model": ErrorBody,
            "description": "Not a valid room name (`room_invalid`) or a reserved one "
            "(`room_reserved`).",
            "content": {
                "application/json": {
                    "example": {"code": "room_reserved", "reason": "room name 'admin' is reserved"}
                }
            },
        },
    },
)
async def get_room(
    name: RoomName,
    container: ContainerDep,
    invite: str | None = Query(
        None,
        description="An invite token of the room: proof that lets a private room be seen.",
    ),
    authorization: str | None = Header(
        None,
        description="`Bearer <jwt>` (when the server authenticates): a private room is seen "
        "by its members.",
    ),
) -> RoomStatsOut:
    """Members, owner, message counts and activity of one room. A private room answers 404,
    exactly as a room that does not exist, unless the request proves an invite or
    membership."""
    scheme, _, credentials = (authorization or "").partition(" ")
    bearer = credentials.strip() if scheme.lower() == "bearer" and credentials.strip() else None
    stats = await container.queries.room_stats(name, invite=invite, bearer=bearer)
    if stats is None:
        raise ChatError(ErrorCode.ROOM_NOT_FOUND, f"no room named {name!r} exists")
    return RoomStatsOut.model_validate(stats, from_attributes=True)
