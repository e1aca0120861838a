"""Node liveness and the memberships each node owns."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from app.domain.model import LeaveChange


@dataclass(frozen=True, slots=True, order=True)
class NodeMembership:
    """One membership a node owns, as the store indexes it."""

    room: str
    conn_id: str
    key: str


class NodeRegistry(Protocol):
    """Which nodes are alive, and removing the members of those that died.

    A member records its node (`Member.node_id`); the store indexes memberships per node.
    Nodes' clocks must agree to well within a TTL (NTP): liveness is judged by `now`."""

    async def heartbeat(self, node_id: str, *, now: float, ttl_s: float) -> bool:
        """The node is alive until `now + ttl_s`. True when it was alive already; False on
        its first beat and when it had been presumed dead (its TTL ran out), in which case
        survivors may have removed its members and it must send its clients away."""
        ...

    async def dead_nodes(self, *, now: float) -> list[str]:
        """Nodes whose TTL ran out and that have not been forgotten yet."""
        ...

    async def reap(self, node_id: str, *, now: float) -> list[tuple[str, LeaveChange]]:
        """Remove every membership of a dead node (handing ownership over, deleting rooms
        that emptied with their history), then forget the node. Each removed membership is
        returned, as (room, change), to exactly one of several concurrent reapers, which
        announces it. Nothing happens to a node that is alive again."""
        ...

    async def alive_nodes(self, *, now: float) -> list[str]:
        """Nodes whose TTL has not run out."""
        ...

    async def memberships(self, node_id: str) -> list[NodeMembership]:
        """Every membership the store says `node_id` owns (to compare with what it holds)."""
        ...

    async def remove(
        self, node_id: str, membership: NodeMembership, *, now: float
    ) -> LeaveChange | None:
        """Remove one membership of `node_id`, alive or not (a member the node no longer
        has: its leave failed, or a previous process with the same id left it behind), if
        it is still there with that node and connection; the change, or None. Exactly one
        of several concurrent callers (and reapers) gets it."""
        ...
