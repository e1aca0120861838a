"""`python -m tests.support.faulty_server`: the real server (`build_server`: its logging,
its protocol classes, its settings from PARROT_*) with one bug injected, so that a test can
read how a server fault shows up in the log. A `send` whose text is `BUG_TRIGGER` raises."""

from __future__ import annotations

from typing import cast

from fastapi import FastAPI

from app.server import build_server
from app.settings import Settings

BUG_TRIGGER = "trigger the injected bug"


class InjectedBugError(RuntimeError):
    """The fault this server was started with (a name a log check can look for)."""


def main() -> None:
    server = build_server(Settings())
    messaging = cast(FastAPI, server.config.app).state.container.chat.messaging
    real_send = messaging.send

    async def buggy_send(conn_id: str, room: str, text: str, ref: str | None = None) -> None:
        if text == BUG_TRIGGER:
            raise InjectedBugError("a bug in one code path")
        await real_send(conn_id, room, text, ref)

    setattr(messaging, "send", buggy_send)  # noqa: B010  # mypy refuses assigning a method
    server.run()


if __name__ == "__main__":
    main()
