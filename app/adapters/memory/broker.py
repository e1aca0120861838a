"""The in-memory Broker: publishing delivers at once, on this node."""

from __future__ import annotations

from app.adapters.memory.history import MemoryHistoryStore
from app.adapters.memory.rooms import MemoryRoomStore
from app.domain import refusals
from app.domain.events import Envelope, Presence, PresenceStatus
from app.domain.history import Message, MessageDraft
from app.ports import (
    Deliver,
    OnGap,
)


class MemoryBroker:
    """One node: a published envelope is delivered at once, on the publisher's turn, so
    nothing can be missed and subscriptions need no bookkeeping."""

    def __init__(self, history: MemoryHistoryStore, rooms: MemoryRoomStore) -> None:
        # Where publish_message numbers and keeps messages, and records the author's activity.
        self._history = history
        self._rooms = rooms
        self._deliver: Deliver | None = None

    async def start(self, deliver: Deliver, on_gap: OnGap | None = None) -> None:
        self._deliver = deliver

    async def publish(self, envelope: Envelope) -> None:
        if self._deliver is None:
            raise RuntimeError("broker not started")
        self._deliver(envelope)

    async def publish_message(
        self,
        draft: MessageDraft,
        *,
        reply_conn: str | None,
        reply_ref: str | None,
        accepted_at: float,
        author_key: str | None = None,
    ) -> Message:
        deliver = self._deliver
        if deliver is None:
            raise RuntimeError("broker not started")
        room = draft.room
        if author_key is not None:
            back = self._rooms.touch_now(room, author_key, now=draft.ts, sent_message=True)
            if back is None:
                raise refusals.not_in_room(room)
            if back:
                online = Presence(
                    room=room, name=draft.author, status=PresenceStatus.ONLINE, last_seen=draft.ts
                )
                deliver(Envelope(room=room, event=online, accepted_at=accepted_at))
        message = self._history.append_draft(draft)
        deliver(
            Envelope(
                room=room,
                event=message,
                reply_conn=reply_conn,
                reply_ref=reply_ref,
                accepted_at=accepted_at,
            )
        )
        return message

    async def subscribe(self, room: str) -> None:
        pass

    async def unsubscribe(self, room: str) -> None:
        pass

    async def close(self) -> None:
        self._deliver = None
