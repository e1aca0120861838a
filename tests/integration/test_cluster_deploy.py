"""The cluster's deploy files pass their tools' own checks: deploy/haproxy-cluster.cfg with
`haproxy -c` (backends pointed at this machine, as compose's names do not resolve here) and
deploy/prometheus-cluster.yml with `promtool check config`. The config is run for real in
tests/integration/test_cluster_faults.py (a drain behind it) and tests/e2e."""

from __future__ import annotations

import subprocess

from tests.integration.test_observability import promtool
from tests.support.cluster import HAPROXY_CONFIG, ROOT, haproxy_binary


def test_the_cluster_haproxy_config_passes_haproxys_own_check() -> None:
    env = {
        "PARROT_PROXY_BIND": "127.0.0.1:18080",
        "PARROT_BACKEND_1": "127.0.0.1:18081",
        "PARROT_BACKEND_2": "127.0.0.1:18082",
    }
    checked = subprocess.run(
        [haproxy_binary(), "-c", "-f", str(HAPROXY_CONFIG)],
        env=env,
        check=False,
        capture_output=True,
        timeout=30,
    )
    said = (checked.stdout + checked.stderr).decode()
    assert checked.returncode == 0, said
    assert "WARNING" not in said


def test_the_cluster_prometheus_config_passes_promtool() -> None:
    config = ROOT / "deploy" / "prometheus-cluster.yml"
    result = subprocess.run(
        [promtool(), "check", "config", "--syntax-only", str(config)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
