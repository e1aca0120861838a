from __future__ import annotations

import asyncio
from collections.abc import Callable

from app.domain.errors import ChatError
from app.domain.model import Member
from app.domain.policies.names import name_key

T0 = 1_790_000_000.25


def member(name: str, *, at: float = T0, conn: str | None = None, node: str = "n1") -> Member:
    return Member(
        name=name,
        key=name_key(name),
        conn_id=conn or f"c-{name}",
        joined_at=at,
        last_active_at=at,
        node_id=node,
    )


def refusal(error: ChatError) -> tuple[str, str, str | None, int | None]:
    """What a client sees of a denial."""
    return error.code.value, error.reason, error.room, error.retry_after_ms


async def until(check: Callable[[], bool], *, timeout: float = 5.0) -> None:
    """Wait for deliveries that arrive through Redis pub/sub (at once in memory)."""
    async with asyncio.timeout(timeout):
        while not check():  # noqa: ASYNC110  # state filled by another task; nothing to await
            await asyncio.sleep(0.005)
