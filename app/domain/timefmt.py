"""Time as people and clients see it: RFC 3339 timestamps and whole milliseconds."""

from __future__ import annotations

import functools
import math
from datetime import UTC, datetime


# A `joined` reply formats every member's joined_at, and most of them were formatted for the
# joins before it (a 10,000-member connect spent 4 % of its time here without the cache).
@functools.lru_cache(maxsize=16_384)
def rfc3339(ts: float) -> str:
    """UTC, millisecond precision: `2026-11-29T07:02:46.878Z`."""
    return datetime.fromtimestamp(ts, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def ceil_ms(seconds: float) -> int:
    """Whole milliseconds, rounded up so that a `retry_after_ms` is never early: 0 for no wait,
    at least 1 for any positive one.

    Rounded to a nanosecond first so float noise (2.0 - 0.1 = 1.9000000000000001) does not
    add a millisecond.
    """
    if seconds <= 0:
        return 0
    return max(1, math.ceil(round(seconds * 1000, 6)))
