"""ChatService on the in-memory adapters with a manual clock, and connections that record
what they are sent (already encoded as the wire would carry it). Connections are admitted and
released through `Connections`, as the WebSocket route does."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from app.adapters.clock import ManualClock
from app.bootstrap import build
from app.container import Container
from app.domain.codes import CloseCode
from app.services.chat import ChatService
from app.services.hub import Frame
from app.settings import Settings
from app.web.wire import encode

Event = dict[str, Any]


@dataclass
class RecordingSink:
    """A Hub sink that keeps every frame it is offered."""

    frames: list[str] = field(default_factory=list)
    gave_up: bool = False

    def offer(self, frame: Frame, *, droppable: bool = False, accepted_at: float = 0.0) -> bool:
        self.frames.append(frame.text)
        return True

    def give_up(self) -> None:
        self.gave_up = True

    def events(self, type_: str | None = None) -> list[Event]:
        decoded = [json.loads(f) for f in self.frames]
        return [e for e in decoded if type_ is None or e["type"] == type_]

    def take(self) -> list[Event]:
        events = self.events()
        self.frames.clear()
        return events


@dataclass
class RecordingPeer(RecordingSink):
    """A connection (app/services/connections.Peer) with no transport: frames are recorded,
    a close is remembered, and the writer has nothing to do."""

    id: str = ""
    close_code: int | None = None

    @property
    def closing(self) -> bool:
        return self.close_code is not None

    @property
    def depth(self) -> int:
        return 0

    @property
    def final_close_code(self) -> int:
        return self.close_code or 1006

    def offer(self, frame: Frame, *, droppable: bool = False, accepted_at: float = 0.0) -> bool:
        return not self.closing and super().offer(frame)

    def offer_before_close(self, frame: Frame) -> bool:
        self.frames.append(frame.text)
        return True

    def close(
        self, code: CloseCode, reason: str | None = None, *, discard_input: bool = False
    ) -> None:
        if self.close_code is None:
            self.close_code = int(code)

    def stop_writing(self) -> None:
        return None

    def give_up(self) -> None:
        self.close(CloseCode.SLOW_CONSUMER)

    async def wait_closed(self) -> None:
        return None

    def summary(self) -> dict[str, object]:
        return {"close_code": self.final_close_code}


class Harness:
    def __init__(self, *, adapters: dict[str, Any] | None = None, **settings: Any) -> None:
        """`settings` are Settings fields; `adapters` more keywords for `build` (a store, a
        token verifier...)."""
        self.clock = ManualClock()
        self.container: Container = build(
            Settings(**settings), encode=encode, clock=self.clock, **(adapters or {})
        )
        self.peers: dict[str, RecordingPeer] = {}

    @property
    def chat(self) -> ChatService:
        return self.container.chat

    async def start(self) -> Harness:
        await self.container.broker.start(self.container.hub.deliver)
        return self

    def connect(self, conn_id: str) -> RecordingPeer:
        peer = self.peers[conn_id] = RecordingPeer(id=conn_id)
        self.container.connections.open(peer)
        return peer

    async def disconnect(self, conn_id: str) -> None:
        await self.container.connections.release(self.peers[conn_id])

    async def member(self, conn_id: str, name: str, room: str | None = None) -> RecordingPeer:
        peer = self.connect(conn_id)
        await self.chat.sessions.hello(conn_id, name)
        if room is not None:
            await self.chat.membership.join(conn_id, room)
        return peer
