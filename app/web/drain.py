"""Graceful drain: stop taking work, deliver what was accepted, say goodbye, close 1001.

Runs before uvicorn's own shutdown (which would otherwise send 1012 to every socket before
the application could act). Order per connection: frames already queued (so every message
that was acknowledged is delivered), then `left{reason:"shutdown"}` for each room, then
`system{event:"server_shutdown", data:{reconnect_after_ms}}` with a jittered delay so that
clients do not all come back at once, then close 1001.
"""

from __future__ import annotations

import asyncio
import logging
import random

from fastapi import FastAPI

from app.bootstrap import Container
from app.domain.codes import CloseCode
from app.domain.events import (
    SYSTEM_PREFIX,
    LeaveReason,
    Left,
    SystemEventKind,
    SystemNotice,
)
from app.web.connection import ConnectionRegistry

log = logging.getLogger("parrotchat.drain")

RECONNECT_MIN_MS = 1_000
RECONNECT_SPREAD_MS = 4_000


async def drain(app: FastAPI, *, timeout_s: float) -> None:
    container: Container = app.state.container
    registry: ConnectionRegistry = app.state.connections
    container.lifecycle.draining = True
    connections = registry.all()
    log.info("draining %d connections", len(connections))
    now = container.clock.now()
    for connection in connections:
        session = container.chat.session(connection.id)
        for room in sorted(session.rooms if session else ()):
            container.hub.send(connection.id, Left(room=room, reason=LeaveReason.SHUTDOWN))
        delay_ms = RECONNECT_MIN_MS + random.randrange(RECONNECT_SPREAD_MS)
        container.hub.send(
            connection.id,
            SystemNotice(
                event=SystemEventKind.SERVER_SHUTDOWN,
                text=SYSTEM_PREFIX + "the server is restarting; reconnect shortly",
                ts=now,
                data={"reconnect_after_ms": delay_ms},
            ),
        )
        connection.close(CloseCode.GOING_AWAY)
    waits = [asyncio.ensure_future(c.writer_done.wait()) for c in connections]
    if waits:
        _done, pending = await asyncio.wait(waits, timeout=timeout_s)
        for waiter in pending:
            waiter.cancel()
        if pending:
            log.warning("%d connections did not finish draining in time", len(pending))
