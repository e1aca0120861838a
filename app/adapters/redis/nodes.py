"""NodeRegistry on Redis.

`<prefix>nodes` is a sorted set of nodes by heartbeat deadline (last beat + TTL); it is
what finds dead nodes, since an expired key leaves nothing to find. `<prefix>node:<id>`
is the heartbeat key itself, with the TTL (for operators: `SCAN ... MATCH <prefix>node:*`
lists the live nodes). `<prefix>node:<id>:m` indexes the node's memberships as
`room/conn_id/key`, kept by the join and leave scripts. Reaping runs one script per
membership, which removes it only if that member is still there on that node: of two
reapers, exactly one gets each LeaveChange.
"""

from __future__ import annotations

from typing import Any

from redis.asyncio import Redis

from app.adapters.redis.codec import number
from app.adapters.redis.keys import Keys
from app.adapters.redis.scripts import Scripts
from app.domain.model import Departure, LeaveChange
from app.ports import NodeMembership

# A dead node's index is read again until empty; joins stamped with a dead node's id
# (a node still running without heartbeats) end after a few rounds.
_REAP_ROUNDS = 3


def _entry(membership: NodeMembership) -> str:
    return f"{membership.room}/{membership.conn_id}/{membership.key}"


def _membership(entry: str) -> NodeMembership:
    room, conn_id, key = entry.split("/", 2)
    return NodeMembership(room=room, conn_id=conn_id, key=key)


def _change(reply: list[Any], now: float) -> tuple[str, LeaveChange]:
    room, name, key, emptied, *rest = reply
    departure = Departure(name=name, key=key, last_seen=now)
    return room, LeaveChange(
        departure=departure, new_owner=rest[0] if rest else None, room_empty=emptied == 1
    )


class RedisNodeRegistry:
    def __init__(self, client: Redis, scripts: Scripts, keys: Keys) -> None:
        self._client = client
        self._scripts = scripts
        self._keys = keys

    async def heartbeat(self, node_id: str, *, now: float, ttl_s: float) -> bool:
        return bool(await self._scripts.run("heartbeat", node_id, number(now), number(ttl_s)) == 1)

    async def dead_nodes(self, *, now: float) -> list[str]:
        with self._scripts.round_trip("dead_nodes"):
            found = await self._client.zrangebyscore(self._keys.nodes, "-inf", number(now))
        return [str(node) for node in found]

    async def alive_nodes(self, *, now: float) -> list[str]:
        with self._scripts.round_trip("alive_nodes"):
            found = await self._client.zrangebyscore(self._keys.nodes, f"({number(now)}", "+inf")
        return sorted(str(node) for node in found)

    async def memberships(self, node_id: str) -> list[NodeMembership]:
        with self._scripts.round_trip("memberships"):
            raw = await self._client.smembers(self._keys.node_members(node_id))
        return sorted(_membership(str(entry)) for entry in raw)

    async def remove(
        self, node_id: str, membership: NodeMembership, *, now: float
    ) -> LeaveChange | None:
        reply = await self._scripts.run(
            "reap_member", node_id, _entry(membership), number(now), "1"
        )
        return None if reply is None else _change(reply, now)[1]

    async def reap(self, node_id: str, *, now: float) -> list[tuple[str, LeaveChange]]:
        changes: list[tuple[str, LeaveChange]] = []
        for _ in range(_REAP_ROUNDS):
            with self._scripts.round_trip("memberships"):
                raw = await self._client.smembers(self._keys.node_members(node_id))
            entries = sorted(str(entry) for entry in raw)
            if not entries:
                break
            for entry in entries:
                reply = await self._scripts.run("reap_member", node_id, entry, number(now), "0")
                if reply == "alive":
                    return changes
                if reply is not None:
                    changes.append(_change(reply, now))
        await self._scripts.run("forget_node", node_id, number(now))
        return changes
