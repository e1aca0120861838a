"""Log formatting, request IDs and tracing configuration, as pure functions."""

from __future__ import annotations

import io
import json
import logging

import pytest

from app import logs as obs_log
from app.adapters.otel import provider_from_env, tracer_for, tracing_enabled
from app.adapters.prometheus import PrometheusMetrics
from app.ports import NULL_TRACER
from app.web.telemetry import accepted_request_id


def _logger(fmt: str) -> tuple[logging.Logger, io.StringIO]:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(obs_log.JsonFormatter() if fmt == "json" else obs_log.ConsoleFormatter())
    logger = logging.getLogger(f"test.obs.{fmt}")
    logger.handlers = [handler]
    logger.propagate = False
    logger.setLevel(logging.DEBUG)
    return logger, stream


def test_json_lines_carry_context_and_extra_fields() -> None:
    logger, stream = _logger("json")
    rid = obs_log.request_id.set("req-1")
    cid = obs_log.connection_id.set("conn-1")
    try:
        logger.info("hello %s", "world", extra={"room": "lobby", "count": 3})
    finally:
        obs_log.request_id.reset(rid)
        obs_log.connection_id.reset(cid)
    line = json.loads(stream.getvalue())
    assert line["msg"] == "hello world"
    assert line["level"] == "info"
    assert line["request_id"] == "req-1"
    assert line["connection_id"] == "conn-1"
    assert (line["room"], line["count"]) == ("lobby", 3)


@pytest.mark.parametrize("fmt", ["json", "console"])
def test_control_characters_cannot_forge_a_line(fmt: str) -> None:
    logger, stream = _logger(fmt)
    logger.info("user said %s", 'hi\n{"level": "error"}\u202e', extra={"ref": "a\rb"})
    out = stream.getvalue()
    assert out.count("\n") == 1
    assert "\u202e" not in out
    assert "\r" not in out


def test_exceptions_stay_inside_the_json_line() -> None:
    logger, stream = _logger("json")
    try:
        raise ValueError("boom")
    except ValueError:
        logger.exception("failed")
    line = json.loads(stream.getvalue())
    assert "ValueError: boom" in line["exc"]


def test_format_defaults_to_json_unless_on_a_terminal() -> None:
    class Tty(io.StringIO):
        def isatty(self) -> bool:
            return True

    assert obs_log.resolve_format(None, io.StringIO()) == "json"
    assert obs_log.resolve_format(None, Tty()) == "console"
    assert obs_log.resolve_format("json", Tty()) == "json"


@pytest.mark.parametrize(
    ("sent", "kept"),
    [
        pytest.param("abc-123", "abc-123", id="plain"),
        pytest.param("x" * 64, "x" * 64, id="longest"),
        pytest.param("x" * 65, None, id="too-long"),
        pytest.param("", None, id="empty"),
        pytest.param("a b", None, id="space"),
        pytest.param("a\nb", None, id="newline"),
        pytest.param("é", None, id="non-ascii"),
        pytest.param(None, None, id="absent"),
    ],
)
def test_request_ids_from_clients_must_be_short_and_printable(
    sent: str | None, kept: str | None
) -> None:
    assert accepted_request_id(sent) == kept


@pytest.mark.parametrize(
    ("env", "enabled"),
    [
        pytest.param({}, False, id="nothing-set"),
        pytest.param({"OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:4318"}, True, id="endpoint"),
        pytest.param(
            {"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "http://127.0.0.1:4318/v1/traces"},
            True,
            id="traces-endpoint",
        ),
        pytest.param(
            {"OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:4318", "OTEL_SDK_DISABLED": "true"},
            False,
            id="sdk-disabled",
        ),
    ],
)
def test_tracing_follows_the_standard_variables(env: dict[str, str], enabled: bool) -> None:
    assert tracing_enabled(env) is enabled
    provider = provider_from_env(env)
    assert (provider is not None) is enabled
    if provider is None:
        assert tracer_for(provider) is NULL_TRACER
    else:
        provider.shutdown()  # type: ignore[attr-defined]  # the SDK provider has shutdown()


def test_tracing_uses_the_service_name_from_the_environment() -> None:
    provider = provider_from_env(
        {"OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:4318", "OTEL_SERVICE_NAME": "chat-eu"}
    )
    assert provider is not None
    assert provider.resource.attributes["service.name"] == "chat-eu"  # type: ignore[attr-defined]  # SDK provider
    provider.shutdown()  # type: ignore[attr-defined]  # the SDK provider has shutdown()


def test_metrics_of_two_apps_do_not_collide() -> None:
    first, second = PrometheusMetrics(), PrometheusMetrics()
    first.message_in()
    assert first.registry.get_sample_value("parrotchat_msgs_in_total") == 1
    assert second.registry.get_sample_value("parrotchat_msgs_in_total") == 0
