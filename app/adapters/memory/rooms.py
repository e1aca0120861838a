"""The in-memory RoomStore (with the per-node index MemoryNodeRegistry reads)."""

from __future__ import annotations

import dataclasses
import secrets
from collections.abc import Callable

from sortedcontainers import SortedList

from app.domain import refusals
from app.domain.invites import InviteProof
from app.domain.model import LeaveChange, Member, Room
from app.ports import (
    JoinOutcome,
    NodeMembership,
    PresenceChange,
    RoomListing,
    RoomSnapshot,
)


def new_epoch() -> str:
    return secrets.token_hex(6)


def _snapshot(room: Room, now: float) -> RoomSnapshot:
    return RoomSnapshot(
        name=room.name,
        epoch=room.epoch,
        created_at=room.created_at,
        capacity=room.capacity,
        members=[dataclasses.replace(m) for m in room.members.values()],
        recent=room.recent_departures(now),
        typing=room.typing_names(now),
        private=room.private,
    )


# Busiest first: more members, then a later last message (none sorts as 0), then name.
_ListingKey = tuple[int, float, str]


def _listing_key(room: Room) -> _ListingKey:
    return (-len(room.members), -max(room.last_message_at or 0.0, 0.0), room.name)


class MemoryRoomStore:
    def __init__(
        self, *, recent_max: int = 20, epoch_factory: Callable[[], str] = new_epoch
    ) -> None:
        self._rooms: dict[str, Room] = {}
        self._recent_max = recent_max
        self._epoch_factory = epoch_factory
        # The listing, kept sorted as rooms change so that a page costs O(log n + limit).
        self._listing: SortedList[_ListingKey] = SortedList()
        self._listed: dict[str, _ListingKey] = {}
        # node id -> (room, member key) of that node's memberships, for reaping dead nodes.
        self._by_node: dict[str, set[tuple[str, str]]] = {}

    def _relist(self, room: Room) -> None:
        old = self._listed.pop(room.name, None)
        if old is not None:
            self._listing.remove(old)
        # Private rooms are never listed (nor counted in the listing's total).
        if room.members and not room.private:
            key = self._listed[room.name] = _listing_key(room)
            self._listing.add(key)

    def _forget(self, room: Room, key: str, node_id: str) -> None:
        memberships = self._by_node.get(node_id)
        if memberships is not None:
            memberships.discard((room.name, key))
            if not memberships:
                del self._by_node[node_id]

    def _removed(self, room: Room, member: Member, change: LeaveChange) -> None:
        self._forget(room, member.key, member.node_id)
        if change.room_empty:
            del self._rooms[room.name]
        self._relist(room)

    async def join(
        self,
        room: str,
        member: Member,
        *,
        capacity: int,
        now: float,
        private: bool = False,
        invite: InviteProof | None = None,
    ) -> JoinOutcome:
        # One synchronous step from the lookup to the admission: no other join can come
        # between the invite's use count being read and spent.
        current = self._rooms.get(room)
        created = current is None
        if current is None:
            current = Room(
                name=room,
                epoch=self._epoch_factory(),
                created_at=now,
                capacity=capacity,
                recent_max=self._recent_max,
            )
            current.admit(member, now)  # the creator needs no invite
            current.private = private
        else:
            current.admit(member, now, invite)
        self._rooms[room] = current
        self._by_node.setdefault(member.node_id, set()).add((room, member.key))
        self._relist(current)
        return JoinOutcome(created=created, room=_snapshot(current, now))

    async def leave(self, room: str, key: str, *, now: float) -> LeaveChange | None:
        current = self._rooms.get(room)
        member = None if current is None else current.members.get(key)
        if current is None or member is None:
            return None
        change = current.remove(key, now)
        assert change is not None  # the member was there a line ago
        self._removed(current, member, change)
        return change

    def remove_node_members(self, node_id: str, *, now: float) -> list[tuple[str, LeaveChange]]:
        """Every membership of `node_id` removed (for MemoryNodeRegistry.reap)."""
        changes = []
        for membership in self.node_memberships(node_id):
            change = self.remove_node_member(node_id, membership, now=now)
            if change is not None:
                changes.append((membership.room, change))
        self._by_node.pop(node_id, None)
        return changes

    def node_memberships(self, node_id: str) -> list[NodeMembership]:
        """The memberships indexed under `node_id` (for MemoryNodeRegistry)."""
        found = []
        for room_name, key in self._by_node.get(node_id, ()):
            current = self._rooms.get(room_name)
            member = None if current is None else current.members.get(key)
            if member is not None and member.node_id == node_id:
                found.append(NodeMembership(room=room_name, conn_id=member.conn_id, key=key))
        return sorted(found)

    def remove_node_member(
        self, node_id: str, membership: NodeMembership, *, now: float
    ) -> LeaveChange | None:
        """One membership removed if that member is still there on that node and connection."""
        current = self._rooms.get(membership.room)
        member = None if current is None else current.members.get(membership.key)
        if (
            current is None
            or member is None
            or member.node_id != node_id
            or member.conn_id != membership.conn_id
        ):
            return None
        change = current.remove(membership.key, now)
        assert change is not None  # the member was there a line ago
        self._removed(current, member, change)
        return change

    async def evict(
        self,
        room: str,
        actor_key: str,
        target_key: str,
        *,
        ban: bool,
        cooldown_s: float,
        now: float,
    ) -> tuple[Member, LeaveChange]:
        current = self._rooms.get(room)
        if current is None:
            raise refusals.not_in_room(room)
        target, change = current.evict(actor_key, target_key, now, ban=ban, cooldown_s=cooldown_s)
        self._removed(current, target, change)
        return dataclasses.replace(target), change

    async def set_private(self, room: str, actor_key: str, private: bool, *, now: float) -> None:
        current = self._rooms.get(room)
        if current is None:
            raise refusals.not_in_room(room)
        current.set_private(actor_key, private)
        self._relist(current)

    async def snapshot(self, room: str, *, now: float) -> RoomSnapshot | None:
        current = self._rooms.get(room)
        return None if current is None else _snapshot(current, now)

    async def list_rooms(self, *, limit: int, offset: int) -> tuple[list[RoomListing], int]:
        rooms = [self._rooms[name] for _, _, name in self._listing.islice(offset, offset + limit)]
        page = [
            RoomListing(
                name=r.name,
                members=len(r.members),
                created_at=r.created_at,
                last_message_at=r.last_message_at,
            )
            for r in rooms
        ]
        return page, len(self._listing)

    async def touch(self, room: str, key: str, *, now: float, sent_message: bool = False) -> bool:
        return bool(self.touch_now(room, key, now=now, sent_message=sent_message))

    def touch_now(self, room: str, key: str, *, now: float, sent_message: bool) -> bool | None:
        """`touch` without awaiting (for MemoryBroker.publish_message); None: not a member."""
        current = self._rooms.get(room)
        if current is None or key not in current.members:
            return None
        came_back = current.touch(key, now, sent_message=sent_message)
        if sent_message:
            self._relist(current)
        return came_back

    async def typing(self, room: str, key: str, *, now: float) -> bool:
        current = self._rooms.get(room)
        return current is not None and current.typing(key, now)

    async def sweep(self, *, now: float) -> list[PresenceChange]:
        changes: list[PresenceChange] = []
        for room in self._rooms.values():
            room.sweep(now)
            changes.extend(
                PresenceChange(room=room.name, member=dataclasses.replace(m))
                for m in room.mark_away(now)
            )
        return changes

    async def count(self) -> int:
        return len(self._rooms)
