"""Time, as a port."""

from __future__ import annotations

from typing import Protocol


class Clock(Protocol):
    """Time, injected so that tests control it."""

    def now(self) -> float:
        """Wall-clock seconds since the epoch (for timestamps shown to people)."""
        ...

    def monotonic(self) -> float:
        """Seconds from an arbitrary start, never going back (for limits and timers)."""
        ...
