"""Sliding-window limits with a fake clock (docs/security.md rows 35-38)."""

from __future__ import annotations

import math
import random

import pytest

from app.domain.policies.rate_limit import AbuseBudget, RateLimiter
from app.settings import Settings

MESSAGE_RULES = Settings().rate_messages
JOIN_RULES = Settings().rate_joins


def test_protocol_rules_are_the_defaults() -> None:
    assert MESSAGE_RULES == ((5, 2.0), (60, 60.0))
    assert JOIN_RULES == ((10, 60.0),)


@pytest.mark.parametrize(
    ("times", "expected"),
    [
        pytest.param(
            [0.0, 0.1, 0.2, 0.3, 0.4, 0.5], [None] * 5 + [1500], id="six-in-half-a-second"
        ),
        pytest.param([0.0] * 6, [None] * 5 + [2000], id="six-at-once"),
        pytest.param([0.0, 0.0, 0.0, 0.0, 0.0, 1.999], [None] * 5 + [1], id="one-ms-left"),
        pytest.param([0.0, 0.0, 0.0, 0.0, 0.0, 1.9991], [None] * 5 + [1], id="rounds-up"),
        pytest.param([0.0, 0.0, 0.0, 0.0, 0.0, 2.0], [None] * 6, id="window-boundary"),
        pytest.param([0.0, 0.5, 1.0, 1.5, 1.9, 2.1], [None] * 6, id="oldest-expired"),
        pytest.param(
            [0.0, 0.5, 1.0, 1.5, 1.9, 2.0, 2.1], [None] * 6 + [400], id="second-oldest-waits"
        ),
        pytest.param([0.1 * i for i in range(7)], [None] * 5 + [1500, 1400], id="float-steps"),
    ],
)
def test_burst(times: list[float], expected: list[int | None]) -> None:
    limiter = RateLimiter(MESSAGE_RULES)
    assert [limiter.try_acquire(t) for t in times] == expected


def test_sixth_message_waits_the_real_remaining_time() -> None:
    limiter = RateLimiter(MESSAGE_RULES)
    for i in range(5):
        assert limiter.try_acquire(0.1 * i) is None
    elapsed = 0.5
    assert limiter.try_acquire(elapsed) == 2000 - 500
    # Waiting exactly that long is enough; a denial was not recorded.
    assert limiter.retry_after_ms(elapsed + 1.5 - 0.001) == 1
    assert limiter.try_acquire(elapsed + 1.5) is None


def test_sustained_limit_61st_in_a_minute() -> None:
    limiter = RateLimiter(MESSAGE_RULES)
    for i in range(60):  # one every 0.5 s: never over the 5-per-2-s burst
        assert limiter.try_acquire(i * 0.5) is None, i
    assert limiter.try_acquire(30.0) == 30_000
    assert limiter.try_acquire(59.999) == 1
    assert limiter.try_acquire(60.0) is None  # the first message (t=0) left the window
    assert limiter.try_acquire(60.4) == 100  # now the burst rule: 60.0, and t=0.5 expires at 60.5


def test_sustained_wait_is_the_longest_of_all_rules() -> None:
    limiter = RateLimiter(MESSAGE_RULES)
    for i in range(60):
        assert limiter.try_acquire(i * 0.9) is None
    # 60 events in [0, 53.1]; at 53.5 the burst rule allows, the minute rule says 6.5 s.
    assert limiter.retry_after_ms(53.5) == 6500
    assert limiter.try_acquire(53.5) == 6500


def test_joins_eleventh_in_a_minute() -> None:
    limiter = RateLimiter(JOIN_RULES)
    results = [limiter.try_acquire(float(t)) for t in range(12)]
    assert results == [None] * 10 + [50_000, 49_000]


def test_retry_after_ms_does_not_record() -> None:
    limiter = RateLimiter([(2, 1.0)])
    assert limiter.retry_after_ms(0.0) == 0
    assert limiter.retry_after_ms(0.0) == 0
    assert limiter.try_acquire(0.0) is None
    assert limiter.try_acquire(0.25) is None
    assert limiter.retry_after_ms(0.5) == 500
    assert limiter.retry_after_ms(1.0) == 0
    assert limiter.try_acquire(1.0) is None


def test_denials_are_not_recorded() -> None:
    limiter = RateLimiter([(1, 1.0)])
    assert limiter.try_acquire(0.0) is None
    for t in (0.1, 0.2, 0.9):
        assert limiter.try_acquire(t) is not None
    assert limiter.try_acquire(1.0) is None


def test_reset() -> None:
    limiter = RateLimiter([(1, 10.0)])
    assert limiter.try_acquire(0.0) is None
    assert limiter.try_acquire(1.0) == 9000
    limiter.reset()
    assert limiter.try_acquire(1.0) is None


def test_memory_is_bounded_by_the_largest_rule() -> None:
    limiter = RateLimiter(MESSAGE_RULES)
    for i in range(10_000):
        limiter.try_acquire(i * 1.0)
    assert len(limiter._log) == 60


@pytest.mark.parametrize(
    "rules",
    [
        pytest.param([], id="no-rules"),
        pytest.param([(0, 1.0)], id="zero-events"),
        pytest.param([(-1, 1.0)], id="negative-events"),
        pytest.param([(1, 0.0)], id="zero-window"),
        pytest.param([(1, -2.0)], id="negative-window"),
        pytest.param([(1, math.inf)], id="infinite-window"),
        pytest.param([(1, math.nan)], id="nan-window"),
        pytest.param([(1.5, 1.0)], id="float-events"),
        pytest.param([(True, 1.0)], id="bool-events"),
    ],
)
def test_invalid_rules(rules: list[tuple[int, float]]) -> None:
    with pytest.raises(ValueError, match=r"rule|max_events|window"):
        RateLimiter(rules)


def _reference_wait(history: list[float], rules: list[tuple[int, float]], now: float) -> float:
    """Brute force: the earliest time >= now at which every rule has room, minus now."""
    candidates = [now] + [t + w for t in history for _, w in rules if t + w > now]
    for at in sorted(candidates):
        if all(sum(1 for t in history if at - w < t <= at) < n for n, w in rules):
            return at - now
    raise AssertionError("unreachable: the last expiry always leaves room")


def test_matches_brute_force_on_random_traffic() -> None:
    rng = random.Random(35)
    for _ in range(200):
        rules = [(rng.randint(1, 6), rng.randint(1, 40) / 4) for _ in range(rng.randint(1, 3))]
        limiter = RateLimiter(rules)
        history: list[float] = []
        now = 0.0
        for _ in range(60):
            now += rng.choice([0.0, 0.125, 0.25, 0.5, 1.0, 3.0])
            expected_wait = _reference_wait(history, rules, now)
            assert limiter.retry_after_ms(now) == math.ceil(expected_wait * 1000)
            result = limiter.try_acquire(now)
            if expected_wait == 0:
                assert result is None
                history.append(now)
            else:
                assert result == math.ceil(expected_wait * 1000)


# --- abuse budget ----------------------------------------------------------------------


def test_abuse_budget_exhausted_on_twentieth_denial_in_ten_seconds() -> None:
    budget = AbuseBudget(20, 10.0)
    results = [budget.record_denial(i * 0.1) for i in range(20)]
    assert results == [False] * 19 + [True]
    assert budget.record_denial(2.0) is True


def test_abuse_budget_defaults() -> None:
    budget = AbuseBudget()
    assert [budget.record_denial(0.0) for _ in range(20)] == [False] * 19 + [True]


@pytest.mark.parametrize(
    ("window", "spacing", "exhausted"),
    [
        pytest.param(10.0, 0.5, True, id="20-in-9.5s"),
        pytest.param(9.5, 0.5, False, id="20-spanning-exactly-the-window"),
        pytest.param(10.0, 0.6, False, id="20-in-11.4s"),
    ],
)
def test_abuse_budget_window(window: float, spacing: float, exhausted: bool) -> None:
    budget = AbuseBudget(20, window)
    results = [budget.record_denial(i * spacing) for i in range(100)]
    assert any(results) is exhausted


def test_abuse_budget_reset() -> None:
    budget = AbuseBudget(2, 10.0)
    assert budget.record_denial(0.0) is False
    budget.reset()
    assert budget.record_denial(1.0) is False
    assert budget.record_denial(2.0) is True
