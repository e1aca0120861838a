"""The composition root: the one place that reads Settings and wires ports to adapters.

The web edge hands in the wire encoder (the Hub encodes each event once per broadcast), so
nothing here imports app.web. Tests pass fakes (a ManualClock, a store) as keyword arguments;
everything else gets its default adapter.
"""

from __future__ import annotations

import functools

from opentelemetry.trace import TracerProvider
from prometheus_client import CollectorRegistry

from app.adapters import otel
from app.adapters.clock import SystemClock
from app.adapters.memory import MemoryBroker, MemoryHistoryStore, MemoryRoomStore
from app.adapters.prometheus import PrometheusMetrics
from app.adapters.wordlists import build_profanity_filter
from app.container import Container
from app.domain.model import roster_chars_bound
from app.domain.policies.markdown import render_html
from app.domain.policies.names import NAME_MAX_CHARS
from app.ports import Broker, Clock, HistoryStore, Metrics, RoomStore
from app.services.chat import ChatContext, ChatLimits, ChatService
from app.services.connections import Connections
from app.services.hub import Encoder, Hub
from app.services.rooms import RoomQueries
from app.settings import Settings


class ConfigurationError(Exception):
    """The settings ask for something this build cannot do."""


def build(
    settings: Settings,
    *,
    encode: Encoder,
    clock: Clock | None = None,
    rooms: RoomStore | None = None,
    history: HistoryStore | None = None,
    broker: Broker | None = None,
    metrics: Metrics | None = None,
    tracer_provider: TracerProvider | None = None,
) -> Container:
    if settings.redis_url:
        # Two processes on separate memories would look like one chat and silently be two.
        raise ConfigurationError(
            "PARROT_REDIS_URL is set, but this version has no Redis adapter yet: "
            "unset it and run a single process"
        )
    roster = roster_chars_bound(
        settings.max_room_members, settings.recent_departures, NAME_MAX_CHARS
    )
    if roster > settings.outbox_max_bytes // 2:
        # A `joined` reply must fit a connection's outbox whatever the room holds.
        raise ConfigurationError(
            f"PARROT_MAX_ROOM_MEMBERS={settings.max_room_members} needs "
            f"PARROT_OUTBOX_MAX_BYTES of at least {2 * roster} (a full room's joined reply)"
        )
    clock = clock or SystemClock()
    rooms = rooms or MemoryRoomStore(recent_max=settings.recent_departures)
    history = history or MemoryHistoryStore(size=settings.history_size)
    broker = broker or MemoryBroker()
    registry: CollectorRegistry | None = None
    if metrics is None:
        prometheus = PrometheusMetrics()
        metrics, registry = prometheus, prometheus.registry
    # Tracing follows the standard OTEL_* variables unless a test hands in its own provider.
    tracer_provider = tracer_provider or otel.provider_from_env()
    tracer = otel.tracer_for(tracer_provider)
    hub = Hub(encode, metrics, clock.monotonic, tracer)
    context = ChatContext(
        rooms=rooms,
        history=history,
        broker=broker,
        hub=hub,
        clock=clock,
        metrics=metrics,
        tracer=tracer,
        limits=ChatLimits(
            max_message_chars=settings.max_message_chars,
            history_size=settings.history_size,
            max_room_members=settings.max_room_members,
            max_rooms_per_connection=settings.max_rooms_per_connection,
            max_frame_bytes=settings.max_frame_bytes,
            kick_cooldown_s=settings.kick_cooldown_s,
            message_rules=settings.rate_messages,
            join_rules=settings.rate_joins,
            event_rules=settings.rate_events,
            reply_chars=settings.outbox_max_bytes // 2,
        ),
    )
    chat = ChatService.create(
        context,
        render_html=render_html,
        profanity=build_profanity_filter(
            deny_file=settings.profanity_deny_file or None,
            redact_file=settings.profanity_redact_file or None,
            allow_file=settings.profanity_allow_file or None,
            extra_deny=settings.profanity_extra_deny,
            extra_redact=settings.profanity_extra_redact,
        ),
    )
    hub.on_evicted = chat.membership.forget_room
    connections = Connections(
        chat=chat,
        hub=hub,
        metrics=metrics,
        max_connections=settings.max_connections,
        hello_timeout_s=settings.hello_timeout_s,
        idle_timeout_s=settings.idle_timeout_s,
    )
    return Container(
        settings=settings,
        clock=clock,
        rooms=rooms,
        history=history,
        broker=broker,
        metrics=metrics,
        metrics_registry=registry,
        tracer=tracer,
        tracer_provider=tracer_provider,
        close_tracing=functools.partial(otel.shutdown, tracer_provider),
        hub=hub,
        chat=chat,
        queries=RoomQueries(rooms=rooms, history=history, clock=clock),
        connections=connections,
    )
