"""REST: process-wide figures for operators (and for leak checks)."""

from __future__ import annotations

import asyncio

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from app.web.deps import ContainerDep

router = APIRouter(prefix="/api", tags=["stats"])


class ServerStats(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "connections": 120,
                    "sessions": 118,
                    "rooms": 9,
                    "tasks": 245,
                    "draining": False,
                    "node": "web-1-3fa2c9",
                }
            ]
        }
    )

    connections: int = Field(description="Open WebSocket connections on this process.")
    sessions: int = Field(description="Chat sessions on this process (one per connection).")
    rooms: int = Field(description="Rooms that exist.")
    tasks: int = Field(description="asyncio tasks alive in this process.")
    draining: bool = Field(description="True once a graceful shutdown has begun.")
    node: str = Field(description="This process's node id (PARROT_NODE_ID).")


@router.get("/stats", operation_id="getStats", summary="Server figures")
async def stats(container: ContainerDep) -> ServerStats:
    """Connections, sessions and asyncio tasks of this process right now, and the rooms
    that exist (on every node)."""
    return ServerStats(
        connections=len(container.connections),
        sessions=len(container.chat.sessions),
        rooms=await container.rooms.count(),
        tasks=len(asyncio.all_tasks()),
        draining=container.connections.draining,
        node=container.node.id,
    )
