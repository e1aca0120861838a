"""The Metrics port on prometheus_client: the metric names, help texts and buckets, and the
adapter the services call.

The WebSocket side is ours (prometheus-fastapi-instrumentator sees only HTTP). Every name
carries the `parrotchat_` prefix. Each app instance gets its own CollectorRegistry, so tests
can build several apps in one process without "duplicated timeseries" errors.

Hot-path cost: label children are resolved once and cached, so a call is one dict lookup (for
labelled metrics) plus prometheus_client's locked increment.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, disable_created_metrics
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.registry import Collector

from app.domain.codes import KNOWN_CLOSE_CODES
from app.ports import METRIC_PREFIX as PREFIX
from app.ports import BrokerFigures

# A client picks its own close code from 3000-4999 (and may send others), so any code outside
# the protocol's table is counted as "other": one series, instead of one per code it invents.
OTHER_CLOSE_CODE = "other"

# From accepted to handed to the transport: sub-millisecond on an idle node, tens of ms under
# load; fine steps from 0.5 ms to 150 ms, then coarse ones to see stalls.
LATENCY_BUCKETS = (
    0.0005,
    0.001,
    0.002,
    0.003,
    0.005,
    0.0075,
    0.01,
    0.015,
    0.02,
    0.03,
    0.05,
    0.075,
    0.1,
    0.15,
    0.25,
    0.5,
    1.0,
    2.5,
)


# One round trip to Redis: ~0.1-0.3 ms on a LAN, a timeout (2 s by default) when it is lost.
STORE_LATENCY_BUCKETS = (
    0.0001,
    0.00025,
    0.0005,
    0.001,
    0.002,
    0.005,
    0.01,
    0.025,
    0.05,
    0.1,
    0.25,
    0.5,
    1.0,
    2.5,
)

RESYNC_REASONS = ("gap", "lost")


class _BrokerCollector(Collector):
    """The cross-node broker's counters, read when Prometheus scrapes (zero on one node)."""

    def __init__(self) -> None:
        self.figures: Callable[[], BrokerFigures] = BrokerFigures

    def collect(self) -> Iterator[CounterMetricFamily]:
        figures = self.figures()
        for name, help_text, value in (
            ("pubsub_published", "Room events this node published to Redis.", figures.published),
            ("pubsub_received", "Room events this node received from Redis.", figures.received),
            (
                "gap_repairs",
                "Messages delivered from Redis history because their live copy was missed.",
                figures.repaired,
            ),
            (
                "gaps",
                "Rooms whose missed messages were no longer in history (members sent away).",
                figures.gaps,
            ),
            (
                "redis_reconnects",
                "Times the pub/sub link to Redis came back after failing.",
                figures.reconnects,
            ),
        ):
            yield CounterMetricFamily(f"{PREFIX}_{name}", help_text, value=value)


class _OutboxCollector(Collector):
    """Outbox depth, read from the open connections when Prometheus scrapes."""

    def __init__(self) -> None:
        self.depths: Callable[[], list[int]] = list

    def collect(self) -> Iterator[GaugeMetricFamily]:
        depths = self.depths()
        yield GaugeMetricFamily(
            f"{PREFIX}_outbox_frames",
            "Frames waiting in outboxes, summed over open WebSocket connections.",
            value=sum(depths),
        )
        yield GaugeMetricFamily(
            f"{PREFIX}_outbox_depth_max",
            "Frames waiting in the fullest outbox of any open WebSocket connection.",
            value=max(depths, default=0),
        )


class ChatMetrics:
    """The metric objects, registered in `registry`."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.registry = registry
        self.connected_clients = Gauge(
            f"{PREFIX}_connected_clients", "Open WebSocket connections.", registry=registry
        )
        self.msgs_in = Counter(
            f"{PREFIX}_msgs_in", "Chat messages accepted from clients.", registry=registry
        )
        self.msgs_out = Counter(
            f"{PREFIX}_msgs_out",
            "Chat message frames queued to recipients (one per recipient, sender included).",
            registry=registry,
        )
        self.dropped_msgs = Counter(
            f"{PREFIX}_dropped_msgs",
            "Frames not delivered: slow_consumer (outbox overflow, connection closed 4008) "
            "or coalesced (typing/presence shed from a full outbox).",
            ["reason"],
            registry=registry,
        )
        self.rooms = Gauge(f"{PREFIX}_rooms", "Rooms that exist.", registry=registry)
        self.broadcast_latency = Histogram(
            f"{PREFIX}_broadcast_latency_seconds",
            "From a message being accepted to its frame being handed to the transports: once "
            "per broadcast, and once more per copy that waited in an outbox.",
            buckets=LATENCY_BUCKETS,
            registry=registry,
        )
        self.errors = Counter(
            f"{PREFIX}_errors",
            "Error events sent to clients, by protocol error code.",
            ["code"],
            registry=registry,
        )
        self.closes = Counter(
            f"{PREFIX}_closes",
            "WebSocket connections ended, by close code (1006: no close frame).",
            ["code"],
            registry=registry,
        )
        self.outboxes = _OutboxCollector()
        registry.register(self.outboxes)
        self.redis_latency = Histogram(
            f"{PREFIX}_redis_latency_seconds",
            "Round trips to Redis (a script or a command), by operation.",
            ["op"],
            buckets=STORE_LATENCY_BUCKETS,
            registry=registry,
        )
        self.redis_up = Gauge(
            f"{PREFIX}_redis_up",
            "1 while Redis answered this node's last heartbeat (1 on one node in memory).",
            registry=registry,
        )
        self.nodes_alive = Gauge(
            f"{PREFIX}_nodes_alive",
            "Nodes whose heartbeat had not run out at this node's last heartbeat.",
            registry=registry,
        )
        self.members_reaped = Counter(
            f"{PREFIX}_members_reaped",
            "Memberships of dead nodes (or left behind by failed leaves) this node removed.",
            registry=registry,
        )
        self.resyncs = Counter(
            f"{PREFIX}_resyncs",
            "Connections sent away to resume (close 4009): gap (missed room messages), "
            "lost (the store lost their memberships).",
            ["reason"],
            registry=registry,
        )
        self.broker = _BrokerCollector()
        registry.register(self.broker)


def new_registry() -> CollectorRegistry:
    # The `_created` series (a timestamp per counter) double the exposition for nothing an
    # operator uses; prometheus_client only offers a process-wide switch.
    disable_created_metrics()  # type: ignore[no-untyped-call]  # prometheus_client leaves it unannotated
    return CollectorRegistry(auto_describe=True)


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
        self._store_latency: dict[str, Callable[[float], None]] = {}
        self._resyncs = _Labelled(m.resyncs)
        for reason in RESYNC_REASONS:
            self._resyncs.inc(reason, 0)
        m.redis_up.set(1)
        m.nodes_alive.set(1)

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

    def store_latency(self, operation: str, seconds: float) -> None:
        observe = self._store_latency.get(operation)
        if observe is None:
            observe = self._store_latency[operation] = self.metrics.redis_latency.labels(
                operation
            ).observe
        observe(seconds)

    def store_up(self, up: bool) -> None:
        self.metrics.redis_up.set(1 if up else 0)

    def nodes_alive(self, count: int) -> None:
        self.metrics.nodes_alive.set(count)

    def reaped(self, count: int) -> None:
        self.metrics.members_reaped.inc(count)

    def resynced(self, reason: str, count: int) -> None:
        self._resyncs.inc(reason, count)

    def watch_broker(self, figures: Callable[[], BrokerFigures]) -> None:
        self.metrics.broker.figures = figures
