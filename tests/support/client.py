"""A small test client over the real `websockets` library."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from types import TracebackType
from typing import Any, Self

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

Event = dict[str, Any]


class ChatClient:
    def __init__(self, ws: ClientConnection) -> None:
        self.ws = ws
        self.seen: list[Event] = []

    @classmethod
    async def open(cls, url: str, **kwargs: Any) -> ChatClient:
        kwargs.setdefault("open_timeout", 10)
        kwargs.setdefault("close_timeout", 2)
        # Tests often leave events unread; an unbounded queue keeps the client reading the
        # socket so that its close handshake is not stuck behind them.
        kwargs.setdefault("max_queue", None)
        return cls(await connect(url, **kwargs))

    async def send(self, **event: Any) -> None:
        await self.ws.send(json.dumps(event))

    async def send_raw(self, frame: str | bytes) -> None:
        await self.ws.send(frame)

    async def recv(self, timeout: float = 5.0) -> Event:
        raw = await asyncio.wait_for(self.ws.recv(), timeout)
        event: Event = json.loads(raw)
        self.seen.append(event)
        return event

    async def expect(self, type_: str, timeout: float = 5.0, **fields: Any) -> Event:
        """Read until an event of `type_` whose fields match arrives; others are skipped."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise AssertionError(f"no {type_} {fields} within {timeout}s; saw {self.seen[-8:]}")
            try:
                event = await self.recv(remaining)
            except TimeoutError:
                raise AssertionError(
                    f"no {type_} {fields} within {timeout}s; saw {self.seen[-8:]}"
                ) from None
            if event.get("type") == type_ and all(event.get(k) == v for k, v in fields.items()):
                return event

    async def quiet(self, duration: float = 0.3) -> list[Event]:
        """Everything that arrives within `duration` (to check that nothing else does)."""
        events: list[Event] = []
        loop = asyncio.get_running_loop()
        deadline = loop.time() + duration
        while (remaining := deadline - loop.time()) > 0:
            try:
                events.append(await self.recv(remaining))
            except TimeoutError:
                break
        return events

    async def close_code(self, timeout: float = 5.0) -> int | None:
        """Read (recording) until the server closes; the code it sent, None if none."""
        try:
            async with asyncio.timeout(timeout):
                while True:
                    await self.recv(timeout)
        except ConnectionClosed as closed:
            return closed.rcvd.code if closed.rcvd else None

    async def hello(self, name: str) -> Event:
        await self.send(type="hello", name=name)
        return await self.expect("welcome")

    async def join(self, room: str, **extra: Any) -> Event:
        await self.send(type="join", room=room, **extra)
        return await self.expect("joined", room=room)

    async def close(self) -> None:
        await self.ws.close()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        _type: type[BaseException] | None,
        _value: BaseException | None,
        _traceback: TracebackType | None,
    ) -> None:
        await self.close()


async def connected(url: str, name: str, room: str | None = None) -> ChatClient:
    client = await ChatClient.open(url)
    await client.hello(name)
    if room is not None:
        await client.join(room)
    return client


@asynccontextmanager
async def chatting(
    url: str, *names: str, room: str | None = None
) -> AsyncIterator[list[ChatClient]]:
    """Clients that said hello with `names` (and joined `room`), in that order; all of them are
    closed when the block ends, a failed assertion included."""
    async with AsyncExitStack() as stack:
        clients = [await stack.enter_async_context(await connected(url, n, room)) for n in names]
        yield clients
