"""The web edge of observability: request IDs, the per-event log context, /metrics and the
FastAPI tracing instrumentation."""

from __future__ import annotations

import itertools
import logging
import re
import time
import uuid
from typing import TYPE_CHECKING

from fastapi import FastAPI, Response
from fastapi.responses import PlainTextResponse
from opentelemetry import trace
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from prometheus_fastapi_instrumentator import Instrumentator
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app import logs as obs_log
from app.ports import METRIC_PREFIX

if TYPE_CHECKING:
    from app.web.connection import Connection
    from app.web.wire import ClientEvent

log = logging.getLogger("parrotchat.access")
event_log = logging.getLogger("parrotchat.event")

REQUEST_ID_HEADER = "x-request-id"
_VALID_REQUEST_ID = re.compile(r"[!-~]{1,64}")  # short, printable ASCII, no spaces
QUIET_PATHS = frozenset({"/healthz", "/readyz", "/metrics"})  # probes and scrapes: debug only
_event_numbers = itertools.count(1)


def new_request_id() -> str:
    return uuid.uuid4().hex


def accepted_request_id(value: str | None) -> str | None:
    """The client's X-Request-ID when it is short and printable; None otherwise."""
    if value is not None and _VALID_REQUEST_ID.fullmatch(value):
        return value
    return None


class RequestIdMiddleware:
    """Pure ASGI: bind a request ID for every HTTP request (the client's valid `X-Request-ID`
    or a new one), echo it in the response, and log one access line when it completes."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        sent = None
        for name, value in scope["headers"]:
            if name == b"x-request-id":
                sent = accepted_request_id(value.decode("latin-1"))
                break
        rid = sent or new_request_id()
        token = obs_log.request_id.set(rid)
        started = time.perf_counter()
        status = 500

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = [(k, v) for k, v in message.get("headers", []) if k != b"x-request-id"]
                headers.append((b"x-request-id", rid.encode("latin-1")))
                message = {**message, "headers": headers}
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            path = scope.get("path", "")
            log.log(
                logging.DEBUG if path in QUIET_PATHS else logging.INFO,
                "request",
                extra={
                    "method": scope.get("method", ""),
                    "path": path,
                    "status": status,
                    "duration_ms": round((time.perf_counter() - started) * 1000, 3),
                },
            )
            obs_log.request_id.reset(token)


# --- WebSocket ---------------------------------------------------------------------------


def bind_connection(conn_id: str) -> None:
    """Tag every line logged for this connection (its tasks inherit the context)."""
    obs_log.connection_id.set(conn_id)


def bind_event(connection: Connection, event: ClientEvent) -> None:
    """Count an inbound event and give it a request ID: the client's `ref`, or a new one."""
    connection.events_in += 1
    obs_log.request_id.set(event.ref or f"{connection.id[:8]}-{next(_event_numbers):x}")
    if event_log.isEnabledFor(logging.DEBUG):
        # The type and room only: message text is never logged.
        event_log.debug("event", extra={"event": event.type, "room": getattr(event, "room", None)})


# --- metrics and tracing -----------------------------------------------------------------


def mount_metrics(app: FastAPI, registry: CollectorRegistry) -> None:
    """HTTP metrics (prometheus-fastapi-instrumentator) and GET /metrics over `registry`,
    which also holds the chat metrics. WebSockets pass through the instrumentator unseen."""
    Instrumentator(
        registry=registry,
        excluded_handlers=["/metrics"],
        should_group_status_codes=False,
    ).instrument(app, metric_namespace=METRIC_PREFIX)

    # Our own route rather than the instrumentator's `expose`, so that /docs can say what it
    # returns (the Prometheus text format) and the OpenAPI document stays truthful.
    @app.get(
        "/metrics",
        tags=["stats"],
        operation_id="getMetrics",
        summary="Prometheus metrics",
        response_class=PlainTextResponse,
        responses={
            200: {
                "content": {"text/plain": {"schema": {"type": "string"}}},
                "description": "Prometheus text exposition format 0.0.4.",
            }
        },
    )
    def metrics() -> Response:
        """Chat metrics (parrotchat_*) and HTTP metrics of this process, for Prometheus to
        scrape. docs/operations.md explains every series."""
        return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)


def instrument_tracing(app: FastAPI, provider: trace.TracerProvider) -> None:
    """A server span per REST request and WebSocket connection; the per-frame send/receive
    sub-spans are left out (one per frame would drown the chat spans)."""
    from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor

    FastAPIInstrumentor.instrument_app(
        app, tracer_provider=provider, exclude_spans=["receive", "send"]
    )


def trace_connections(app: ASGIApp, provider: trace.TracerProvider) -> ASGIApp:
    """A server span per WebSocket connection of the `/ws` shortcut (app/main.py ChatApp),
    as FastAPI's instrumentation gives every other route; no per-frame sub-spans."""
    from opentelemetry.instrumentation.asgi import OpenTelemetryMiddleware

    return OpenTelemetryMiddleware(app, tracer_provider=provider, exclude_spans=["receive", "send"])
