"""The closes counter's `code` label takes the protocol's close codes and `other`, nothing a
client can invent."""

from __future__ import annotations

import pytest
from prometheus_client import generate_latest
from prometheus_client.parser import text_string_to_metric_families

from app.adapters.prometheus import PrometheusMetrics
from app.domain.codes import CloseCode
from tests.support.metrics import sample

CLOSES = "parrotchat_closes_total"


@pytest.mark.parametrize(
    ("code", "label"),
    [
        *[pytest.param(int(c), str(int(c)), id=c.name) for c in CloseCode],
        *[pytest.param(c, str(c), id=f"library-{c}") for c in (1002, 1005, 1006, 1007, 1011)],
        pytest.param(3000, "other", id="registered-3000"),
        pytest.param(4001, "other", id="private-4001"),
        pytest.param(4999, "other", id="private-4999"),
        pytest.param(1003, "other", id="unused-1003"),
        pytest.param(1012, "other", id="service-restart"),
        pytest.param(65535, "other", id="out-of-range"),
    ],
)
def test_a_close_is_counted_under_its_code_or_other(code: int, label: str) -> None:
    metrics = PrometheusMetrics()
    metrics.connection_opened()
    metrics.connection_closed(code)
    assert sample(generate_latest(metrics.registry).decode(), CLOSES, code=label) == 1


def test_many_private_codes_make_one_series() -> None:
    metrics = PrometheusMetrics()
    for code in range(3000, 5000):
        metrics.connection_opened()
        metrics.connection_closed(code)
    exposition = generate_latest(metrics.registry).decode()
    codes = {
        found.labels["code"]
        for family in text_string_to_metric_families(exposition)
        for found in family.samples
        if found.name == CLOSES
    }
    ours = [code for code in CloseCode if 3000 <= code < 5000]  # counted under their own codes
    assert codes == {"other"} | {str(int(code)) for code in ours}
    assert sample(exposition, CLOSES, code="other") == 2000 - len(ours)
