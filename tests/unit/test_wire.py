"""Parsing client frames: every malformed input maps to invalid_json or invalid_event."""

from __future__ import annotations

import json

import pytest
from pydantic import ValidationError

from app.domain.codes import ErrorCode
from app.domain.events import Error
from app.web import wire


def _classify(frame: str | bytes) -> tuple[ErrorCode, list[dict[str, str]]]:
    with pytest.raises(ValidationError) as failure:
        wire.parse_client_event(frame)
    code, reason, details = wire.classify(failure.value)
    assert reason
    return code, details


@pytest.mark.parametrize(
    ("frame", "code"),
    [
        pytest.param("not json{", ErrorCode.INVALID_JSON, id="garbage"),
        pytest.param("", ErrorCode.INVALID_JSON, id="empty"),
        pytest.param('{"type":"ping"', ErrorCode.INVALID_JSON, id="truncated"),
        pytest.param("[" * 10_000 + "]" * 10_000, ErrorCode.INVALID_JSON, id="deep-nesting"),
        pytest.param(
            '{"type":"send","room":"r","text":' + "[" * 10_000 + "]" * 10_000 + "}",
            ErrorCode.INVALID_JSON,
            id="deep-nesting-in-field",
        ),
        pytest.param("[]", ErrorCode.INVALID_EVENT, id="array"),
        pytest.param('"x"', ErrorCode.INVALID_EVENT, id="string"),
        pytest.param("1", ErrorCode.INVALID_EVENT, id="number"),
        pytest.param("null", ErrorCode.INVALID_EVENT, id="null"),
        pytest.param("{}", ErrorCode.INVALID_EVENT, id="no-type"),
        pytest.param('{"type":"nope"}', ErrorCode.INVALID_EVENT, id="unknown-type"),
        pytest.param(
            '{"type":"system","text":"[system] x"}', ErrorCode.INVALID_EVENT, id="forged-system"
        ),
        pytest.param(
            '{"type":"message","room":"r","text":"x"}',
            ErrorCode.INVALID_EVENT,
            id="server-type-from-client",
        ),
        pytest.param(
            '{"type":"send","room":"r","text":123}', ErrorCode.INVALID_EVENT, id="text-int"
        ),
        pytest.param(
            '{"type":"send","room":"r","text":null}', ErrorCode.INVALID_EVENT, id="text-null"
        ),
        pytest.param(
            '{"type":"send","room":"r","text":["a"]}', ErrorCode.INVALID_EVENT, id="text-list"
        ),
        pytest.param(
            '{"type":"send","room":"r","text":true}', ErrorCode.INVALID_EVENT, id="text-bool"
        ),
        pytest.param(
            '{"type":"send","room":"r","text":1e999}', ErrorCode.INVALID_EVENT, id="text-huge-float"
        ),
        pytest.param(
            '{"type":"history","room":"r","before":1e999}',
            ErrorCode.INVALID_EVENT,
            id="seq-huge-float",
        ),
        pytest.param(
            '{"type":"join","room":"r","since":"5"}', ErrorCode.INVALID_EVENT, id="since-string"
        ),
        pytest.param(
            '{"type":"join","room":"r","since":-1}', ErrorCode.INVALID_EVENT, id="since-negative"
        ),
        pytest.param(
            '{"type":"history","room":"r","limit":51}', ErrorCode.INVALID_EVENT, id="limit-over-50"
        ),
        pytest.param('{"type":"ping","ref":""}', ErrorCode.INVALID_EVENT, id="empty-ref"),
        pytest.param(
            '{"type":"ping","ref":"' + "r" * 65 + '"}', ErrorCode.INVALID_EVENT, id="long-ref"
        ),
        pytest.param(
            '{"type":"hello","name":"\\ud800"}', ErrorCode.INVALID_JSON, id="lone-surrogate"
        ),
    ],
)
def test_malformed_frames(frame: str, code: ErrorCode) -> None:
    assert _classify(frame)[0] == code


@pytest.mark.parametrize("field", ["author", "owner", "ts", "from", "seq", "html", "system"])
def test_smuggled_fields_are_rejected_with_their_path(field: str) -> None:
    frame = json.dumps({"type": "send", "room": "r", "text": "hi", field: "x"})
    code, details = _classify(frame)
    assert code == ErrorCode.INVALID_EVENT
    assert details[0]["path"] == f"send.{field}"


def test_a_valid_frame_parses_to_its_model() -> None:
    event = wire.parse_client_event(
        '{"type":"join","room":"lobby","since":3,"epoch":"e","ref":"1"}'
    )
    assert isinstance(event, wire.Join)
    assert (event.room, event.since, event.epoch, event.ref) == ("lobby", 3, "e", "1")


def test_encoded_errors_leave_out_absent_fields_and_carry_the_ref() -> None:
    frame = wire.encode(Error(code=ErrorCode.NOT_IN_ROOM, reason="no"), "r1")
    assert json.loads(frame) == {
        "type": "error",
        "code": "not_in_room",
        "reason": "no",
        "ref": "r1",
    }


def test_astral_text_escaped_as_surrogate_pairs_parses_to_the_characters() -> None:
    text = "\U0001f600" * 512
    frame = json.dumps({"type": "send", "room": "r", "text": text})  # ensure_ascii: \ud83d\ude00
    assert "\\ud83d\\ude00" in frame
    event = wire.parse_client_event(frame)
    assert isinstance(event, wire.Send)
    assert event.text == text
