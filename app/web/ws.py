"""`/ws`: admission, then one reader loop and one writer task per connection.

Admission happens before the upgrade: a foreign `Origin` gets HTTP 403 and a draining
server HTTP 503, so nothing is created for them; a full server accepts, says `server_full`
and closes 1013. After that the reader parses each frame into a typed client event and calls
the ChatService; every reply and broadcast reaches the socket through the connection's
outbox. A bad frame or a refused request is answered with an `error` event and the
connection stays usable; a bug while handling one event answers `internal_error` and the
others carry on. Two timers watch each connection: the hello deadline (1008) and the idle
timeout (4000).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid

from fastapi import APIRouter, WebSocket
from fastapi.responses import JSONResponse
from pydantic import ValidationError

from app.bootstrap import Container
from app.domain.errors import ChatError, ErrorCode
from app.domain.events import Error
from app.services.chat import ChatService
from app.web import wire
from app.web.closing import CloseCode
from app.web.connection import Connection, ConnectionRegistry
from app.web.errors import ErrorBody
from app.web.origins import origin_allowed
from app.web.telemetry import bind_connection, bind_event, log_session_end

log = logging.getLogger("parrotchat.ws")

router = APIRouter()


def _refusal(status: int, code: ErrorCode, reason: str) -> JSONResponse:
    return JSONResponse(ErrorBody(code=code, reason=reason).model_dump(mode="json"), status)


@router.websocket("/ws", name="chat_socket")
async def chat_socket(websocket: WebSocket) -> None:
    container: Container = websocket.app.state.container
    registry: ConnectionRegistry = websocket.app.state.connections
    settings = container.settings
    if not origin_allowed(websocket.url.scheme, websocket.headers, settings):
        # A client's doing (INFO), but the line an operator needs to fix the allow-list.
        log.info("origin refused", extra={"origin": websocket.headers.get("origin")})
        await websocket.send_denial_response(
            _refusal(403, ErrorCode.ORIGIN_FORBIDDEN, "this origin may not open a chat connection")
        )
        return
    if container.lifecycle.draining:
        await websocket.send_denial_response(
            _refusal(503, ErrorCode.SERVER_SHUTTING_DOWN, "the server is shutting down")
        )
        return
    await websocket.accept()
    conn_id = uuid.uuid4().hex
    bind_connection(conn_id)
    connection = Connection(
        websocket,
        conn_id,
        max_events=settings.outbox_max_events,
        max_bytes=settings.outbox_max_bytes,
        metrics=container.metrics,
        send_timeout_s=settings.send_timeout_s,
    )
    chat = container.chat
    chat.connect(conn_id)
    container.hub.attach(conn_id, connection)
    registry.add(connection)
    container.metrics.connection_opened()
    if len(registry) > settings.max_connections:
        chat.deny(conn_id, ChatError(ErrorCode.SERVER_FULL, "the server is full; retry later"))
        connection.close(CloseCode.TRY_AGAIN_LATER)
    loop = asyncio.get_running_loop()
    timers = _Timers(loop, connection, chat, settings.hello_timeout_s, settings.idle_timeout_s)
    writer = asyncio.create_task(connection.run_writer(), name=f"ws-writer-{conn_id}")
    reader = asyncio.create_task(
        _read_loop(websocket, connection, chat, container, timers), name=f"ws-reader-{conn_id}"
    )
    try:
        # The reader ends when the peer has gone, the writer once it has sent our close:
        # either way nothing more can be exchanged, so the other task stops too.
        await asyncio.wait({reader, writer}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        timers.cancel()
        for task in (reader, writer):
            task.cancel()
        for task in (reader, writer):
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        try:
            log_session_end(connection, chat.session(conn_id))
            await chat.disconnect(conn_id)
        finally:
            registry.remove(connection)
            container.metrics.connection_closed(connection.close_code or 1006)


class _Timers:
    """The hello deadline and the idle timeout of one connection, as loop timers."""

    def __init__(
        self,
        loop: asyncio.AbstractEventLoop,
        connection: Connection,
        chat: ChatService,
        hello_timeout_s: float,
        idle_timeout_s: float,
    ) -> None:
        self._loop = loop
        self._connection = connection
        self._chat = chat
        self._idle_timeout_s = idle_timeout_s
        self.last_activity = loop.time()
        self._hello = loop.call_later(hello_timeout_s, self._hello_deadline)
        self._idle = loop.call_later(idle_timeout_s, self._idle_check)

    def activity(self) -> None:
        self.last_activity = self._loop.time()

    def _hello_deadline(self) -> None:
        session = self._chat.session(self._connection.id)
        if session is None or session.name is None:
            self._connection.close(CloseCode.POLICY, "no hello in time")

    def _idle_check(self) -> None:
        idle_for = self._loop.time() - self.last_activity
        if idle_for < self._idle_timeout_s:
            self._idle = self._loop.call_later(self._idle_timeout_s - idle_for, self._idle_check)
            return
        self._chat.deny(
            self._connection.id,
            ChatError(ErrorCode.IDLE_TIMEOUT, "closing an idle connection; reconnect to chat"),
        )
        self._connection.close(CloseCode.IDLE)

    def cancel(self) -> None:
        self._hello.cancel()
        self._idle.cancel()


async def _read_loop(
    websocket: WebSocket,
    connection: Connection,
    chat: ChatService,
    container: Container,
    timers: _Timers,
) -> None:
    lifecycle = container.lifecycle
    while True:
        message = await websocket.receive()
        if message["type"] == "websocket.disconnect":
            if connection.close_code is None:
                reported = int(message.get("code", 1005))
                # uvicorn reports a lost connection (reset, missed pong) as 1005 with no
                # reason; a close frame always comes with one. Count it as what it was.
                lost = reported == 1005 and "reason" not in message
                connection.close_code = 1006 if lost else reported
            return
        if connection.closing and not lifecycle.draining:
            continue  # what arrives after our close is not answered
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
        if not isinstance(event, wire.Ping):
            timers.activity()
        if lifecycle.draining:
            _refuse_while_draining(connection, chat, event.ref)
            continue
        await _handle(connection, chat, event)


async def _handle(connection: Connection, chat: ChatService, event: wire.ClientEvent) -> None:
    conn_id = connection.id
    bind_event(connection, event)
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
            case wire.Kick():
                await chat.kick(conn_id, event.room, event.name, event.reason)
            case wire.Ban():
                await chat.ban(conn_id, event.room, event.name, event.reason)
            case wire.Ping():
                await chat.ping(conn_id, event.ref)
    except ChatError as denial:
        _deny(connection, chat, denial, event.ref)
    except Exception:
        log.exception("internal error while handling %s", event.type)
        _deny(
            connection,
            chat,
            ChatError(ErrorCode.INTERNAL_ERROR, "something went wrong on our side"),
            event.ref,
        )


def _refuse_while_draining(connection: Connection, chat: ChatService, ref: str | None) -> None:
    """`server_shutting_down`, even when the goodbye and close are already queued: the
    answer goes ahead of the close, so the client knows this event was not taken."""
    refusal = ChatError(ErrorCode.SERVER_SHUTTING_DOWN, "the server is shutting down")
    if connection.closing:
        frame = wire.encode(Error(code=refusal.code, reason=refusal.reason), ref)
        connection.offer_before_close(frame)
    else:
        _deny(connection, chat, refusal, ref)


def _deny(
    connection: Connection, chat: ChatService, denial: ChatError, ref: str | None = None
) -> None:
    """Answer with an `error`; a connection that keeps getting denied is closed 1008."""
    if chat.deny(connection.id, denial, ref):
        connection.close(CloseCode.POLICY, "too many rejected events")
