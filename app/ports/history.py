"""Per-room message history."""

from __future__ import annotations

from typing import Protocol

from app.domain.history import Message


class HistoryStore(Protocol):
    """Per-room message history with a seq that grows by exactly one per message. Messages
    are added by `Broker.publish_message`, which numbers, keeps and publishes in one step."""

    async def latest_seq(self, room: str) -> int:
        """The room's newest seq (0 before the first message)."""
        ...

    async def latest(self, room: str, limit: int | None = None) -> list[Message]:
        """The newest `limit` kept messages, oldest first."""
        ...

    async def since(self, room: str, seq: int) -> list[Message] | None:
        """Every message after `seq`, or None when some are no longer kept."""
        ...

    async def before(self, room: str, seq: int | None, limit: int) -> tuple[list[Message], bool]:
        """A page of messages older than `seq`, and whether older ones remain."""
        ...

    async def last_message_at(self, room: str) -> float | None:
        """When the newest kept message was sent."""
        ...

    async def drop(self, room: str) -> None:
        """Forget the room's history (the room was deleted)."""
        ...
