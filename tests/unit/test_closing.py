from __future__ import annotations

import pytest

from app.domain.codes import MAX_CLOSE_REASON_BYTES, CloseCode, close_reason


@pytest.mark.parametrize("code", list(CloseCode), ids=lambda c: c.name)
def test_every_default_reason_fits(code: CloseCode) -> None:
    reason = close_reason(code)
    assert reason
    assert len(reason.encode()) <= MAX_CLOSE_REASON_BYTES


@pytest.mark.parametrize(
    ("reason", "expected_bytes"),
    [
        pytest.param("x" * 200, 123, id="ascii-cut"),
        pytest.param("é" * 100, 122, id="two-byte-chars-not-split"),
        pytest.param("😀" * 40, 120, id="four-byte-chars-not-split"),
        pytest.param("short", 5, id="kept"),
    ],
)
def test_custom_reasons_are_cut_to_123_bytes_on_a_character_boundary(
    reason: str, expected_bytes: int
) -> None:
    cut = close_reason(CloseCode.POLICY, reason)
    assert len(cut.encode()) == expected_bytes
    assert reason.startswith(cut)


def test_only_sendable_codes_exist() -> None:
    assert {1005, 1006, 1015}.isdisjoint(int(c) for c in CloseCode)
