"""`parrotchat` / `python -m app`: run one server process (settings from PARROT_*)."""

from __future__ import annotations

from app.bootstrap import ConfigurationError
from app.server import build_server
from app.settings import Settings


def main() -> None:
    try:
        server = build_server(Settings())
    except ConfigurationError as error:
        raise SystemExit(f"parrotchat: {error}") from None
    server.run()


if __name__ == "__main__":
    main()
