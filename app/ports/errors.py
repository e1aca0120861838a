"""What any store port may raise."""

from __future__ import annotations


class StoreUnavailable(Exception):
    """A port could not reach the store behind it (Redis down, a timeout, a dropped
    connection). After a timeout the step may or may not have happened; the caller tells
    its client (`service_unavailable`) rather than guess."""
