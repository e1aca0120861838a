"""`ref`: 1-64 printable ASCII characters without spaces (0x21-0x7E), the rule of the
X-Request-ID header it becomes in the logs."""

from __future__ import annotations

import json

import pytest
from pydantic import ValidationError

from app.domain.codes import ErrorCode
from app.web import wire
from app.web.telemetry import accepted_request_id


@pytest.mark.parametrize(
    "ref",
    [
        pytest.param("!", id="lowest"),
        pytest.param("~", id="highest"),
        pytest.param("r1", id="plain"),
        pytest.param("x" * 64, id="64"),
        pytest.param("a-b_c.d:e/f#g{h}[i]\"'\\", id="punctuation"),
    ],
)
def test_a_printable_ref_is_accepted(ref: str) -> None:
    event = wire.parse_client_event(json.dumps({"type": "ping", "ref": ref}))
    assert event.ref == ref
    assert accepted_request_id(ref) == ref  # the same rule as X-Request-ID


@pytest.mark.parametrize(
    "ref",
    [
        *[pytest.param(chr(c), id=f"C0-{c:02x}") for c in range(0x20)],
        pytest.param(" ", id="space"),
        pytest.param("\x7f", id="delete"),
        pytest.param("\x85", id="C1-next-line"),
        pytest.param("\u00a0", id="no-break-space"),
        pytest.param("\u202e", id="bidi-override"),
        pytest.param("\u200b", id="zero-width-space"),
        pytest.param("é", id="non-ascii"),
        pytest.param("r1\n", id="trailing-newline"),
        pytest.param("", id="empty"),
        pytest.param("x" * 65, id="65"),
    ],
)
def test_any_other_ref_is_an_invalid_event_at_its_path(ref: str) -> None:
    with pytest.raises(ValidationError) as failure:
        wire.parse_client_event(json.dumps({"type": "send", "room": "r", "text": "t", "ref": ref}))
    code, _, details = wire.classify(failure.value)
    assert code is ErrorCode.INVALID_EVENT
    assert [d["path"] for d in details] == ["send.ref"]
    assert accepted_request_id(ref) is None


def test_the_schema_says_so() -> None:
    schema = wire.Ping.model_json_schema()["properties"]["ref"]["anyOf"][0]
    assert schema == {"type": "string", "minLength": 1, "maxLength": 64, "pattern": "^[!-~]+$"}
