"""A real uvicorn serving an app built in the test process (for tests that need to reach
into the app: a fault to inject, a state to set). It runs in its own thread and event loop,
so uvicorn installs no signal handlers in the test runner."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from contextlib import contextmanager

import uvicorn
from fastapi import FastAPI

from app.bootstrap import build
from app.container import Container
from app.main import create_app
from app.settings import Settings
from app.web.wire import encode


def app_and_container(settings: Settings | None = None) -> tuple[FastAPI, Container]:
    """An app, and the container it runs on (to inject a fault or set a state)."""
    container = build(settings or Settings(), encode=encode)
    return create_app(container=container), container


@contextmanager
def serve_in_thread(app: FastAPI) -> Iterator[int]:
    """Serve `app` on 127.0.0.1 (free port); yields the port."""
    config = uvicorn.Config(
        app,
        host="127.0.0.1",
        port=0,
        ws="websockets-sansio",
        ws_per_message_deflate=False,
        lifespan="on",
        log_level="warning",
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=lambda: asyncio.run(server.serve()), daemon=True)
    thread.start()
    for _ in range(200):
        if server.started:
            break
        threading.Event().wait(0.025)
    else:
        raise RuntimeError("in-process server did not start")
    port: int = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield port
    finally:
        server.should_exit = True
        thread.join(timeout=10)
