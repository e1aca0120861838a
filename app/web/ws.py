"""`/ws`: one reader loop and one writer task per connection.

The reader parses each frame into a typed client event and calls the ChatService; every
reply and broadcast reaches the socket through the connection's outbox (app/web/connection).
A bad frame or a refused request is answered with an `error` event and the connection stays
usable; a bug while handling one event answers `internal_error` and the others carry on.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid

from fastapi import APIRouter, WebSocket
from pydantic import ValidationError
from starlette.websockets import WebSocketDisconnect

from app.bootstrap import Container
from app.domain.errors import ChatError, ErrorCode
from app.services.chat import ChatService
from app.web import wire
from app.web.closing import CloseCode
from app.web.connection import Connection

log = logging.getLogger("parrotchat.ws")

router = APIRouter()


@router.websocket("/ws", name="chat_socket")
async def chat_socket(websocket: WebSocket) -> None:
    container: Container = websocket.app.state.container
    conn_id = uuid.uuid4().hex
    await websocket.accept()
    connection = Connection(
        websocket,
        conn_id,
        max_events=container.settings.outbox_max_events,
        max_bytes=container.settings.outbox_max_bytes,
        metrics=container.metrics,
    )
    chat = container.chat
    chat.connect(conn_id)
    container.hub.attach(conn_id, connection)
    container.metrics.connection_opened()
    writer = asyncio.create_task(connection.run_writer(), name=f"ws-writer-{conn_id}")
    reader = asyncio.create_task(
        _read_loop(websocket, connection, chat), name=f"ws-reader-{conn_id}"
    )
    try:
        # The reader ends when the peer has gone, the writer once it has sent our close:
        # either way nothing more can be exchanged, so the other task stops too.
        await asyncio.wait({reader, writer}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for task in (reader, writer):
            task.cancel()
        for task in (reader, writer):
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        await chat.disconnect(conn_id)
        container.metrics.connection_closed(connection.close_code or 1006)


async def _read_loop(websocket: WebSocket, connection: Connection, chat: ChatService) -> None:
    while True:
        try:
            message = await websocket.receive()
        except (WebSocketDisconnect, RuntimeError):
            return
        if message["type"] == "websocket.disconnect":
            if connection.close_code is None:
                connection.close_code = int(message.get("code", 1005))
            return
        text = message.get("text")
        if text is None:
            _deny(connection, chat, ChatError(ErrorCode.UNSUPPORTED_FRAME, "send text frames only"))
            continue
        try:
            event = wire.parse_client_event(text)
        except ValidationError as error:
            code, reason, details = wire.classify(error)
            _deny(connection, chat, ChatError(code, reason, details=details or None))
            continue
        await _handle(connection, chat, event)


async def _handle(connection: Connection, chat: ChatService, event: wire.ClientEvent) -> None:
    conn_id = connection.id
    try:
        match event:
            case wire.Hello():
                await chat.hello(conn_id, event.name, event.ref)
            case wire.Join():
                await chat.join(
                    conn_id, event.room, since=event.since, epoch=event.epoch, ref=event.ref
                )
            case wire.Leave():
                await chat.leave(conn_id, event.room, event.ref)
            case wire.Send():
                await chat.send(conn_id, event.room, event.text, event.ref)
            case wire.TypingIn():
                await chat.typing(conn_id, event.room)
            case wire.HistoryIn():
                await chat.history(
                    conn_id, event.room, before=event.before, limit=event.limit, ref=event.ref
                )
            case wire.Kick() | wire.Ban():
                raise ChatError(
                    ErrorCode.NOT_OWNER, "moderation is not available yet", room=event.room
                )
            case wire.Ping():
                await chat.ping(conn_id, event.ref)
    except ChatError as denial:
        chat.deny(conn_id, denial, event.ref)
    except Exception:
        log.exception("internal error while handling %s", event.type)
        chat.deny(
            conn_id,
            ChatError(ErrorCode.INTERNAL_ERROR, "something went wrong on our side"),
            event.ref,
        )


def _deny(
    connection: Connection, chat: ChatService, denial: ChatError, ref: str | None = None
) -> None:
    """Answer with an `error`; a connection that keeps getting denied is closed 1008."""
    if chat.deny(connection.id, denial, ref):
        connection.close(CloseCode.POLICY, "too many rejected events")
