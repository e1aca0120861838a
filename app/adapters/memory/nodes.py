"""Node liveness in memory: one process, but the same rules as the Redis NodeRegistry, so
that the contract suite (and tests that play several nodes on one store) can rely on them."""

from __future__ import annotations

from app.adapters.memory.history import MemoryHistoryStore
from app.adapters.memory.rooms import MemoryRoomStore
from app.domain.model import LeaveChange
from app.ports import NodeMembership


class MemoryNodeRegistry:
    """Memberships by node come from MemoryRoomStore's per-node index."""

    def __init__(self, rooms: MemoryRoomStore, history: MemoryHistoryStore) -> None:
        self._rooms = rooms
        self._history = history
        self._deadlines: dict[str, float] = {}

    async def heartbeat(self, node_id: str, *, now: float, ttl_s: float) -> bool:
        before = self._deadlines.get(node_id)
        self._deadlines[node_id] = now + ttl_s
        return before is not None and before > now

    async def dead_nodes(self, *, now: float) -> list[str]:
        return [n for n, d in sorted(self._deadlines.items(), key=_by_deadline) if d <= now]

    async def reap(self, node_id: str, *, now: float) -> list[tuple[str, LeaveChange]]:
        deadline = self._deadlines.get(node_id)
        if deadline is not None and deadline > now:
            return []
        changes = self._rooms.remove_node_members(node_id, now=now)
        for room, change in changes:
            if change.room_empty:
                await self._history.drop(room)
        self._deadlines.pop(node_id, None)
        return changes

    async def alive_nodes(self, *, now: float) -> list[str]:
        return sorted(n for n, d in self._deadlines.items() if d > now)

    async def memberships(self, node_id: str) -> list[NodeMembership]:
        return self._rooms.node_memberships(node_id)

    async def remove(
        self, node_id: str, membership: NodeMembership, *, now: float
    ) -> LeaveChange | None:
        change = self._rooms.remove_node_member(node_id, membership, now=now)
        if change is not None and change.room_empty:
            await self._history.drop(membership.room)
        return change


def _by_deadline(item: tuple[str, float]) -> tuple[float, str]:
    return item[1], item[0]
