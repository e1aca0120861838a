"""This process as one node of the chat: its heartbeat, removing the members of dead nodes,
keeping the store's record of its own members in step with what it holds, and what it does
when it may have missed room messages (a gap) or lost its members.

Several processes on one Redis are one chat (docs/operations.md "Scaling out"; ADR 0017):

- **Heartbeat** every `heartbeat_interval_s`: the node is alive for `ttl_s` after each beat.
  A failed beat means the store is lost: readiness goes 503 (`ready`), and the next beat
  that succeeds brings it back.
- **Reaping**: the nodes whose TTL ran out lose their members; each removed membership is
  announced once (left, offline, the new owner) by the one node whose script removed it.
  A node reaps only once it has been in touch with the store for a whole TTL, so that after
  an outage every live node has had the time to beat before anyone is taken for dead.
- **Reconciling** (at start, after a store outage, when the node learns it was presumed
  dead, which is also what a Redis restarted empty looks like, and every few beats): a
  membership the store has and this node does not (a leave that failed while the store was
  down, a previous process with the same node id) is removed and announced; a connection
  whose membership the store lost (reaped, Redis emptied) is sent away with close 4009, so
  that it comes back and re-joins with since/epoch: no ghosts, no stale owners.
- **Gaps**: the broker repairs what it can from history and reports the rest (`on_gap`);
  the room's local members are sent away the same way, except those who joined the room
  as it is now (a room created again).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from app.ports import Clock, Gap, GapReason, Metrics, NodeRegistry, StoreUnavailable
from app.services.chat import ChatService
from app.services.connections import Connections
from app.services.hub import Hub

log = logging.getLogger("parrotchat.node")

# Every this many housekeeping rounds (one per heartbeat at most) the node also reconciles
# (cheap: one SMEMBERS of its own index).
RECONCILE_EVERY = 10


class Node:
    def __init__(
        self,
        *,
        node_id: str,
        nodes: NodeRegistry,
        chat: ChatService,
        hub: Hub,
        connections: Connections,
        clock: Clock,
        metrics: Metrics,
        heartbeat_interval_s: float,
        ttl_s: float,
    ) -> None:
        self.id = node_id
        self._nodes = nodes
        self._chat = chat
        self._hub = hub
        self._connections = connections
        self._clock = clock
        self._metrics = metrics
        self._interval_s = heartbeat_interval_s
        self._ttl_s = ttl_s
        # How long a missing membership may be in flight (an eviction on its way) before
        # its connection is sent away.
        self._settle_s = min(0.5, heartbeat_interval_s / 2)
        self.ready = True
        """False while the store is lost (readiness answers 503)."""
        self._up_since: float | None = None
        # Due at the first round too: a process restarted with the same PARROT_NODE_ID within
        # the TTL finds itself alive, and its predecessor's members still there.
        self._reconcile_due = True
        self._rounds = 0
        self._beaten = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []
        connections.on_store_failure = self.store_failed

    async def start(self) -> None:
        """The first beat and reconcile, then the heartbeat and housekeeping tasks."""
        await self.beat()
        await self.housekeeping()
        loop = asyncio.get_running_loop()
        self._tasks = [
            loop.create_task(self._beating(), name="node-heartbeat"),
            loop.create_task(self._housekeeping(), name="node-housekeeping"),
        ]

    async def stop(self) -> None:
        tasks, self._tasks = self._tasks, []
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        # The connections are gone: what the store still holds under this id was left by
        # leaves that failed. Removing it now spares the room a TTL of ghosts.
        try:
            await self.reconcile()
        except StoreUnavailable as lost:
            log.warning("could not remove this node's last memberships: %s", lost)

    def store_failed(self) -> None:
        """A call to the store failed: not ready until a heartbeat succeeds again."""
        if self.ready:
            log.warning("the store is unavailable; not ready until it answers again")
        self.ready = False
        self._up_since = None
        self._metrics.store_up(False)

    async def _beating(self) -> None:
        # Its own task, at a fixed rate: reaping a large dead node (one script per member)
        # must not delay this node's own beat, or the others would take it for dead too.
        loop = asyncio.get_running_loop()
        due = loop.time()
        while True:
            due = max(due + self._interval_s, loop.time())
            await asyncio.sleep(due - loop.time())
            try:
                await self.beat()
            except Exception:
                log.exception("node heartbeat failed")

    async def _housekeeping(self) -> None:
        while True:
            await self._beaten.wait()
            self._beaten.clear()
            try:
                await self.housekeeping()
            except StoreUnavailable as lost:
                log.warning("housekeeping of nodes failed: %s", lost)
                self.store_failed()
            except Exception:
                log.exception("housekeeping of nodes failed")

    async def beat(self) -> None:
        now = self._clock.now()
        try:
            was_alive = await self._nodes.heartbeat(self.id, now=now, ttl_s=self._ttl_s)
        except StoreUnavailable as lost:
            if self.ready:
                log.warning("heartbeat failed: %s", lost)
            self.store_failed()
            return
        if not self.ready:
            log.info("the store answers again")
            self._reconcile_due = True
        if not was_alive:
            if self._up_since is not None:
                log.warning("this node was presumed dead (or Redis lost its data)")
            self._reconcile_due = True
        self.ready = True
        self._metrics.store_up(True)
        if self._up_since is None:
            self._up_since = self._clock.monotonic()
        self._beaten.set()

    async def housekeeping(self) -> None:
        """After a beat: reconcile when due (and every few rounds), reap dead nodes once
        this node has been in touch with the store for a whole TTL."""
        if self._up_since is None:
            return
        self._rounds += 1
        if self._reconcile_due or self._rounds % RECONCILE_EVERY == 0:
            self._reconcile_due = False
            await self.reconcile()
        if self._clock.monotonic() - self._up_since >= self._ttl_s:
            await self.reap()
        self._metrics.nodes_alive(len(await self._nodes.alive_nodes(now=self._clock.now())))

    async def reap(self) -> None:
        """Remove and announce the members of every node whose TTL ran out."""
        now = self._clock.now()
        for dead in await self._nodes.dead_nodes(now=now):
            if dead == self.id:
                continue
            changes = await self._nodes.reap(dead, now=now)
            for room, change in changes:
                await self._chat.membership.announce_departure(room, change, now)
            if changes:
                log.info("removed %d memberships of dead node %s", len(changes), dead)
                self._metrics.reaped(len(changes))

    async def reconcile(self) -> None:
        """Make the store's memberships of this node and the ones it holds agree."""
        stored = await self._nodes.memberships(self.id)
        held = self._chat.sessions.memberships()
        joining = self._hub.memberships()
        now = self._clock.now()
        removed = 0
        for membership in stored:
            pair = (membership.room, membership.conn_id)
            if pair in held or pair in joining:
                continue
            change = await self._nodes.remove(self.id, membership, now=now)
            if change is not None:
                removed += 1
                await self._chat.membership.announce_departure(membership.room, change, now)
        if removed:
            log.info("removed %d memberships this node no longer has", removed)
            self._metrics.reaped(removed)
        missing = held - {(m.room, m.conn_id) for m in stored}
        if not missing:
            return
        # An eviction removes the member from the store before its notice arrives here.
        await asyncio.sleep(self._settle_s)
        stored_now = {(m.room, m.conn_id) for m in await self._nodes.memberships(self.id)}
        missing = (missing & self._chat.sessions.memberships()) - stored_now
        sent = self._connections.send_away({conn_id for _room, conn_id in missing})
        if sent:
            log.warning("sent %d connections away: the store lost their memberships", sent)
            self._metrics.resynced("lost", sent)

    def on_gap(self, gap: Gap) -> None:
        """The broker could not repair what this node missed of a room: its members here
        resume elsewhere (or here) with since/epoch."""
        members = self._hub.local_members(gap.room)
        if gap.reason is GapReason.RECREATED and gap.epoch is not None:
            sessions = self._chat.sessions
            members = [c for c in members if sessions.joined_epoch(c, gap.room) != gap.epoch]
        sent = self._connections.send_away(members)
        if sent:
            log.warning(
                "room %s: sent %d members away to resume (%s after seq %d)",
                gap.room,
                sent,
                gap.reason,
                gap.after_seq,
            )
            self._metrics.resynced("gap", sent)
