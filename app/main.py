"""The FastAPI application: routes, static UI, and the lifespan that starts the store, the
broker, the node's heartbeat and the housekeeping task."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from pathlib import Path

from fastapi import FastAPI
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.types import ASGIApp, Receive, Scope, Send

from app import __version__
from app.bootstrap import build
from app.container import Container
from app.domain.errors import ChatError
from app.ports import StoreUnavailable
from app.settings import Settings
from app.web import asyncapi, health, rooms, stats, ws
from app.web.docs_ui import add_docs_routes
from app.web.errors import chat_error_handler
from app.web.static_ui import UiStaticFiles
from app.web.telemetry import (
    RequestIdMiddleware,
    instrument_tracing,
    mount_metrics,
    trace_connections,
)
from app.web.uploads import add_upload_routes
from app.web.wire import encode

log = logging.getLogger("parrotchat")

_HERE = Path(__file__).resolve().parent
# Inside the package when installed from a wheel, beside it in a checkout.
STATIC_DIR = next(
    (d for d in (_HERE / "static", _HERE.parent / "static") if d.is_dir()), _HERE / "static"
)

DESCRIPTION = """\
Public, ephemeral chat rooms over one WebSocket per client.

The REST routes below report on the server and its rooms. The chat itself happens on
`GET /ws`: its protocol is the AsyncAPI 3.0 document at [/asyncapi](/asyncapi) (rendered;
also [/asyncapi.json](/asyncapi.json) and [/asyncapi.yaml](/asyncapi.yaml)), and the guide for
client authors is docs/protocol.md in the repository.
"""


async def _housekeeping(container: Container) -> None:
    while True:
        await asyncio.sleep(container.settings.sweep_interval_s)
        try:
            await container.chat.membership.sweep()
        except StoreUnavailable as lost:
            log.warning("housekeeping sweep skipped: %s", lost)
        except Exception:
            log.exception("housekeeping sweep failed")


class ChatApp(FastAPI):
    """FastAPI with one shortcut: a WebSocket handshake for `/ws` goes straight to the chat
    socket (app/web/ws.py, behind its own host check), not through the HTTP middleware and the
    router. A chat connection lives for hours, and every layer it passes stays on its stack for
    as long, while none of them does anything for it (request IDs and HTTP metrics are for
    HTTP; FastAPI's dependency injection resolves one container): ADR 0024 has the figures."""

    chat_socket: ASGIApp | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "websocket" and scope["path"] == "/ws" and self.chat_socket:
            await self.chat_socket(scope, receive, send)
            return
        await super().__call__(scope, receive, send)


def create_app(settings: Settings | None = None, *, container: Container | None = None) -> FastAPI:
    container = container or build(settings or Settings(), encode=encode)

    @contextlib.asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        # Redis must answer before anything is served (the entry point checked it already,
        # with a clear message; this covers apps built in-process).
        await container.open_store()
        await container.broker.start(container.hub.deliver, container.node.on_gap)
        await container.node.start()
        sweeper = asyncio.create_task(_housekeeping(container), name="housekeeping")
        try:
            yield
        finally:
            sweeper.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await sweeper
            # The node announces what it still owns before the broker goes.
            await container.node.stop()
            await container.broker.close()
            await container.close_store()
            container.close_tracing()

    app = ChatApp(
        title="ParrotChat",
        version=__version__,
        description=DESCRIPTION,
        lifespan=lifespan,
        docs_url=None,  # self-hosted below (add_docs_routes): no CDN
        redoc_url=None,
        openapi_tags=[
            {"name": "health", "description": "Liveness and readiness probes."},
            {"name": "rooms", "description": "Rooms that exist now, and their stats."},
            {"name": "stats", "description": "Figures about this server process."},
            {"name": "asyncapi", "description": "The WebSocket protocol, as AsyncAPI 3.0."},
            {"name": "uploads", "description": "Attachments, through signed URLs."},
        ],
    )
    app.state.container = container  # read by app.web.deps only
    app.add_exception_handler(ChatError, chat_error_handler)
    app.include_router(health.router)
    app.include_router(rooms.router)
    app.include_router(stats.router)
    add_upload_routes(app)
    app.include_router(asyncapi.router)  # before the static mount at "/", which takes the rest
    add_docs_routes(app)
    if container.metrics_registry is not None:
        mount_metrics(app, container.metrics_registry)
    app.chat_socket = ws.chat_socket_app(container)
    if container.tracer_provider is not None:
        instrument_tracing(app, container.tracer_provider)
        app.chat_socket = trace_connections(app.chat_socket, container.tracer_provider)
    # A name not on PARROT_ALLOWED_HOSTS gets 400, WebSocket handshakes included (ADR 0016).
    allowed_hosts = list(container.settings.allowed_hosts)
    app.add_middleware(TrustedHostMiddleware, allowed_hosts=allowed_hosts, www_redirect=False)
    # Outermost, so that the access line and every other line of a request carry its ID.
    app.add_middleware(RequestIdMiddleware)
    if STATIC_DIR.is_dir():
        app.mount("/", UiStaticFiles(directory=STATIC_DIR, html=True), name="static")
    return app
