"""`parrotchat` / `python -m app`: run one server process with uvicorn.

Runs uvicorn programmatically (not its CLI) with uvloop, httptools and the sans-I/O
websockets implementation, permessage-deflate off and the frame limit from the settings.
"""

from __future__ import annotations

import math

import uvicorn

from app.main import create_app
from app.settings import Settings


def uvicorn_config(settings: Settings) -> uvicorn.Config:
    return uvicorn.Config(
        create_app(settings),
        host=settings.host,
        port=settings.port,
        loop="uvloop",
        http="httptools",
        ws="websockets-sansio",
        ws_max_size=settings.max_frame_bytes,
        ws_per_message_deflate=False,
        ws_ping_interval=settings.ping_interval_s,
        ws_ping_timeout=settings.ping_interval_s,
        lifespan="on",
        log_level=settings.log_level.lower(),
        access_log=False,
        timeout_graceful_shutdown=math.ceil(settings.shutdown_grace_s),
    )


def main() -> None:
    settings = Settings()
    uvicorn.Server(uvicorn_config(settings)).run()


if __name__ == "__main__":
    main()
