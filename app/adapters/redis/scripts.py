"""The Lua scripts: one file per atomic step in lua/, each prefixed with lua/prelude.lua.

redis-py runs them with EVALSHA and loads them again when Redis answers NOSCRIPT (after a
restart or SCRIPT FLUSH). The domain's constants are written into the prelude, so the
scripts cannot drift from app/domain/model.py.
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from importlib import resources
from typing import Any

from redis.asyncio import Redis
from redis.commands.core import AsyncScript

from app.adapters.redis.connection import Observe, unavailable_on_failure
from app.domain import model

NAMES = (
    "join",
    "leave",
    "evict",
    "set_private",
    "snapshot",
    "touch",
    "typing",
    "sweep",
    "list",
    "publish",
    "drop_history",
    "heartbeat",
    "reap_member",
    "forget_node",
)

_CONSTANTS = {
    "AWAY_AFTER_S": model.AWAY_AFTER_S,
    "RECENT_DEPARTURE_S": model.RECENT_DEPARTURE_S,
    "TYPING_TTL_S": model.TYPING_TTL_S,
    "TYPING_COALESCE_S": model.TYPING_COALESCE_S,
    "MAX_EXCLUSIONS": model.MAX_EXCLUSIONS,
}


def source(name: str) -> str:
    lua = resources.files("app.adapters.redis") / "lua"
    prelude = (lua / "prelude.lua").read_text(encoding="utf-8")
    for constant, value in _CONSTANTS.items():
        prelude = prelude.replace(f"@{constant}@", repr(float(value)))
    return prelude + "\n" + (lua / f"{name}.lua").read_text(encoding="utf-8")


class Scripts:
    """The registered scripts of one client; every call passes the key prefix first. Every
    round trip of the adapters (scripts and plain commands) goes through `round_trip`, which
    times it and turns a failure into StoreUnavailable."""

    def __init__(self, client: Redis, prefix: str, *, observe: Observe | None = None) -> None:
        self._prefix = prefix
        self._observe: Observe = observe or (lambda _operation, _seconds: None)
        self._scripts: dict[str, AsyncScript] = {
            name: client.register_script(source(name)) for name in NAMES
        }

    def sha(self, name: str) -> str:
        return self._scripts[name].sha

    @property
    def prefix(self) -> str:
        return self._prefix

    def source_of(self, name: str) -> str:
        """The script's full text (for EVAL when Redis answers NOSCRIPT)."""
        return source(name)

    def round_trip(self, what: str) -> AbstractContextManager[None]:
        return unavailable_on_failure(what, self._observe)

    async def run(self, name: str, *args: str | int) -> Any:
        with unavailable_on_failure(name, self._observe):
            return await self._scripts[name](args=(self._prefix, *args))
