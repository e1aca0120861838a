"""`parrotchat` / `python -m app`: run one server process (settings from PARROT_*)."""

from __future__ import annotations

from app.server import build_server
from app.settings import Settings


def main() -> None:
    build_server(Settings()).run()


if __name__ == "__main__":
    main()
