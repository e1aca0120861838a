"""Exact sliding-window rate limiting, with the clock passed in as a value.

Stdlib only, no I/O, no hidden clock: callers pass `now` (seconds, e.g. from
`time.monotonic()`), tests pass a fake. Not thread-safe; one instance per connection (or
per connection and room), used from one event loop.

`RateLimiter` keeps a log of accepted event times. An event at time `t` counts in a window
of `w` seconds at time `now` while `now - w < t`, i.e. it stops counting exactly `w`
seconds later. So a rule (n, w) allows an event at `now` unless the n-th most recent
accepted event happened after `now - w`, and the earliest allowed time is that event's
time plus `w`. Only the last `max(n)` events can ever matter, which bounds memory.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Sequence

from app.domain.timefmt import ceil_ms

ABUSE_MAX_DENIALS = 20
ABUSE_WINDOW_S = 10.0


class _EventLog:
    """Times of the most recent `capacity` recorded events, oldest first."""

    __slots__ = ("_times",)

    def __init__(self, capacity: int) -> None:
        self._times: deque[float] = deque(maxlen=capacity)

    def wait_seconds(self, now: float, max_events: int, window_s: float) -> float:
        """Seconds from `now` until one more event fits under the rule (0 when it does)."""
        if len(self._times) < max_events:
            return 0.0
        nth_most_recent = self._times[-max_events]
        return max(0.0, nth_most_recent + window_s - now)

    def record(self, now: float) -> None:
        self._times.append(now)

    def clear(self) -> None:
        self._times.clear()

    def __len__(self) -> int:
        return len(self._times)


def _check_rule(max_events: int, window_s: float) -> None:
    if isinstance(max_events, bool) or not isinstance(max_events, int) or max_events < 1:
        raise ValueError(f"max_events must be a positive int, got {max_events!r}")
    if not (window_s > 0 and math.isfinite(window_s)):
        raise ValueError(f"window_seconds must be a positive finite number, got {window_s!r}")


class RateLimiter:
    """Sliding-window log limiter over several rules at once.

    >>> limiter = RateLimiter([(5, 2.0), (60, 60.0)])
    >>> [limiter.try_acquire(0.1 * i) for i in range(6)]
    [None, None, None, None, None, 1500]
    """

    __slots__ = ("_log", "_rules")

    def __init__(self, rules: Sequence[tuple[int, float]]) -> None:
        if not rules:
            raise ValueError("a RateLimiter needs at least one (max_events, window) rule")
        for max_events, window_s in rules:
            _check_rule(max_events, window_s)
        self._rules: tuple[tuple[int, float], ...] = tuple(
            (max_events, float(window_s)) for max_events, window_s in rules
        )
        self._log = _EventLog(max(max_events for max_events, _ in self._rules))

    def _wait_seconds(self, now: float) -> float:
        return max(self._log.wait_seconds(now, n, w) for n, w in self._rules)

    def retry_after_ms(self, now: float) -> int:
        """Milliseconds (rounded up) until an event would be allowed; 0 if allowed now.

        Records nothing.
        """
        return ceil_ms(self._wait_seconds(now))

    def try_acquire(self, now: float) -> int | None:
        """Record an event at `now` and return None if every rule allows it.

        Otherwise record nothing and return the exact wait in milliseconds (rounded up,
        at least 1) after which a retry would be allowed under every rule.
        """
        wait = self._wait_seconds(now)
        if wait > 0:
            return ceil_ms(wait)
        self._log.record(now)
        return None

    def reset(self) -> None:
        """Forget every recorded event."""
        self._log.clear()


class AbuseBudget:
    """Counts denials in a sliding window; exhausted at `max_denials` within the window.

    The caller closes the connection (1008) once `record_denial` returns True.
    """

    __slots__ = ("_log", "_max_denials", "_window_s")

    def __init__(
        self, max_denials: int = ABUSE_MAX_DENIALS, window_seconds: float = ABUSE_WINDOW_S
    ) -> None:
        _check_rule(max_denials, window_seconds)
        self._max_denials = max_denials
        self._window_s = float(window_seconds)
        self._log = _EventLog(max_denials)

    def record_denial(self, now: float) -> bool:
        """Record a denial at `now`; True when this makes `max_denials` within the window."""
        self._log.record(now)
        # Exhausted when the max_denials-th most recent denial (this one included) is still
        # inside the window: exactly when the log's rule (max_denials, window) says "wait".
        return self._log.wait_seconds(now, self._max_denials, self._window_s) > 0

    def reset(self) -> None:
        self._log.clear()
