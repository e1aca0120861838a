"""RoomStore on Redis: each method is one Lua script (lua/<name>.lua), so the room rules
hold across nodes exactly as Room enforces them on one (docs/decisions/0014)."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from app.adapters.memory import new_epoch
from app.adapters.redis import codec
from app.adapters.redis.codec import number
from app.adapters.redis.keys import Keys, listing_member
from app.adapters.redis.scripts import Scripts
from app.domain import invites, refusals
from app.domain.errors import ChatError
from app.domain.invites import InviteProof
from app.domain.model import Departure, LeaveChange, Member
from app.domain.timefmt import ceil_ms
from app.ports import JoinOutcome, PresenceChange, RoomListing, RoomSnapshot

# Rooms looked at per sweep script: bounds how long one script blocks Redis.
SWEEP_BATCH = 100


def _flag(value: bool) -> str:
    return "1" if value else "0"


def _snapshot(room: str, raw: list[Any]) -> RoomSnapshot:
    epoch, created, capacity, members, recent, typing, private = raw
    return RoomSnapshot(
        name=room,
        epoch=epoch,
        created_at=float(created),
        capacity=int(capacity),
        members=[
            codec.decode_member(key, static, active, away == 1)
            for key, static, active, away in members
        ],
        recent=[Departure(name=name, key=key, last_seen=float(at)) for key, name, at in recent],
        typing=list(typing),
        private=private == 1,
    )


def _refusal(
    room: str,
    member: Member,
    code: str,
    detail: str | None,
    now: float,
    *,
    invite: InviteProof | None,
) -> ChatError:
    if code == "invite_required":
        return invites.required(room)
    if code == "invite_refused":
        refusal = invite.refusal if invite is not None else None
        assert refusal is not None  # 'bad' is sent only with a refusal
        return refusal
    if code == "invite_invalid":
        return invites.invalid(room)
    if code == "invite_used":
        return invites.used(room)
    if code == "name_taken":
        return refusals.name_taken(room, member.name)
    if code == "banned":
        return refusals.banned(room)
    if code == "kicked":
        assert detail is not None
        return refusals.kicked(room, ceil_ms(float(detail) - now))
    if code == "room_full":
        assert detail is not None
        return refusals.room_full(room, int(detail))
    raise ValueError(f"unknown refusal {code!r} from join.lua")


def _invite_state(invite: InviteProof | None) -> str:
    """join.lua's `invite` argument: '' none, 'ok' an invite, 'pass' a rejoin pass, 'bad'."""
    if invite is None:
        return ""
    if invite.claim is not None:
        return "ok"
    return "pass" if invite.pass_epoch is not None else "bad"


_EVICT_REFUSALS: dict[str, Callable[[str], ChatError]] = {
    "not_in_room": refusals.not_in_room,
    "not_owner": refusals.not_owner,
    "cannot_target_self": refusals.cannot_target_self,
    "member_not_found": refusals.member_not_found,
}


def _change(name: str, key: str, now: float, emptied: int, rest: list[Any]) -> LeaveChange:
    return LeaveChange(
        departure=Departure(name=name, key=key, last_seen=now),
        new_owner=rest[0] if rest else None,
        room_empty=emptied == 1,
    )


class RedisRoomStore:
    def __init__(
        self,
        scripts: Scripts,
        keys: Keys,
        *,
        recent_max: int = 20,
        epoch_factory: Callable[[], str] = new_epoch,
    ) -> None:
        self._scripts = scripts
        self._keys = keys
        # Like Room.recent_max: fixed when a room is created (kept in its meta hash).
        self._recent_max = recent_max
        self._epoch_factory = epoch_factory

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
        self._keys.room_base(room)
        claim = invite.claim if invite is not None else None
        pass_epoch = invite.pass_epoch if invite is not None else None
        state = _invite_state(invite)
        if "/" in member.conn_id:
            # The node index stores room/conn_id/key and splits at the first two slashes.
            raise ValueError(f"a connection id has no '/': {member.conn_id!r}")
        reply = await self._scripts.run(
            "join",
            room,
            member.key,
            codec.encode_member(member),
            member.conn_id,
            member.node_id,
            number(member.last_active_at),
            _flag(member.away),
            number(now),
            capacity,
            self._epoch_factory(),
            listing_member(room, None),
            self._recent_max,
            _flag(private),
            member.sub or "",
            state,
            claim.id if claim is not None else "",
            claim.epoch if claim is not None else (pass_epoch or ""),
            claim.uses if claim is not None else 0,
            claim.spent_kept_until if claim is not None else 0,
        )
        if reply[0] != "ok":
            detail = reply[1] if len(reply) > 1 else None
            raise _refusal(room, member, reply[0], detail, now, invite=invite)
        return JoinOutcome(created=reply[1] == 1, room=_snapshot(room, reply[2]))

    async def leave(self, room: str, key: str, *, now: float) -> LeaveChange | None:
        self._keys.room_base(room)
        reply = await self._scripts.run("leave", room, key, number(now))
        if reply is None:
            return None
        name, emptied, *rest = reply
        return _change(name, key, now, emptied, rest)

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
        self._keys.room_base(room)
        reply = await self._scripts.run(
            "evict", room, actor_key, target_key, _flag(ban), number(cooldown_s), number(now)
        )
        if reply[0] != "ok":
            raise _EVICT_REFUSALS[reply[0]](room)
        _, static, active, away, *rest = reply
        target = codec.decode_member(target_key, static, active, away == 1)
        # The owner stays, so an eviction never empties the room.
        return target, _change(target.name, target_key, now, 0, rest)

    async def set_private(self, room: str, actor_key: str, private: bool, *, now: float) -> None:
        self._keys.room_base(room)
        reply = await self._scripts.run("set_private", room, actor_key, _flag(private))
        if reply[0] != "ok":
            raise _EVICT_REFUSALS[reply[0]](room)

    async def snapshot(self, room: str, *, now: float) -> RoomSnapshot | None:
        self._keys.room_base(room)
        reply = await self._scripts.run("snapshot", room, number(now))
        return None if reply is None else _snapshot(room, reply)

    async def list_rooms(self, *, limit: int, offset: int) -> tuple[list[RoomListing], int]:
        total, rows, _private = await self._scripts.run("list", max(offset, 0), max(limit, 0))
        page = [
            RoomListing(
                name=row[0],
                members=-int(float(row[1])),
                created_at=float(row[2]),
                last_message_at=float(row[3]) if len(row) > 3 else None,
            )
            for row in rows
        ]
        return page, int(total)

    async def count(self) -> int:
        total, _, private = await self._scripts.run("list", 0, 0)
        return int(total) + int(private)

    async def touch(self, room: str, key: str, *, now: float, sent_message: bool = False) -> bool:
        self._keys.room_base(room)
        back = await self._scripts.run(
            "touch", room, key, number(now), _flag(sent_message), listing_member(room, now)
        )
        return bool(back == 1)

    async def typing(self, room: str, key: str, *, now: float) -> bool:
        self._keys.room_base(room)
        return bool(await self._scripts.run("typing", room, key, number(now)) == 1)

    async def sweep(self, *, now: float) -> list[PresenceChange]:
        """Only rooms whose next deadline (in the `due` sorted set) has passed are looked
        at, a batch per script, so a sweep costs O(due rooms), not O(rooms)."""
        changes: list[PresenceChange] = []
        # Each swept room is due again only after `now`, so the loop ends; the bound is a
        # guard against a bug turning it into a busy loop.
        for _ in range(math.ceil(1_000_000 / SWEEP_BATCH)):
            looked_at, away = await self._scripts.run("sweep", number(now), SWEEP_BATCH)
            changes.extend(
                PresenceChange(room=room, member=codec.decode_member(key, static, active, True))
                for room, key, static, active in away
            )
            if looked_at < SWEEP_BATCH:
                break
        return changes
