"""uvicorn's two HTTP/1.1 protocols (httptools and h11), with admission before the app.

Each request head must be complete within the handshake deadline (from the accept, or from
the previous response on a kept-alive connection), may be at most `max_header_bytes` long
and carry at most `max_headers` fields. The size is counted on the raw bytes *before* they
reach the parser, so neither parser ever buffers more than the limit. A head over a limit
gets 431, a late one 408, a socket arriving while too many others are still pending 503 (see
app/web/admission.py); each then closes. Everything else is uvicorn's own code path.

`HeadGuard` holds that logic once; the two subclasses only tell it what their parser saw.
They lean on these uvicorn 0.54 internals (tests/integration/test_admission.py fails if
they change): `data_received` feeding the parser; `on_header`, `on_headers_complete`,
`on_message_complete` and `pipeline` (httptools); `conn.next_event` (h11);
`on_response_complete` (both); `send_400_response` as the one place a parse error is
answered; and `handle_websocket_upgrade` handing the transport to the WebSocket protocol
inside `data_received`.

Just over ~300 lines on purpose: the guard and the two protocol subclasses it serves are one
mechanism, and reading them together is how to check that both parsers get the same limits.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from http import HTTPStatus
from typing import Any, ClassVar, Literal, cast

import h11
from h11._connection import DEFAULT_MAX_INCOMPLETE_EVENT_SIZE
from uvicorn.config import Config
from uvicorn.protocols.http.h11_impl import H11Protocol
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol
from uvicorn.server import ServerState

from app.web.admission import LINGER_S, Admission, Ticket, http_refusal

HttpImpl = Literal["httptools", "h11"]

TOO_LARGE = HTTPStatus.REQUEST_HEADER_FIELDS_TOO_LARGE


class TooManyHeaders(Exception):
    """Raised inside the httptools callback; the parser turns it into a parse error."""


class HeadGuard:
    """The admission rules for one HTTP connection, whichever parser it runs."""

    def __init__(self, admission: Admission, owner: object, feed: Callable[[bytes], None]):
        self._admission = admission
        self._limits = admission.limits
        self._owner = owner
        self._feed = feed
        self._transport: asyncio.Transport | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._ticket: Ticket | None = None
        self._head_bytes = 0
        self._counting = True  # the bytes arriving now belong to a request head
        self._head_done = False  # a head completed since the last settle()
        self._parser_refusal: tuple[HTTPStatus, str] | None = None
        self._refused = False
        self._first_head = True

    # The protocol's lifecycle

    def connection_made(
        self, transport: asyncio.Transport, loop: asyncio.AbstractEventLoop
    ) -> None:
        self._transport, self._loop = transport, loop
        if not self._arm():
            self._refuse(
                HTTPStatus.SERVICE_UNAVAILABLE,
                "too many connections are still opening; retry shortly",
                linger=False,
            )

    def connection_lost(self) -> None:
        ticket, self._ticket = self._ticket, None
        if ticket is not None and ticket.owner is self._owner:
            self._admission.release(ticket)

    def data_received(self, data: bytes) -> None:
        transport = self._transport
        assert transport is not None
        while data and not self._refused and not transport.is_closing():
            if transport.get_protocol() is not self._owner:
                return  # upgraded: uvicorn drops what followed the head, as it always has
            if not self._counting:
                self._feed(data)
                self.settle()
                return
            room = self._limits.max_header_bytes - self._head_bytes
            if room <= 0:
                self._refuse(TOO_LARGE, "request head too large", linger=True)
                return
            chunk, data = data[:room], data[room:]
            self._head_bytes += len(chunk)
            self._feed(chunk)
            self.settle()

    # What the parser saw

    def too_many_headers(self, count: int) -> bool:
        if count <= self._limits.max_headers:
            return False
        self._parser_refusal = (TOO_LARGE, "too many header fields")
        return True

    def parser_hint(self, status: int) -> None:
        if status == TOO_LARGE:
            self._parser_refusal = (TOO_LARGE, "request head too large")

    def head_complete(self) -> None:
        self._counting = False
        self._head_done = True

    def message_complete(self) -> None:
        """The request is fully read: whatever comes next is the next request's head."""
        self._counting = True
        self._head_bytes = 0

    def ready_for_next_head(self) -> None:
        """The response went out and the connection is kept alive: a new deadline, a slot
        among the pending (or, if there is none, no keep-alive)."""
        transport = self._transport
        if transport is None or transport.is_closing() or self._refused:
            return
        self._head_done = False
        self._first_head = False
        if not self._arm():
            transport.close()

    def settle(self) -> None:
        """A head was completed: unless the WebSocket protocol adopted the ticket (it keeps
        the deadline running until its 101), the request is the app's now."""
        if not self._head_done:
            return
        self._head_done = False
        ticket, self._ticket = self._ticket, None
        if ticket is not None and ticket.owner is self._owner:
            self._admission.release(ticket)

    def answer_parse_error(self) -> bool:
        """uvicorn is about to answer 400; True if the error was a limit (answered 431)."""
        if self._parser_refusal is None:
            return False
        status, text = self._parser_refusal
        self._refuse(status, text, linger=True)
        return True

    # Internals

    def _note(self, what: str) -> None:
        assert self._loop is not None
        self._admission.note(self._loop, what)

    def _arm(self) -> bool:
        if self._ticket is not None:
            return True
        assert self._loop is not None
        assert self._transport is not None
        self._ticket = self._admission.open(self._loop, self._transport, self._owner, self._expired)
        return self._ticket is not None

    def _expired(self) -> None:
        self._ticket = None
        transport = self._transport
        if transport is None or transport.is_closing():
            return
        if self._refused:
            pass  # already answered, only lingering
        elif self._counting and self._head_bytes > 0:
            transport.write(http_refusal(HTTPStatus.REQUEST_TIMEOUT, "request head took too long"))
            self._note("timed out")
        elif self._first_head:
            self._note("timed out")  # connected and never said a word
        transport.close()

    def _refuse(self, status: HTTPStatus, text: str, *, linger: bool) -> None:
        transport, loop = self._transport, self._loop
        assert transport is not None
        assert loop is not None
        self._refused = True
        if transport.is_closing():
            return
        if status == TOO_LARGE:
            self._note("too large")
        transport.write(http_refusal(status, text))
        if linger and transport.can_write_eof():
            # Half-close and discard what the client is still sending, for a moment: closing
            # with unread input would reset the connection and lose the answer.
            transport.write_eof()
            loop.call_later(LINGER_S, transport.close)
        else:
            transport.close()


class AdmittedHttpToolsProtocol(HttpToolsProtocol):
    admission: ClassVar[Admission]

    def __init__(
        self,
        config: Config,
        server_state: ServerState,
        app_state: dict[str, Any],
        _loop: asyncio.AbstractEventLoop | None = None,
    ) -> None:
        super().__init__(config, server_state, app_state, _loop)
        self._guard = HeadGuard(self.admission, self, super().data_received)

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]  # narrowed as uvicorn narrows it
        super().connection_made(transport)
        self._guard.connection_made(transport, self.loop)

    def connection_lost(self, exc: Exception | None) -> None:
        self._guard.connection_lost()
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        self._guard.data_received(data)

    def on_header(self, name: bytes, value: bytes) -> None:
        super().on_header(name, value)
        if self._guard.too_many_headers(len(self.headers)):
            raise TooManyHeaders

    def on_headers_complete(self) -> None:
        self._guard.head_complete()
        super().on_headers_complete()

    def on_message_complete(self) -> None:
        super().on_message_complete()
        self._guard.message_complete()

    def on_response_complete(self) -> None:
        next_head_is_unread = not self.pipeline  # a pipelined head was parsed already
        super().on_response_complete()
        if next_head_is_unread:
            self._guard.ready_for_next_head()

    def send_400_response(self, msg: str) -> None:
        if not self._guard.answer_parse_error():
            super().send_400_response(msg)


class _GuardedH11Connection(h11.Connection):
    """h11's connection, telling the guard about each head and enforcing the header count
    (h11 itself bounds only the head's size, `max_incomplete_event_size`)."""

    def __init__(self, guard: HeadGuard, max_incomplete_event_size: int) -> None:
        super().__init__(h11.SERVER, max_incomplete_event_size=max_incomplete_event_size)
        self._guard = guard

    def next_event(self) -> Any:  # h11's own union of event types and sentinels
        try:
            event = super().next_event()
        except h11.RemoteProtocolError as error:
            self._guard.parser_hint(error.error_status_hint)
            raise
        if isinstance(event, h11.Request):
            if self._guard.too_many_headers(len(event.headers)):
                raise h11.RemoteProtocolError("too many header fields", error_status_hint=431)
            self._guard.head_complete()
        elif isinstance(event, h11.EndOfMessage):
            self._guard.message_complete()
        return event


class AdmittedH11Protocol(H11Protocol):
    admission: ClassVar[Admission]

    def __init__(
        self,
        config: Config,
        server_state: ServerState,
        app_state: dict[str, Any],
        _loop: asyncio.AbstractEventLoop | None = None,
    ) -> None:
        super().__init__(config, server_state, app_state, _loop)
        self._guard = HeadGuard(self.admission, self, super().data_received)
        self.conn = _GuardedH11Connection(
            self._guard, config.h11_max_incomplete_event_size or DEFAULT_MAX_INCOMPLETE_EVENT_SIZE
        )

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]  # narrowed as uvicorn narrows it
        super().connection_made(transport)
        self._guard.connection_made(transport, self.loop)

    def connection_lost(self, exc: Exception | None) -> None:
        self._guard.connection_lost()
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        self._guard.data_received(data)

    def on_response_complete(self) -> None:
        # Before uvicorn's: it may parse a pipelined head at once, which settle() then sees.
        self._guard.ready_for_next_head()
        super().on_response_complete()
        self._guard.settle()

    def send_400_response(self, msg: str) -> None:
        if not self._guard.answer_parse_error():
            super().send_400_response(msg)


def http_protocol_class(impl: HttpImpl, admission: Admission) -> type[asyncio.Protocol]:
    """The protocol class to pass to `uvicorn.Config(http=...)`, bound to `admission`."""
    base: type[AdmittedHttpToolsProtocol] | type[AdmittedH11Protocol] = (
        AdmittedHttpToolsProtocol if impl == "httptools" else AdmittedH11Protocol
    )
    return cast(type[asyncio.Protocol], type(base.__name__, (base,), {"admission": admission}))
