"""The container files keep the promises docs/operations.md makes (hadolint and the compose
schema check run in CI; these check what neither knows about)."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from app.settings import Settings

ROOT = Path(__file__).resolve().parents[2]


def _seconds(value: str) -> float:
    match = re.fullmatch(r"(\d+(?:\.\d+)?)(ms|s|m)", value)
    assert match, value
    number, unit = float(match.group(1)), match.group(2)
    return number * {"ms": 0.001, "s": 1.0, "m": 60.0}[unit]


def test_compose_waits_longer_than_the_drain() -> None:
    text = (ROOT / "compose.yaml").read_text(encoding="utf-8")
    grace = re.search(r'PARROT_SHUTDOWN_GRACE_S: "?(\d+(?:\.\d+)?)"?', text)
    stop = re.search(r"stop_grace_period: (\S+)", text)
    assert grace
    assert stop
    assert _seconds(stop.group(1)) > float(grace.group(1))


def test_the_image_runs_as_a_numeric_non_root_user_with_an_exec_form_healthcheck() -> None:
    text = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    user = re.findall(r"^USER (\S+)$", text, re.MULTILINE)
    assert user
    assert re.fullmatch(r"[1-9]\d*:[1-9]\d*", user[-1])
    assert re.search(r'^\s+CMD \["python", "-c", ".*/healthz', text, re.MULTILINE)
    assert "STOPSIGNAL SIGTERM" in text
    assert "PARROT_HOST=0.0.0.0" in text
    assert re.search(r"^FROM python:3\.11|^ARG PYTHON_IMAGE=python:3\.11[\w.-]*-slim", text, re.M)
    assert text.count("\nFROM ") >= 2


def test_compose_lets_prometheus_and_the_published_port_past_the_host_check() -> None:
    compose = yaml.safe_load((ROOT / "compose.yaml").read_text(encoding="utf-8"))
    scrape = yaml.safe_load((ROOT / "deploy" / "prometheus.yml").read_text(encoding="utf-8"))
    environment = compose["services"]["parrotchat"]["environment"]
    hosts = Settings(allowed_hosts=environment["PARROT_ALLOWED_HOSTS"]).allowed_hosts
    targets = [
        target.rsplit(":", 1)[0]
        for job in scrape["scrape_configs"]
        for config in job["static_configs"]
        for target in config["targets"]
    ]
    assert targets
    assert set(targets) <= set(hosts)
    assert "localhost" in hosts  # http://localhost:8000 from the machine running compose
