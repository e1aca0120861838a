"""The reference for the side-by-side benchmark: the simplest FastAPI/uvicorn fan-out.

What a competent engineer writes as "a FastAPI chat broadcast" before adding anything a
real service needs: one reader loop and one writer task per connection, an unbounded
`asyncio.Queue` between them, each broadcast encoded once and `put_nowait` into every
member's queue. It speaks just enough of ParrotChat's protocol for the same load generator
to drive both servers unchanged: `hello` → `welcome`, `join` → `joined`, `send` → `message`
to the whole room (the sender included) with a per-room `seq`. No validation, no limits, no
history, no presence, no metrics, no slow-consumer handling (a member that stops reading
grows its queue without bound). Transport settings are ParrotChat's (app/server.py):
uvloop, httptools, websockets-sansio, no permessage-deflate, the same frame limit and pings.

    uv run python bench/reference_server.py --port 8001
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime

import uvicorn
from fastapi import FastAPI, WebSocket, WebSocketDisconnect


@dataclass(eq=False)
class Member:
    name: str
    queue: asyncio.Queue[str] = field(default_factory=asyncio.Queue)


@dataclass
class Room:
    seq: int = 0
    members: set[Member] = field(default_factory=set)


app = FastAPI()
rooms: dict[str, Room] = {}


@app.get("/healthz")
async def healthz() -> dict[str, str]:
    return {"status": "ok"}


async def _write(websocket: WebSocket, queue: asyncio.Queue[str]) -> None:
    while True:
        await websocket.send_text(await queue.get())


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _broadcast(room_name: str, room: Room, author: str, text: str) -> None:
    room.seq += 1
    frame = json.dumps(
        {
            "type": "message",
            "room": room_name,
            "seq": room.seq,
            "id": uuid.uuid4().hex,
            "author": author,
            "text": text,
            "html": text,
            "ts": _now(),
        }
    )
    for member in room.members:
        member.queue.put_nowait(frame)


@app.websocket("/ws")
async def chat(websocket: WebSocket) -> None:
    await websocket.accept()
    me = Member(name="")
    joined: dict[str, Room] = {}
    writer = asyncio.create_task(_write(websocket, me.queue))
    try:
        while True:
            event = json.loads(await websocket.receive_text())
            kind = event.get("type")
            if kind == "hello":
                me.name = event["name"]
                welcome = {"type": "welcome", "connection_id": uuid.uuid4().hex, "name": me.name}
                me.queue.put_nowait(json.dumps(welcome))
            elif kind == "join":
                name = event["room"]
                room = rooms.setdefault(name, Room())
                room.members.add(me)
                joined[name] = room
                me.queue.put_nowait(json.dumps({"type": "joined", "room": name, "seq": room.seq}))
            elif kind == "send" and event.get("room") in joined:
                _broadcast(event["room"], joined[event["room"]], me.name, event["text"])
    except WebSocketDisconnect:
        pass
    finally:
        writer.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await writer
        for name, room in joined.items():
            room.members.discard(me)
            if not room.members:
                rooms.pop(name, None)


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8001)
    args = parser.parse_args()
    uvicorn.run(
        app,
        host=args.host,
        port=args.port,
        loop="uvloop",
        http="httptools",
        ws="websockets-sansio",
        ws_max_size=16_384,
        ws_per_message_deflate=False,
        ws_ping_interval=20.0,
        ws_ping_timeout=20.0,
        lifespan="off",
        log_level="warning",
        access_log=False,
    )


if __name__ == "__main__":
    main()
