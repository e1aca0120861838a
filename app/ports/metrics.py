"""Metrics: the port, the broker's counters it reads, and the null object beside it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

METRIC_PREFIX = "parrotchat"
"""Every metric name ParrotChat exports starts with this (the chat's own and the HTTP ones)."""


@dataclass(frozen=True, slots=True)
class BrokerFigures:
    """A cross-node broker's counters since start (all zero for the in-memory broker)."""

    published: int = 0
    received: int = 0
    repaired: int = 0
    """Messages delivered from history because the live copy was missed."""
    gaps: int = 0
    """Rooms whose missed messages history no longer had (members sent away to resume)."""
    reconnects: int = 0
    """Times the pub/sub link came back after failing."""


class Metrics(Protocol):
    """Counters the services and the web edge report; adapters decide where they go."""

    def connection_opened(self) -> None: ...

    def connection_closed(self, code: int) -> None: ...

    def message_in(self) -> None: ...

    def messages_out(self, count: int) -> None: ...

    def dropped(self, reason: str, count: int = 1) -> None: ...

    def error(self, code: str) -> None: ...

    def rooms(self, count: int) -> None: ...

    def broadcast_latency(self, seconds: float) -> None:
        """A room message reached the transports `seconds` after it was accepted: once per
        broadcast, and once more for each recipient whose copy had to wait in its outbox."""
        ...

    def watch_outboxes(self, depths: Callable[[], list[int]]) -> None:
        """Read the outbox depth of every open connection when metrics are collected (so the
        hot path pays nothing for it)."""
        ...

    def store_latency(self, operation: str, seconds: float) -> None:
        """One round trip to the shared store (Redis), by operation (a script's name or a
        command group)."""
        ...

    def store_up(self, up: bool) -> None:
        """Whether the shared store answered this node's last heartbeat."""
        ...

    def nodes_alive(self, count: int) -> None:
        """Nodes whose heartbeat has not run out, as this node last saw them."""
        ...

    def reaped(self, count: int) -> None:
        """Memberships of dead nodes (or left behind) that this node removed and announced."""
        ...

    def resynced(self, reason: str, count: int) -> None:
        """Connections sent away to resume (close 4009), by why: `gap` (room messages this
        node could not repair) or `lost` (the store no longer had their memberships)."""
        ...

    def watch_broker(self, figures: Callable[[], BrokerFigures]) -> None:
        """Read the broker's counters when metrics are collected."""
        ...


class NullMetrics:
    """Metrics that go nowhere: the default for services and tests that do not read them."""

    def connection_opened(self) -> None:
        pass

    def connection_closed(self, code: int) -> None:
        pass

    def message_in(self) -> None:
        pass

    def messages_out(self, count: int) -> None:
        pass

    def dropped(self, reason: str, count: int = 1) -> None:
        pass

    def error(self, code: str) -> None:
        pass

    def rooms(self, count: int) -> None:
        pass

    def broadcast_latency(self, seconds: float) -> None:
        pass

    def watch_outboxes(self, depths: Callable[[], list[int]]) -> None:
        pass

    def store_latency(self, operation: str, seconds: float) -> None:
        pass

    def store_up(self, up: bool) -> None:
        pass

    def nodes_alive(self, count: int) -> None:
        pass

    def reaped(self, count: int) -> None:
        pass

    def resynced(self, reason: str, count: int) -> None:
        pass

    def watch_broker(self, figures: Callable[[], BrokerFigures]) -> None:
        pass
