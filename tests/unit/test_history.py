from __future__ import annotations

import pytest

from app.domain.history import History, Message


def _filled(size: int, count: int) -> History:
    history = History(size)
    for seq in range(1, count + 1):
        history.append(
            Message(room="r", seq=seq, id=str(seq), author="a", text="t", html="t", ts=seq)
        )
    return history


def test_seq_must_grow_by_exactly_one() -> None:
    history = _filled(3, 1)
    with pytest.raises(ValueError, match="does not follow"):
        history.append(Message(room="r", seq=3, id="x", author="a", text="", html="", ts=0))


@pytest.mark.parametrize(
    ("size", "count", "limit", "expected"),
    [
        pytest.param(50, 55, None, list(range(6, 56)), id="ring-keeps-last-50-of-55"),
        pytest.param(50, 3, None, [1, 2, 3], id="fewer-than-size"),
        pytest.param(50, 55, 2, [54, 55], id="limit"),
        pytest.param(5, 0, None, [], id="empty"),
        pytest.param(5, 5, 0, [], id="limit-zero"),
    ],
)
def test_latest(size: int, count: int, limit: int | None, expected: list[int]) -> None:
    assert [m.seq for m in _filled(size, count).latest(limit)] == expected


@pytest.mark.parametrize(
    ("count", "since", "expected"),
    [
        pytest.param(55, 55, [], id="up-to-date"),
        pytest.param(55, 50, [51, 52, 53, 54, 55], id="recoverable"),
        pytest.param(55, 5, list(range(6, 56)), id="exactly-the-oldest-kept"),
        pytest.param(55, 4, None, id="gap-too-old"),
        pytest.param(55, 56, None, id="from-the-future"),
        pytest.param(55, -1, None, id="negative"),
        pytest.param(0, 0, [], id="empty-room"),
    ],
)
def test_since(count: int, since: int, expected: list[int] | None) -> None:
    result = _filled(50, count).since(since)
    assert (None if result is None else [m.seq for m in result]) == expected


@pytest.mark.parametrize(
    ("before", "limit", "expected", "has_more"),
    [
        pytest.param(None, 5, [51, 52, 53, 54, 55], True, id="newest-page"),
        pytest.param(20, 5, [15, 16, 17, 18, 19], True, id="middle-page"),
        pytest.param(10, 50, [6, 7, 8, 9], False, id="last-page"),
        pytest.param(6, 50, [], False, id="nothing-older"),
        pytest.param(None, 50, list(range(6, 56)), False, id="everything"),
    ],
)
def test_before(before: int | None, limit: int, expected: list[int], has_more: bool) -> None:
    page, more = _filled(50, 55).before(before, limit)
    assert ([m.seq for m in page], more) == (expected, has_more)
