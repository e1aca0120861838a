"""REST: rooms, busiest first, and one room's stats."""

from __future__ import annotations

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from app.domain.errors import ChatError, ErrorCode
from app.web.deps import ContainerDep
from app.web.errors import ErrorBody
from app.web.wire import Timestamp

router = APIRouter(prefix="/api/rooms", tags=["rooms"])


class RoomItem(BaseModel):
    name: str = Field(examples=["lobby"])
    members: int = Field(examples=[12])
    created_at: Timestamp
    last_message_at: Timestamp | None


class RoomList(BaseModel):
    rooms: list[RoomItem]
    total: int = Field(description="How many rooms exist (before limit/offset).")


class RoomStatsOut(BaseModel):
    name: str = Field(examples=["lobby"])
    members: int
    capacity: int
    owner: str | None
    created_at: Timestamp
    messages_total: int = Field(description="Messages sent since the room was created.")
    last_message_at: Timestamp | None
    history_size: int = Field(description="Messages kept for new joiners (at most 50).")
    typing: int = Field(description="Members typing right now.")


@router.get("", operation_id="listRooms", summary="List rooms, busiest first")
async def list_rooms(
    container: ContainerDep,
    limit: int = Query(50, ge=1, le=200, description="Page size."),
    offset: int = Query(0, ge=0, description="Rooms to skip."),
) -> RoomList:
    """Every room that exists now (rooms vanish when their last member leaves), ordered by
    member count, then most recent message."""
    rooms, total = await container.queries.list_rooms(limit=limit, offset=offset)
    return RoomList(
        rooms=[RoomItem.model_validate(r, from_attributes=True) for r in rooms], total=total
    )


@router.get(
    "/{name}",
    operation_id="getRoom",
    summary="One room's stats",
    responses={
        404: {"model": ErrorBody, "description": "No such room."},
        422: {"model": ErrorBody, "description": "Not a valid room name."},
    },
)
async def get_room(name: str, container: ContainerDep) -> RoomStatsOut:
    """Members, owner, message counts and activity of one room."""
    stats = await container.queries.room_stats(name)
    if stats is None:
        raise ChatError(ErrorCode.ROOM_NOT_FOUND, f"no room named {name!r} exists")
    return RoomStatsOut.model_validate(stats, from_attributes=True)
