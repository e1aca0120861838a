"""ChatService on the in-memory adapters with a manual clock, and connections that record
what they are sent (already encoded as the wire would carry it)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from app.adapters.clock import ManualClock
from app.bootstrap import Container, build
from app.settings import Settings

Event = dict[str, Any]


@dataclass
class RecordingSink:
    frames: list[str] = field(default_factory=list)

    def offer(self, frame: str, *, droppable: bool = False, accepted_at: float = 0.0) -> bool:
        self.frames.append(frame)
        return True

    def events(self, type_: str | None = None) -> list[Event]:
        decoded = [json.loads(f) for f in self.frames]
        return [e for e in decoded if type_ is None or e["type"] == type_]

    def take(self) -> list[Event]:
        events = self.events()
        self.frames.clear()
        return events


class Harness:
    def __init__(self, **settings: Any) -> None:
        self.clock = ManualClock()
        self.container: Container = build(Settings(**settings), clock=self.clock)
        self.sinks: dict[str, RecordingSink] = {}

    @property
    def chat(self) -> Any:
        return self.container.chat

    async def start(self) -> Harness:
        await self.container.broker.start(self.container.hub.deliver)
        return self

    def connect(self, conn_id: str) -> RecordingSink:
        sink = self.sinks[conn_id] = RecordingSink()
        self.container.chat.connect(conn_id)
        self.container.hub.attach(conn_id, sink)
        return sink

    async def member(self, conn_id: str, name: str, room: str | None = None) -> RecordingSink:
        sink = self.connect(conn_id)
        await self.chat.hello(conn_id, name)
        if room is not None:
            await self.chat.join(conn_id, room)
        return sink
