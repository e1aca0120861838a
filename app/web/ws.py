"""`/ws`: the handshake's admission, then the reader that turns frames into chat use cases.

Admission happens before the upgrade: a foreign `Origin` and a draining server are refused
with their error code's HTTP status (403, 503), so nothing is created for them. After the
upgrade the connection belongs to `Connections.run` (app/services/connections.py): it admits
it (a full server says `server_full` and closes 1013), runs the writer beside the reader below,
watches the timers and tears it down. The reader parses each frame into a typed client event
and calls the ChatService; every reply and broadcast reaches the socket through the
connection's outbox. A bad frame or a refused request is answered with an `error` event and
the connection stays usable; a bug while handling one event answers `internal_error` and the
others carry on.
"""

from __future__ import annotations

import asyncio
import logging
import uuid

from fastapi import WebSocket
from fastapi.responses import JSONResponse
from pydantic import ValidationError
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.types import ASGIApp, Receive, Scope, Send

from app.container import Container
from app.domain.codes import ErrorCode
from app.domain.errors import ChatError
from app.ports import StoreUnavailable
from app.services.chat import ChatService
from app.services.connections import Connections
from app.web import wire
from app.web.connection import Connection
from app.web.errors import ErrorBody
from app.web.origins import origin_allowed
from app.web.telemetry import bind_connection, bind_event

log = logging.getLogger("parrotchat.ws")

# uvicorn queues every frame of a read at once, and `receive` returns queued frames without
# giving other tasks a turn: after this many frames the reader yields, so one socket's burst
# never holds up the rest of the server for more than a few milliseconds.
YIELD_EVERY = 8


def _refusal(code: ErrorCode, reason: str) -> JSONResponse:
    body = ErrorBody(code=code, reason=reason).model_dump(mode="json")
    return JSONResponse(body, code.info.http_status)


def chat_socket_app(container: Container) -> ASGIApp:
    """The ASGI app of `/ws`. app/main.py hands it WebSocket scopes for `/ws` directly, around
    FastAPI's routing and HTTP middleware (ADR 0024), behind the same host check."""

    async def chat_socket_endpoint(scope: Scope, receive: Receive, send: Send) -> None:
        await chat_socket(WebSocket(scope, receive, send), container)

    allowed_hosts = list(container.settings.allowed_hosts)
    return TrustedHostMiddleware(
        chat_socket_endpoint, allowed_hosts=allowed_hosts, www_redirect=False
    )


async def chat_socket(websocket: WebSocket, container: Container) -> None:
    settings = container.settings
    if not origin_allowed(websocket.url.scheme, websocket.headers, settings):
        # A client's doing (INFO), but the line an operator needs to fix the allow-list.
        log.info("origin refused", extra={"origin": websocket.headers.get("origin")})
        await websocket.send_denial_response(
            _refusal(ErrorCode.ORIGIN_FORBIDDEN, "this origin may not open a chat connection")
        )
        return
    if container.connections.draining:
        await websocket.send_denial_response(
            _refusal(ErrorCode.SERVER_SHUTTING_DOWN, "the server is shutting down")
        )
        return
    await websocket.accept()
    conn_id = uuid.uuid4().hex
    # Before the connection's tasks exist, so that every line they log carries the ID.
    bind_connection(conn_id)
    connection = Connection(
        websocket,
        conn_id,
        max_events=settings.outbox_max_events,
        max_bytes=settings.outbox_max_bytes,
        metrics=container.metrics,
        clock=container.clock,
        send_timeout_s=settings.send_timeout_s,
    )
    await container.connections.run(
        connection, lambda: _read_loop(websocket, connection, container)
    )


async def _read_loop(websocket: WebSocket, connection: Connection, container: Container) -> None:
    connections = container.connections
    chat = container.chat
    frames = 0
    while True:
        frames += 1
        if frames % YIELD_EVERY == 0:
            await asyncio.sleep(0)
        message = await websocket.receive()
        if message["type"] == "websocket.disconnect":
            if connection.close_code is None:
                reported = int(message.get("code", 1005))
                # uvicorn reports a lost connection (reset, missed pong) as 1005 with no
                # reason; a close frame always comes with one. Count it as what it was.
                lost = reported == 1005 and "reason" not in message
                connection.close_code = 1006 if lost else reported
            return
        if connection.closing and not connections.draining:
            continue  # what arrives after our close is not answered
        try:
            chat.sessions.count_event(connection.id)
        except ChatError as denial:
            connections.deny(connection, denial)
            continue
        text = message.get("text")
        if text is None:
            connections.deny(
                connection, ChatError(ErrorCode.UNSUPPORTED_FRAME, "send text frames only")
            )
            continue
        try:
            event = wire.parse_client_event(text)
        except ValidationError as error:
            code, reason, details = wire.classify(error)
            connections.deny(connection, ChatError(code, reason, details=details or None))
            continue
        if not isinstance(event, wire.Ping):
            connections.activity(connection)
        if connections.draining:
            connections.refuse_while_draining(connection, event.ref)
            continue
        await _handle(connection, connections, chat, event)


async def _handle(
    connection: Connection, connections: Connections, chat: ChatService, event: wire.ClientEvent
) -> None:
    bind_event(connection, event)
    try:
        await _dispatch(chat, connection.id, event)
    except ChatError as denial:
        connections.deny(connection, denial, event.ref)
    except StoreUnavailable as lost:
        # The node logs the outage once; each refusal is counted in parrotchat_errors_total.
        log.debug("%s refused, the store is unavailable: %s", event.type, lost)
        connections.store_unavailable(connection, event.ref)
    except Exception:
        log.exception("internal error while handling %s", event.type)
        internal = ChatError(ErrorCode.INTERNAL_ERROR, "something went wrong on our side")
        connections.deny(connection, internal, event.ref)


async def _dispatch(chat: ChatService, conn_id: str, event: wire.ClientEvent) -> None:
    """The use case of one client event."""
    match event:
        case wire.Hello():
            await chat.sessions.hello(conn_id, event.name, event.ref, token=event.token)
        case wire.Join():
            await chat.membership.join(
                conn_id,
                event.room,
                since=event.since,
                epoch=event.epoch,
                ref=event.ref,
                private=bool(event.private),
                invite=event.invite,
            )
        case wire.Leave():
            await chat.membership.leave(conn_id, event.room, event.ref)
        case wire.Send():
            # The attachment keyword only when there is one: a plain `send` calls the use
            # case exactly as before.
            extra = {"attachment": event.attachment} if event.attachment else {}
            await chat.messaging.send(conn_id, event.room, event.text, event.ref, **extra)
        case wire.TypingIn():
            await chat.messaging.typing(conn_id, event.room)
        case wire.HistoryIn():
            await chat.messaging.history(
                conn_id, event.room, before=event.before, limit=event.limit, ref=event.ref
            )
        case wire.Kick():
            await chat.moderation.kick(conn_id, event.room, event.name, event.reason)
        case wire.Ban():
            await chat.moderation.ban(conn_id, event.room, event.name, event.reason)
        case wire.Ping():
            await chat.sessions.ping(conn_id, event.ref)
        case wire.InviteIn():
            await chat.privacy.invite(
                conn_id, event.room, ttl_s=event.ttl_s, uses=event.uses, ref=event.ref
            )
        case wire.SetPrivate():
            await chat.privacy.set_private(conn_id, event.room, event.private)
        case wire.Attach():
            await chat.attachments.request(
                conn_id,
                event.room,
                name=event.name,
                size=event.size,
                content_type=event.content_type,
                ref=event.ref,
            )
