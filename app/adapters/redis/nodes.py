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

from redis.asyncio import Redis

from app.adapters.redis.codec import number
from app.adapters.redis.connection import unavailable_on_failure
from app.adapters.redis.keys import Keys
from app.adapters.redis.scripts import Scripts
from app.domain.model import Departure, LeaveChange

# A dead node's index is read again until empty; joins stamped with a dead node's id
# (a node still running without heartbeats) end after a few rounds.
_REAP_ROUNDS = 3


class RedisNodeRegistry:
    def __init__(self, client: Redis, scripts: Scripts, keys: Keys) -> None:
        self._client = client
        self._scripts = scripts
        self._keys = keys

    async def heartbeat(self, node_id: str, *, now: float, ttl_s: float) -> bool:
        return bool(await self._scripts.run("heartbeat", node_id, number(now), number(ttl_s)) == 1)

    async def dead_nodes(self, *, now: float) -> list[str]:
        with unavailable_on_failure("dead_nodes"):
            found = await self._client.zrangebyscore(self._keys.nodes, "-inf", number(now))
        return [str(node) for node in found]

    async def reap(self, node_id: str, *, now: float) -> list[tuple[str, LeaveChange]]:
        changes: list[tuple[str, LeaveChange]] = []
        for _ in range(_REAP_ROUNDS):
            with unavailable_on_failure("reap"):
                raw = await self._client.smembers(self._keys.node_members(node_id))
            entries = sorted(str(entry) for entry in raw)
            if not entries:
                break
            for entry in entries:
                reply = await self._scripts.run("reap_member", node_id, entry, number(now))
                if reply == "alive":
                    return changes
                if reply is None:
                    continue
                room, name, key, emptied, *rest = reply
                departure = Departure(name=name, key=key, last_seen=now)
                changes.append(
                    (
                        room,
                        LeaveChange(
                            departure=departure,
                            new_owner=rest[0] if rest else None,
                            room_empty=emptied == 1,
                        ),
                    )
                )
        await self._scripts.run("forget_node", node_id, number(now))
        return changes
