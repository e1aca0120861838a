"""The composition root: the one place that reads Settings and wires ports to adapters.

Tests pass fakes (a ManualClock, a store) as keyword arguments; everything else gets its
default adapter.
"""

from __future__ import annotations

from dataclasses import dataclass

from opentelemetry.trace import TracerProvider

from app.adapters.clock import SystemClock
from app.adapters.memory import MemoryBroker, MemoryHistoryStore, MemoryRoomStore
from app.adapters.otel import provider_from_env, tracer_for
from app.adapters.prometheus import PrometheusMetrics
from app.adapters.wordlists import build_profanity_filter
from app.domain.policies.markdown import render_html
from app.ports import Broker, Clock, HistoryStore, Metrics, RoomStore, Tracer
from app.services.chat import ChatLimits, ChatService
from app.services.hub import Hub
from app.services.lifecycle import Lifecycle
from app.services.rooms import RoomQueries
from app.settings import Settings
from app.web.wire import encode


class ConfigurationError(Exception):
    """The settings ask for something this build cannot do."""


@dataclass(frozen=True, slots=True)
class Container:
    settings: Settings
    clock: Clock
    rooms: RoomStore
    history: HistoryStore
    broker: Broker
    metrics: Metrics
    tracer: Tracer
    # None when tracing is off; otherwise FastAPI is instrumented with it too.
    tracer_provider: TracerProvider | None
    hub: Hub
    chat: ChatService
    queries: RoomQueries
    lifecycle: Lifecycle


def build(
    settings: Settings,
    *,
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
    clock = clock or SystemClock()
    rooms = rooms or MemoryRoomStore()
    history = history or MemoryHistoryStore(size=settings.history_size)
    broker = broker or MemoryBroker()
    metrics = metrics or PrometheusMetrics()
    # Tracing follows the standard OTEL_* variables unless a test hands in its own provider.
    tracer_provider = tracer_provider or provider_from_env()
    tracer = tracer_for(tracer_provider)
    hub = Hub(encode, metrics, tracer)
    limits = ChatLimits(
        max_message_chars=settings.max_message_chars,
        history_size=settings.history_size,
        max_room_members=settings.max_room_members,
        max_rooms_per_connection=settings.max_rooms_per_connection,
        max_frame_bytes=settings.max_frame_bytes,
        kick_cooldown_s=settings.kick_cooldown_s,
        message_rules=settings.rate_messages,
        join_rules=settings.rate_joins,
    )
    chat = ChatService(
        rooms=rooms,
        history=history,
        broker=broker,
        hub=hub,
        clock=clock,
        metrics=metrics,
        limits=limits,
        render_html=render_html,
        profanity=build_profanity_filter(
            deny_file=settings.profanity_deny_file or None,
            redact_file=settings.profanity_redact_file or None,
            allow_file=settings.profanity_allow_file or None,
            extra_deny=settings.profanity_extra_deny,
            extra_redact=settings.profanity_extra_redact,
        ),
        tracer=tracer,
    )
    queries = RoomQueries(rooms=rooms, history=history, clock=clock)
    return Container(
        settings=settings,
        clock=clock,
        rooms=rooms,
        history=history,
        broker=broker,
        metrics=metrics,
        tracer=tracer,
        tracer_provider=tracer_provider,
        hub=hub,
        chat=chat,
        queries=queries,
        lifecycle=Lifecycle(),
    )
