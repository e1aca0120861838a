"""One WebSocket connection's outbound side: a direct path, a bounded outbox and its single
writer task (the `Peer` that app/services/connections.py runs).

Everything sent to the client (replies, broadcasts, errors, the final close) reaches the socket
in the order it was offered. `offer` never waits:

- **Direct path.** When nothing is queued and the transport's buffer is under its high-water
  mark, the frame's WebSocket bytes (framed once per broadcast, shared by every recipient) are
  written to the transport at once, through the protocol's `write_frame`
  (app/web/transport.py). No task wakes, no ASGI message is built, nothing is framed again:
  this is most of what makes a broadcast cheap (ADR 0023).
- **Outbox.** Otherwise the frame is queued, and a writer task sends it through the ASGI
  interface, which waits for the transport to drain. While anything is queued (or being
  sent) every later frame queues behind it, so order holds. The writer task exists only
  while the outbox has something in it: an idle connection costs no task.

A full outbox means a slow consumer, which is closed (4008) rather than allowed to grow or
stall a room. A typing or presence frame that does not fit is simply dropped: those are the
only frames a client can do without.
"""

from __future__ import annotations

import asyncio
import logging
import weakref
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

from starlette.websockets import WebSocket

from app.domain.codes import CloseCode, close_reason
from app.ports import Clock, Metrics
from app.services.hub import Frame
from app.web.transport import (
    ABORT_KEY,
    DISCARD_KEY,
    FRAME_WRITER_KEY,
    LET_GO_KEY,
    STALLED_KEY,
    text_frame,
)

log = logging.getLogger("parrotchat.connection")


@dataclass(frozen=True, slots=True)
class _Close:
    code: int
    reason: str


@dataclass(frozen=True, slots=True)
class _Timed:
    """A queued room message frame, with the monotonic time its message was accepted."""

    frame: Frame
    accepted_at: float


class Connection:
    def __init__(
        self,
        websocket: WebSocket,
        conn_id: str,
        *,
        max_events: int,
        max_bytes: int,
        metrics: Metrics,
        clock: Clock,
        send_timeout_s: float,
    ) -> None:
        self.websocket = websocket
        self._send_timeout_s = send_timeout_s
        self._clock = clock
        self.id = conn_id
        self._max_events = max_events
        self._max_bytes = max_bytes
        self._metrics = metrics
        self._queue: deque[Frame | _Timed | _Close] = deque()
        self._queued_bytes = 0
        self._writer: asyncio.Task[None] | None = None
        self._closed = False  # our close is written, or the connection is over
        self._closed_waiters: list[asyncio.Future[None]] = []
        self.close_code: int | None = None
        self.closed_by_server = False
        self.frames_out = 0
        self.dropped = 0
        self.opened_at = clock.monotonic()
        self.events_in = 0
        scope = websocket.scope
        # Weak, so that the scope (which the connection holds) does not hold it back.
        scope[STALLED_KEY] = weakref.WeakMethod(self.transport_stalled)
        # The protocol's direct writer, when the server runs ours (None: every frame queues).
        writer_ref: weakref.WeakMethod[Callable[[bytes], bool]] | None = scope.get(FRAME_WRITER_KEY)
        self._write_now = writer_ref() if writer_ref is not None else None
        let_go_ref: weakref.WeakMethod[Callable[[], None]] | None = scope.get(LET_GO_KEY)
        self._let_go = let_go_ref() if let_go_ref is not None else None

    @property
    def closing(self) -> bool:
        return self.close_code is not None

    @property
    def depth(self) -> int:
        return len(self._queue)

    @property
    def final_close_code(self) -> int:
        """The close code the connection ended with; 1006 when it ended without one."""
        return self.close_code or 1006

    def summary(self) -> dict[str, object]:
        return {
            "duration_s": round(self._clock.monotonic() - self.opened_at, 3),
            "events_in": self.events_in,
            "frames_out": self.frames_out,
            "dropped": self.dropped,
            "close_code": self.final_close_code,
            "initiator": "server" if self.closed_by_server else "client",
        }

    async def wait_closed(self) -> None:
        if self._closed:
            return
        waiter = asyncio.get_running_loop().create_future()
        self._closed_waiters.append(waiter)
        await waiter

    def stop_writing(self) -> None:
        writer, self._writer = self._writer, None
        if writer is not None:
            writer.cancel()
        self._set_closed()

    def _set_closed(self) -> None:
        self._closed = True
        for waiter in self._closed_waiters:
            if not waiter.done():
                waiter.set_result(None)
        self._closed_waiters.clear()

    def _wake_writer(self) -> None:
        if self._writer is None and not self._closed:
            self._writer = asyncio.get_running_loop().create_task(self._write_queued())

    def offer(self, frame: Frame, *, droppable: bool = False, accepted_at: float = 0.0) -> bool:
        if self.close_code is not None:
            return False
        queue = self._queue
        if not queue and (write_now := self._write_now) is not None:
            wire = frame.wire
            if wire is None:
                wire = frame.wire = text_frame(frame.text)
            if write_now(wire):
                self.frames_out += 1
                return True
        size = len(frame.text)
        if len(queue) >= self._max_events or self._queued_bytes + size > self._max_bytes:
            if droppable:
                self._metrics.dropped("coalesced")
                return False
            self._give_up_on_slow_reader()
            return False
        queue.append(_Timed(frame, accepted_at) if accepted_at else frame)
        self._queued_bytes += size
        self._wake_writer()
        return True

    def offer_before_close(self, frame: Frame) -> bool:
        """Queue a last frame ahead of a close that has not been written yet (the answer to
        an event that arrived while the close was waiting its turn)."""
        queue = self._queue
        if not queue or not isinstance(queue[-1], _Close):
            return False
        queue.insert(len(queue) - 1, frame)
        self._queued_bytes += len(frame.text)
        return True

    def close(
        self, code: CloseCode, reason: str | None = None, *, discard_input: bool = False
    ) -> None:
        """Queue the close after what is already queued; later offers are refused. With
        `discard_input`, whatever the peer sends after our close is dropped unparsed and the
        socket let go a moment later (app/web/transport.py): for peers we stopped trusting."""
        if discard_input:
            self.websocket.scope[DISCARD_KEY] = True
        if self.closing:
            return
        self.close_code = int(code)
        self.closed_by_server = True
        self._queue.append(_Close(int(code), close_reason(code, reason)))
        self._wake_writer()

    def transport_stalled(self) -> None:
        """The transport's outbound buffer stayed full for the send timeout, whatever filled
        it (pongs to a ping flood, or frames of the direct path): the same verdict as a send
        that timed out. The transport aborts itself right after."""
        self.give_up()

    def give_up(self) -> None:
        """The slow-consumer verdict, from the transport or from the Hub (the events held
        while this connection joined overflowed)."""
        if self.close_code == CloseCode.SLOW_CONSUMER:
            return
        self.close_code = None
        self._give_up_on_slow_reader()

    def _give_up_on_slow_reader(self) -> None:
        """Drop the backlog (counted) and close 4008; the transport is aborted when the
        handler returns (app/web/transport), since the peer may never read the close."""
        self.websocket.scope[ABORT_KEY] = True
        dropped = sum(1 for item in self._queue if not isinstance(item, _Close)) + 1
        self._queue.clear()
        self._queued_bytes = 0
        self.dropped += dropped
        self._metrics.dropped("slow_consumer", dropped)
        self.close(CloseCode.SLOW_CONSUMER)

    async def _write_queued(self) -> None:
        """Send what is queued, in order, through the ASGI interface (which waits for the
        transport), until the outbox is empty or our close is written."""
        send = self.websocket.send_text
        timeout = self._send_timeout_s
        loop = asyncio.get_running_loop()
        queue = self._queue
        latency = self._metrics.broadcast_latency
        # The same clock that stamped `accepted_at` in the service (app/ports/clock.py).
        monotonic = self._clock.monotonic
        try:
            # One deadline for the whole batch, pushed forward before each frame: a timer per
            # frame (asyncio.wait_for makes a task each time) cost more than the send itself.
            async with asyncio.timeout(None) as deadline:
                while queue:
                    deadline.reschedule(loop.time() + timeout)
                    # Sent first, popped after: while a frame is on its way, the queue is not
                    # empty, so `offer` cannot take the direct path past it.
                    item = queue[0]
                    if isinstance(item, _Close):
                        await self.websocket.close(item.code, item.reason)
                        self._set_closed()
                        return
                    if isinstance(item, _Timed):
                        text = item.frame.text
                        await send(text)
                        latency(monotonic() - item.accepted_at)
                    else:
                        text = item.text
                        await send(text)
                    self.frames_out += 1
                    # (A slow-consumer verdict may have emptied the queue meanwhile.)
                    if queue and queue[0] is item:
                        queue.popleft()
                        self._queued_bytes -= len(text)
        except TimeoutError:
            # A peer that stopped reading cannot take a close frame either.
            log.info("send timed out after %.1fs: slow consumer", timeout)
            if self.close_code != CloseCode.SLOW_CONSUMER:
                self.close_code = None
                self._give_up_on_slow_reader()
            self._set_closed()
            if self._let_go is not None:
                self._let_go()  # the reader sees the end now, not when the peer reads again
        except Exception as gone:
            # The transport ended under the writer (the peer reset, or closed first): the
            # reader sees the disconnect and tears the connection down.
            log.debug("writer stopped: %r", gone)
            self._set_closed()
        finally:
            if self._writer is asyncio.current_task():
                self._writer = None
