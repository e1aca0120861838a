"""The composition root: the one place that reads Settings and wires ports to adapters.

The web edge hands in the wire encoder (the Hub encodes each event once per broadcast), so
nothing here imports app.web. With PARROT_REDIS_URL the stores, the broker and the node
registry are the Redis adapters (every process on that Redis is one chat), else the
in-memory ones. Tests pass fakes (a ManualClock, metrics) as keyword arguments; everything
else gets its default adapter.

Longer than ~300 lines on purpose: it is one concept, the wiring, and reading it top to bottom
is how a newcomer learns what the app is made of; splitting it would scatter that list.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

from opentelemetry.trace import TracerProvider
from prometheus_client import CollectorRegistry

from app.adapters import otel
from app.adapters.clock import SystemClock
from app.adapters.jwt_verifier import KeyConfigError, build_token_verifier
from app.adapters.memory import MemoryBroker, MemoryHistoryStore, MemoryRoomStore
from app.adapters.memory.nodes import MemoryNodeRegistry
from app.adapters.prometheus import PrometheusMetrics
from app.adapters.redis import LinkOptions, RedisOptions, build_redis
from app.adapters.uploads import DirectoryUploadStore
from app.adapters.wordlists import build_profanity_filter
from app.container import Container
from app.domain.model import roster_chars_bound
from app.domain.policies.markdown import render_html
from app.domain.policies.names import NAME_MAX_CHARS
from app.domain.signing import MIN_KEY_BYTES, Signer
from app.ports import (
    Broker,
    BrokerFigures,
    Clock,
    HistoryStore,
    Metrics,
    NodeRegistry,
    RoomStore,
    TokenVerifier,
    UploadStore,
)
from app.services.auth import Authenticator, AuthMode
from app.services.chat import ChatContext, ChatLimits, ChatService, InviteLimits
from app.services.chat.attachments import AttachmentLimits, AttachmentLinks, Attachments
from app.services.chat.privacy import Privacy
from app.services.connections import Connections
from app.services.hub import Encoder, Hub
from app.services.node import Node
from app.services.rooms import RoomQueries
from app.settings import Settings

log = logging.getLogger("parrotchat")


class ConfigurationError(Exception):
    """The settings ask for something this build cannot do."""


@dataclass(frozen=True, slots=True)
class _Store:
    rooms: RoomStore
    history: HistoryStore
    broker: Broker
    nodes: NodeRegistry
    open: Callable[[], Awaitable[None]]
    close: Callable[[], Awaitable[None]]


async def _nothing() -> None:
    return None


def redis_options(settings: Settings) -> RedisOptions:
    return RedisOptions(
        url=settings.redis_url,
        command_timeout_s=settings.redis_timeout_s,
        connect_timeout_s=settings.redis_timeout_s,
        client_name=f"parrotchat-{settings.node_id}",
    )


def check_store(settings: Settings) -> None:
    """Before the server starts: with PARROT_REDIS_URL, Redis must answer (RedisUnreachable,
    one line, for the entry point to print and exit on)."""
    if not settings.redis_url:
        return

    async def ping() -> None:
        adapters = build_redis(redis_options(settings), clock=SystemClock(), history_size=1)
        await adapters.ping()
        await adapters.client.aclose()

    asyncio.run(ping())


def _redis_store(settings: Settings, clock: Clock, metrics: Metrics) -> _Store:
    redis = build_redis(
        redis_options(settings),
        clock=clock,
        history_size=settings.history_size,
        recent_max=settings.recent_departures,
        prefix=settings.redis_prefix,
        link=LinkOptions(
            # A frozen Redis is noticed within a heartbeat; a subscription that Redis does
            # not confirm in time fails the join like any other store call.
            health_interval_s=settings.heartbeat_interval_s,
            subscribe_timeout_s=settings.redis_timeout_s,
        ),
        observe=metrics.store_latency,
    )
    broker = redis.broker

    def figures() -> BrokerFigures:
        counters = broker.counters
        return BrokerFigures(
            published=counters.published,
            received=counters.received,
            repaired=counters.repaired,
            gaps=counters.gaps,
            reconnects=broker.reconnects,
        )

    metrics.watch_broker(figures)
    return _Store(redis.rooms, redis.history, broker, redis.nodes, redis.ping, redis.close)


def _memory_store(settings: Settings) -> _Store:
    rooms = MemoryRoomStore(recent_max=settings.recent_departures)
    history = MemoryHistoryStore(size=settings.history_size)
    return _Store(
        rooms,
        history,
        MemoryBroker(history, rooms),
        MemoryNodeRegistry(rooms, history),
        _nothing,
        _nothing,
    )


def build(
    settings: Settings,
    *,
    encode: Encoder,
    clock: Clock | None = None,
    metrics: Metrics | None = None,
    tracer_provider: TracerProvider | None = None,
    token_verifier: TokenVerifier | None = None,
    uploads: UploadStore | None = None,
) -> Container:
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
    registry: CollectorRegistry | None = None
    if metrics is None:
        prometheus = PrometheusMetrics()
        metrics, registry = prometheus, prometheus.registry
    # With PARROT_REDIS_URL every process on that Redis is one chat; else one in memory.
    store = (
        _redis_store(settings, clock, metrics) if settings.redis_url else _memory_store(settings)
    )
    rooms, history, broker = store.rooms, store.history, store.broker
    # Tracing follows the standard OTEL_* variables unless a test hands in its own provider.
    tracer_provider = tracer_provider or otel.provider_from_env()
    tracer = otel.tracer_for(tracer_provider)
    auth = _authenticator(settings, token_verifier)
    uploads = uploads or _upload_store(settings)
    signer = _signer(settings)
    links = AttachmentLinks(signer, clock, download_ttl_s=settings.download_url_ttl_s)
    # Every frame a message goes out in carries a freshly signed download URL.
    hub = Hub(
        links.encoder(encode),
        metrics,
        clock.monotonic,
        tracer,
        max_pending=settings.outbox_max_events,
    )
    context = ChatContext(
        rooms=rooms,
        history=history,
        broker=broker,
        hub=hub,
        clock=clock,
        metrics=metrics,
        tracer=tracer,
        node_id=settings.node_id,
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
            max_attachment_bytes=settings.upload_max_bytes if uploads is not None else 0,
        ),
    )
    attachments = Attachments(
        context,
        store=uploads,
        links=links,
        limits=AttachmentLimits(
            max_bytes=settings.upload_max_bytes,
            room_max_bytes=settings.upload_room_max_bytes,
            upload_ttl_s=settings.upload_url_ttl_s,
            download_ttl_s=settings.download_url_ttl_s,
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
        auth=auth,
        attachments=attachments,
        privacy=Privacy(
            context,
            signer=signer,
            limits=InviteLimits(
                ttl_s=settings.invite_ttl_s,
                max_ttl_s=settings.invite_max_ttl_s,
                max_uses=settings.invite_max_uses,
                rejoin_ttl_s=settings.rejoin_ttl_s,
            ),
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
    chat.sessions.on_token_expiry = connections.token_expires_in
    node = Node(
        node_id=settings.node_id,
        nodes=store.nodes,
        chat=chat,
        hub=hub,
        connections=connections,
        clock=clock,
        metrics=metrics,
        heartbeat_interval_s=settings.heartbeat_interval_s,
        ttl_s=settings.node_ttl_s,
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
        queries=RoomQueries(rooms=rooms, history=history, clock=clock, signer=signer, auth=auth),
        connections=connections,
        nodes=store.nodes,
        node=node,
        open_store=store.open,
        close_store=store.close,
    )


def _authenticator(settings: Settings, verifier: TokenVerifier | None) -> Authenticator:
    mode = AuthMode(settings.auth)
    if mode is AuthMode.OFF:
        return Authenticator()
    if verifier is None:
        try:
            verifier = build_token_verifier(
                secret=settings.jwt_secret.get_secret_value(),
                public_key_pem=settings.jwt_public_key,
                jwks_file=settings.jwt_jwks_file,
                issuer=settings.jwt_issuer,
                audience=settings.jwt_audience,
                leeway_s=settings.jwt_leeway_s,
                name_claim=settings.jwt_name_claim,
            )
        except KeyConfigError as error:
            raise ConfigurationError(f"PARROT_AUTH={mode.value}: {error}") from None
    return Authenticator(mode, verifier)


def _signer(settings: Settings) -> Signer:
    key = settings.secret_key.get_secret_value().encode("utf-8")
    previous = settings.secret_key_previous.get_secret_value().encode("utf-8") or None
    if not key:
        # Fine for one process; signed URLs then die with it and no other process accepts them.
        log.warning(
            "PARROT_SECRET_KEY is not set: signing URLs and invites with a random key for "
            "this process only (set it when running several processes or across restarts)"
        )
        key = secrets.token_bytes(MIN_KEY_BYTES)
    try:
        return Signer(key, previous)
    except ValueError:
        raise ConfigurationError(
            f"PARROT_SECRET_KEY and PARROT_SECRET_KEY_PREVIOUS need at least {MIN_KEY_BYTES} bytes"
        ) from None


def _upload_store(settings: Settings) -> UploadStore | None:
    if not settings.upload_dir:
        return None
    try:
        return DirectoryUploadStore(Path(settings.upload_dir))
    except OSError as error:
        raise ConfigurationError(f"PARROT_UPLOAD_DIR: {error}") from None
