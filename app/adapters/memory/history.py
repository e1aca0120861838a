"""The in-memory HistoryStore."""

from __future__ import annotations

from app.domain.history import History, Message, MessageDraft


class MemoryHistoryStore:
    def __init__(self, *, size: int) -> None:
        self._size = size
        self._histories: dict[str, History] = {}

    def _history(self, room: str) -> History:
        history = self._histories.get(room)
        if history is None:
            history = self._histories[room] = History(self._size)
        return history

    def append_draft(self, draft: MessageDraft) -> Message:
        """Number and keep a draft (for MemoryBroker.publish_message)."""
        history = self._history(draft.room)
        message = draft.numbered(history.next_seq())
        history.append(message)
        return message

    async def latest_seq(self, room: str) -> int:
        history = self._histories.get(room)
        return 0 if history is None else history.seq

    async def latest(self, room: str, limit: int | None = None) -> list[Message]:
        history = self._histories.get(room)
        return [] if history is None else history.latest(limit)

    async def since(self, room: str, seq: int) -> list[Message] | None:
        history = self._histories.get(room)
        if history is None:
            return [] if seq == 0 else None
        return history.since(seq)

    async def before(self, room: str, seq: int | None, limit: int) -> tuple[list[Message], bool]:
        history = self._histories.get(room)
        return ([], False) if history is None else history.before(seq, limit)

    async def last_message_at(self, room: str) -> float | None:
        history = self._histories.get(room)
        return None if history is None else history.last_message_at

    async def drop(self, room: str) -> None:
        self._histories.pop(room, None)
