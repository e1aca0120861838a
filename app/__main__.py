"""`parrotchat` / `python -m app`: run one server process (settings from PARROT_*)."""

from __future__ import annotations

from app.bootstrap import ConfigurationError
from app.ports import StoreUnavailable
from app.server import build_server
from app.settings import Settings

# uvicorn's own exit status when the application failed to start.
STARTUP_FAILURE = 3


def main() -> None:
    try:
        server = build_server(Settings())
    except (ConfigurationError, StoreUnavailable) as error:
        # One line, exit status 1: a setting to fix, or a Redis that does not answer.
        raise SystemExit(f"parrotchat: {error}") from None
    server.run()
    if not server.started:
        raise SystemExit(STARTUP_FAILURE)


if __name__ == "__main__":
    main()
