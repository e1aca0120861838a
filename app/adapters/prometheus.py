"""The Metrics port on prometheus_client.

Hot-path cost: label children are resolved once and cached, so a call is one dict lookup (for
labelled metrics) plus prometheus_client's locked increment.
"""

from __future__ import annotations

from collections.abc import Callable

from prometheus_client import CollectorRegistry, Counter

from app.observability.metrics import ChatMetrics, new_registry
from app.web.closing import CloseCode  # a pure table (no web framework): the codes we send

# The close codes of the protocol's table (docs/operations.md "Close codes"): the ones the
# server sends, and those the WebSocket library or the wire produce. A client picks its own
# close code from 3000-4999 (and may send others), so any code outside this table is counted
# as "other": one series, instead of one per code a client invents.
LIBRARY_CLOSE_CODES = frozenset({1002, 1005, 1006, 1007, 1011})
KNOWN_CLOSE_CODES = frozenset(int(code) for code in CloseCode) | LIBRARY_CLOSE_CODES
OTHER_CLOSE_CODE = "other"


class _Labelled:
    """A labelled counter whose children are created on first use, then cached."""

    __slots__ = ("_children", "_counter")

    def __init__(self, counter: Counter) -> None:
        self._counter = counter
        self._children: dict[str, Counter] = {}

    def inc(self, label: str, amount: int = 1) -> None:
        child = self._children.get(label)
        if child is None:
            child = self._children[label] = self._counter.labels(label)
        child.inc(amount)


class PrometheusMetrics:
    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry if registry is not None else new_registry()
        m = self.metrics = ChatMetrics(self.registry)
        self._connected_inc = m.connected_clients.inc
        self._connected_dec = m.connected_clients.dec
        self._in = m.msgs_in.inc
        self._out = m.msgs_out.inc
        self._rooms = m.rooms.set
        self._latency = m.broadcast_latency.observe
        self._dropped = _Labelled(m.dropped_msgs)
        self._errors = _Labelled(m.errors)
        self._closes = _Labelled(m.closes)
        self._close_labels = {code: str(code) for code in KNOWN_CLOSE_CODES}
        for reason in ("slow_consumer", "coalesced"):
            self._dropped.inc(reason, 0)

    def connection_opened(self) -> None:
        self._connected_inc()

    def connection_closed(self, code: int) -> None:
        self._connected_dec()
        self._closes.inc(self._close_labels.get(code, OTHER_CLOSE_CODE))

    def message_in(self) -> None:
        self._in()

    def messages_out(self, count: int) -> None:
        self._out(count)

    def dropped(self, reason: str, count: int = 1) -> None:
        self._dropped.inc(reason, count)

    def error(self, code: str) -> None:
        self._errors.inc(code)

    def rooms(self, count: int) -> None:
        self._rooms(count)

    def broadcast_latency(self, seconds: float) -> None:
        self._latency(seconds)

    def watch_outboxes(self, depths: Callable[[], list[int]]) -> None:
        self.metrics.outboxes.depths = depths
