"""uvicorn, run programmatically, with a shutdown that lets the application drain first."""

from __future__ import annotations

import asyncio
import gc
import logging
import math
import socket

import uvicorn

from app.bootstrap import build, check_store
from app.logs import configure_logging
from app.main import create_app
from app.services.connections import Connections
from app.settings import Settings
from app.web.admission import Admission, AdmissionLimits
from app.web.client_faults import ParrotWebSocketProtocol
from app.web.http_admission import http_protocol_class
from app.web.transport import websocket_protocol_class
from app.web.wire import encode

log = logging.getLogger("parrotchat.server")

# Left for uvicorn's own shutdown (lifespan, closing sockets) out of the grace period.
SHUTDOWN_RESERVE_S = 1.0


class ParrotServer(uvicorn.Server):
    """A uvicorn Server whose shutdown drains the app's connections first (`Connections.drain`),
    then lets uvicorn finish with `timeout_graceful_shutdown` as the backstop. Plain uvicorn
    would send 1012 to every WebSocket first.

    The listening socket stays open during the drain so that probes and late clients get a
    clear answer (`/readyz` 503, WebSocket handshakes 503) rather than a refused connection;
    uvicorn's own shutdown closes it afterwards."""

    def __init__(self, config: uvicorn.Config, connections: Connections, *, grace_s: float) -> None:
        super().__init__(config)
        self._connections = connections
        self._grace_s = grace_s

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        budget = max(0.5, self._grace_s - SHUTDOWN_RESERVE_S)
        try:
            await asyncio.wait_for(self._connections.drain(timeout_s=budget), budget + 0.1)
        except TimeoutError:
            log.warning("drain did not finish within %.1fs", budget)
        await super().shutdown(sockets)


# Generation thresholds for the cyclic GC (CPython's default is 700, 10, 10). See ADR 0004:
# with ~1000 connections a full collection paused the loop for 80-170 ms several times a
# minute, which was the whole p99 of broadcast latency; at 10,000 connections a generation-1
# collection every 50 young ones walked up to a million survivors in one pause (0.4-0.95 s),
# so generation 1 now runs every 5 young collections, each of 10,000 allocations.
GC_THRESHOLDS = (10_000, 5, 100)


def tune_gc() -> None:
    """Move start-up objects out of the collector's way and make collections rarer."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(*GC_THRESHOLDS)


def build_server(settings: Settings) -> ParrotServer:
    configure_logging(settings.log_level, settings.log_format, node_id=settings.node_id)
    # With PARROT_REDIS_URL: Redis must answer now (RedisUnreachable, for the entry point).
    check_store(settings)
    container = build(settings, encode=encode)
    app = create_app(container=container)
    # Admission before the app (ADR 0013): head and upgrade deadline, pending cap, header
    # limits, in protocol subclasses of uvicorn's own (app/web/http_admission, transport).
    admission = Admission(
        AdmissionLimits(
            handshake_timeout_s=settings.handshake_timeout_s,
            max_pending=settings.max_pending_handshakes,
            max_header_bytes=settings.max_header_bytes,
            max_headers=settings.max_headers,
        )
    )
    config = uvicorn.Config(
        app,
        host=settings.host,
        port=settings.port,
        loop="uvloop",
        http=http_protocol_class(settings.http_impl, admission),
        # h11's own bound on a head it buffers, the same as ours (httptools has none).
        h11_max_incomplete_event_size=settings.max_header_bytes,
        # uvicorn's "websockets-sansio" (app/web/transport.py, app/web/client_faults.py); a
        # peer whose outbound buffer stays full this long is a slow consumer, as with a send
        # that takes that long.
        ws=websocket_protocol_class(
            admission, stall_timeout_s=settings.send_timeout_s, base=ParrotWebSocketProtocol
        ),
        ws_max_size=settings.max_frame_bytes,
        ws_per_message_deflate=False,
        ws_ping_interval=settings.ping_interval_s,
        ws_ping_timeout=settings.ping_interval_s,
        lifespan="on",
        # Logging is ours (configure_logging above): uvicorn's loggers propagate to the root
        # handler and its JSON formatter instead of getting handlers of their own.
        log_config=None,
        log_level=settings.log_level.lower(),
        access_log=False,
        timeout_graceful_shutdown=max(1, math.ceil(SHUTDOWN_RESERVE_S)),
    )
    tune_gc()
    return ParrotServer(config, container.connections, grace_s=settings.shutdown_grace_s)
