"""OpenTelemetry tracing, configured by the standard `OTEL_*` environment variables.

- `OTEL_SDK_DISABLED=true`, or no `OTEL_EXPORTER_OTLP_ENDPOINT` /
  `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`: tracing is off. The services get the port's
  NullTracer, FastAPI is not instrumented and the SDK is not even imported: zero overhead.
- Otherwise: an SDK TracerProvider (resource from `OTEL_SERVICE_NAME` /
  `OTEL_RESOURCE_ATTRIBUTES`, sampler from `OTEL_TRACES_SAMPLER`) with a batching OTLP/HTTP
  exporter, which reads the rest of its `OTEL_EXPORTER_OTLP_*` settings itself.

The services see only the `Tracer` port (app/ports/tracing.py); `OtelTracer` adapts an OpenTelemetry
API tracer to it.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from contextlib import AbstractContextManager

from opentelemetry import trace

from app import __version__
from app.ports import NULL_TRACER, AttributeValue, Span, Tracer

TRACER_NAME = "parrotchat"
DEFAULT_SERVICE_NAME = "parrotchat"


class OtelTracer:
    """The Tracer port over an OpenTelemetry tracer (spans become current, so they nest)."""

    def __init__(self, provider: trace.TracerProvider) -> None:
        self._tracer = provider.get_tracer(TRACER_NAME, __version__)

    def span(
        self, name: str, attributes: Mapping[str, AttributeValue] | None = None
    ) -> AbstractContextManager[Span]:
        return self._tracer.start_as_current_span(name, attributes=attributes)

    def annotate(self, **attributes: AttributeValue) -> None:
        span = trace.get_current_span()
        if span.is_recording():
            span.set_attributes(attributes)


def tracing_enabled(env: Mapping[str, str]) -> bool:
    if env.get("OTEL_SDK_DISABLED", "").strip().lower() == "true":
        return False
    return bool(
        env.get("OTEL_EXPORTER_OTLP_ENDPOINT", "").strip()
        or env.get("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "").strip()
    )


def provider_from_env(env: Mapping[str, str] | None = None) -> trace.TracerProvider | None:
    """A TracerProvider exporting over OTLP/HTTP when the environment asks for one, else None."""
    env = os.environ if env is None else env
    if not tracing_enabled(env):
        return None
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
    from opentelemetry.sdk.resources import SERVICE_NAME, Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor

    # Resource.create also merges OTEL_RESOURCE_ATTRIBUTES; what is passed here wins over it,
    # so the default service name is passed only when the environment names none.
    attributes: dict[str, str] = {"service.version": __version__}
    if env.get("OTEL_SERVICE_NAME"):
        attributes[SERVICE_NAME] = env["OTEL_SERVICE_NAME"]
    elif SERVICE_NAME not in env.get("OTEL_RESOURCE_ATTRIBUTES", ""):
        attributes[SERVICE_NAME] = DEFAULT_SERVICE_NAME
    resource = Resource.create(attributes)
    provider = TracerProvider(resource=resource)
    provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
    return provider


def tracer_for(provider: trace.TracerProvider | None) -> Tracer:
    return NULL_TRACER if provider is None else OtelTracer(provider)


def shutdown(provider: trace.TracerProvider | None) -> None:
    """Flush and stop the exporter (the SDK provider has shutdown(); the API one does not)."""
    stop = getattr(provider, "shutdown", None)
    if callable(stop):
        stop()
