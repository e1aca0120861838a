"""The Container: every service and port of one running app, wired by app/bootstrap.py.

It imports only the ports, the services and the settings (and two library types of the
observability adapters), so the web edge can depend on it without depending on how it was
built; routes reach it through one FastAPI dependency (`app.web.deps.ContainerDep`).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from opentelemetry.trace import TracerProvider
from prometheus_client import CollectorRegistry

from app.ports import Broker, Clock, HistoryStore, Metrics, NodeRegistry, RoomStore, Tracer
from app.services.chat import ChatService
from app.services.connections import Connections
from app.services.hub import Hub
from app.services.node import Node
from app.services.rooms import RoomQueries
from app.settings import Settings


@dataclass(frozen=True, slots=True)
class Container:
    settings: Settings
    clock: Clock
    rooms: RoomStore
    history: HistoryStore
    broker: Broker
    metrics: Metrics
    # What GET /metrics serves (and where HTTP metrics are recorded); None: no exporter.
    metrics_registry: CollectorRegistry | None
    tracer: Tracer
    # None when tracing is off; otherwise FastAPI is instrumented with it too.
    tracer_provider: TracerProvider | None
    close_tracing: Callable[[], None]
    hub: Hub
    chat: ChatService
    queries: RoomQueries
    connections: Connections
    nodes: NodeRegistry
    # This process among the nodes: heartbeat, reaping, gaps, readiness of the store.
    node: Node
    # Redis: check that it answers (at start-up), and release the client; nothing in memory.
    open_store: Callable[[], Awaitable[None]]
    close_store: Callable[[], Awaitable[None]]
