"""The server's own lifecycle state, shared by the probes, /ws and the drain."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class Lifecycle:
    draining: bool = False
