"""Attack 9 (issue 10), `ref`: a client's correlation ID is 1-64 printable ASCII characters
without spaces (the rule of X-Request-ID); anything else is refused and never echoed."""

from __future__ import annotations

import json

import pytest

from tests.support.client import connected
from tests.support.server import RunningServer


@pytest.mark.parametrize(
    "ref",
    [
        pytest.param("r1\x1b[2J", id="escape-sequence"),
        pytest.param("a\nb", id="newline"),
        pytest.param("\x00", id="nul"),
        pytest.param("a\x7f", id="delete"),
        pytest.param("a\u202eb", id="bidi-override"),
        pytest.param("a b", id="space"),
        pytest.param("réf", id="non-ascii"),
        pytest.param("", id="empty"),
        pytest.param("r" * 65, id="65-characters"),
    ],
)
async def test_a_bad_ref_is_an_invalid_event_and_is_not_echoed(
    server: RunningServer, ref: str
) -> None:
    client = await connected(server.ws_url, "Correlator")
    await client.send(type="ping", ref=ref)
    raw = await client.ws.recv()
    error = json.loads(raw)
    assert error["type"] == "error"
    assert error["code"] == "invalid_event"
    assert "ref" not in error
    assert [d["path"] for d in error["details"]] == ["ping.ref"]
    if ref:
        assert json.dumps(ref)[1:-1] not in raw  # not even JSON-escaped
    await client.send(type="ping", ref="after")  # the connection stays usable
    assert (await client.expect("pong"))["ref"] == "after"
    await client.close()


@pytest.mark.parametrize(
    "ref",
    [
        pytest.param("!", id="one-character"),
        pytest.param("~" * 64, id="64-characters"),
        pytest.param("r-1_x.y:z/#{}[]\"'\\", id="punctuation"),
    ],
)
async def test_a_printable_ascii_ref_is_echoed(server: RunningServer, ref: str) -> None:
    client = await connected(server.ws_url, "Correlator")
    await client.send(type="ping", ref=ref)
    assert (await client.expect("pong"))["ref"] == ref
    await client.close()
