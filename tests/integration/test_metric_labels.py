"""Attack 8 (issue 10), metrics: a client chooses its close code, so a close code outside the
protocol's table must not become a series of its own."""

from __future__ import annotations

import asyncio

import httpx
from prometheus_client.parser import text_string_to_metric_families
from websockets.asyncio.client import connect

from app.domain.codes import CloseCode
from tests.support.server import RunningServer

CLOSES = "parrotchat_closes_total"


def _closes_by_code(server: RunningServer) -> dict[str, float]:
    exposition = httpx.get(f"{server.http_url}/metrics", timeout=5).text
    return {
        found.labels["code"]: found.value
        for family in text_string_to_metric_families(exposition)
        for found in family.samples
        if found.name == CLOSES
    }


async def _total_after(server: RunningServer, expected: float) -> dict[str, float]:
    closes = _closes_by_code(server)
    for _ in range(100):  # a close is counted once the server has handled it
        if sum(closes.values()) >= expected:
            break
        await asyncio.sleep(0.05)
        closes = _closes_by_code(server)
    return closes


async def test_a_hundred_private_close_codes_add_no_series_but_other(
    server: RunningServer,
) -> None:
    # 100 distinct codes, registered (3000-3999) and private (4000-4999), none the server's.
    ours = {int(code) for code in CloseCode}
    codes = [code for code in range(3000, 5000, 19) if code not in ours][:100]
    assert len(codes) == 100
    before = _closes_by_code(server)
    for code in codes:
        async with connect(server.ws_url, open_timeout=5, close_timeout=2) as ws:
            await ws.close(code=code, reason="bye")
    after = await _total_after(server, sum(before.values()) + 100)
    assert set(after) - set(before) <= {"other"}
    assert after["other"] - before.get("other", 0) == 100
