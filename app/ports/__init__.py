"""The ports: every piece of I/O the services need, as small async Protocols, one module per
concept (rooms, history, broker, nodes, clock, metrics, tracing, identity, uploads).

Each method is one atomic step, so an adapter backed by a shared store (Redis, Lua) can
keep the same guarantees the in-memory adapter gets from running on one event loop
(docs/decisions/0003-ports-are-atomic-steps.md). Import from `app.ports`; the modules are
how the code is laid out, not separate contracts.
"""

from app.ports.broker import Broker, Deliver, Gap, GapReason, OnGap
from app.ports.clock import Clock
from app.ports.errors import StoreUnavailable
from app.ports.history import HistoryStore
from app.ports.identity import Identity, TokenRejected, TokenVerifier
from app.ports.metrics import METRIC_PREFIX, BrokerFigures, Metrics, NullMetrics
from app.ports.nodes import NodeMembership, NodeRegistry
from app.ports.rooms import JoinOutcome, PresenceChange, RoomListing, RoomSnapshot, RoomStore
from app.ports.tracing import NULL_TRACER, AttributeValue, NullTracer, Span, Tracer
from app.ports.uploads import UploadRecord, UploadState, UploadStore, UploadTooLarge

__all__ = [
    "METRIC_PREFIX",
    "NULL_TRACER",
    "AttributeValue",
    "Broker",
    "BrokerFigures",
    "Clock",
    "Deliver",
    "Gap",
    "GapReason",
    "HistoryStore",
    "Identity",
    "JoinOutcome",
    "Metrics",
    "NodeMembership",
    "NodeRegistry",
    "NullMetrics",
    "NullTracer",
    "OnGap",
    "PresenceChange",
    "RoomListing",
    "RoomSnapshot",
    "RoomStore",
    "Span",
    "StoreUnavailable",
    "TokenRejected",
    "TokenVerifier",
    "Tracer",
    "UploadRecord",
    "UploadState",
    "UploadStore",
    "UploadTooLarge",
]
