"""The container files keep the promises docs/operations.md makes (hadolint and the compose
schema check run in CI; these check what neither knows about)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

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


def _cluster() -> dict[str, Any]:
    compose: dict[str, Any] = yaml.safe_load(
        (ROOT / "compose.cluster.yaml").read_text(encoding="utf-8")
    )
    return compose


def test_the_cluster_compose_runs_two_distinct_nodes_on_one_redis_that_drain_in_time() -> None:
    services = _cluster()["services"]
    nodes = {name: s for name, s in services.items() if name.startswith("parrotchat-")}
    assert len(nodes) == 2
    environments = [node["environment"] for node in nodes.values()]
    assert len({env["PARROT_NODE_ID"] for env in environments}) == 2
    assert {env["PARROT_REDIS_URL"] for env in environments} == {"redis://redis:6379/0"}
    for node in nodes.values():
        grace = float(node["environment"]["PARROT_SHUTDOWN_GRACE_S"])
        assert _seconds(node["stop_grace_period"]) > grace
        settings = Settings(
            heartbeat_interval_s=node["environment"]["PARROT_HEARTBEAT_INTERVAL_S"],
            node_ttl_s=node["environment"]["PARROT_NODE_TTL_S"],
        )
        assert settings.node_ttl_s > settings.heartbeat_interval_s
    assert "--save" in services["redis"]["command"]


def test_the_cluster_nodes_answer_to_every_name_prometheus_and_haproxy_use() -> None:
    services = _cluster()["services"]
    scrape = yaml.safe_load((ROOT / "deploy" / "prometheus-cluster.yml").read_text("utf-8"))
    targets = {
        target.rsplit(":", 1)[0]
        for job in scrape["scrape_configs"]
        for config in job["static_configs"]
        for target in config["targets"]
    }
    config = (ROOT / "deploy" / "haproxy-cluster.cfg").read_text(encoding="utf-8")
    checked = re.search(r"http-check send .* hdr Host (\S+)", config)
    assert checked
    backends = {
        value.rsplit(":", 1)[0]
        for key, value in services["haproxy"]["environment"].items()
        if key.startswith("PARROT_BACKEND_")
    }
    for name, service in services.items():
        if not name.startswith("parrotchat-"):
            continue
        hosts = Settings(allowed_hosts=service["environment"]["PARROT_ALLOWED_HOSTS"]).allowed_hosts
        assert targets <= set(hosts)
        assert checked.group(1) in hosts
        assert "localhost" in hosts  # the public name from the machine running compose
    assert backends == {n for n in services if n.startswith("parrotchat-")}
