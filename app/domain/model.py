"""Rooms and their members.

A Room holds who is in it (in join order: the first member is the owner, so ownership
passes to the oldest remaining member without being stored twice), who left recently, who is
typing, and who may not come back (kick cooldowns and bans). Every method takes `now` as a
value and either changes the room and returns what changed, or raises ChatError and changes
nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from app.domain import refusals

RECENT_DEPARTURE_S = 600.0
AWAY_AFTER_S = 300.0
TYPING_TTL_S = 5.0
TYPING_COALESCE_S = 2.0


@dataclass(slots=True)
class Member:
    name: str
    key: str
    conn_id: str
    joined_at: float
    last_active_at: float
    away: bool = False
    # The node whose connection this is: when that node dies, the survivors remove the
    # member (NodeRegistry.reap). Empty on a single node.
    node_id: str = ""


@dataclass(frozen=True, slots=True)
class Departure:
    name: str
    key: str
    last_seen: float


@dataclass(frozen=True, slots=True)
class LeaveChange:
    departure: Departure
    new_owner: str | None
    room_empty: bool


@dataclass(slots=True)
class _Typing:
    expires_at: float
    announced_at: float


@dataclass
class Room:
    name: str
    epoch: str
    created_at: float
    capacity: int
    last_message_at: float | None = None
    members: dict[str, Member] = field(default_factory=dict)
    departures: dict[str, Departure] = field(default_factory=dict)
    bans_by_key: set[str] = field(default_factory=set)
    bans_by_conn: set[str] = field(default_factory=set)
    cooldown_by_key: dict[str, float] = field(default_factory=dict)
    cooldown_by_conn: dict[str, float] = field(default_factory=dict)
    _typing: dict[str, _Typing] = field(default_factory=dict)

    # --- queries -----------------------------------------------------------------------

    @property
    def owner(self) -> Member | None:
        return next(iter(self.members.values()), None)

    def is_member(self, key: str) -> bool:
        return key in self.members

    def recent_departures(self, now: float) -> list[Departure]:
        """Members who left within RECENT_DEPARTURE_S, most recent last."""
        cutoff = now - RECENT_DEPARTURE_S
        return sorted(
            (d for d in self.departures.values() if d.last_seen >= cutoff),
            key=lambda d: d.last_seen,
        )

    def typing_names(self, now: float) -> list[str]:
        return [
            self.members[key].name
            for key, t in self._typing.items()
            if t.expires_at > now and key in self.members
        ]

    # --- membership --------------------------------------------------------------------

    def admit(self, member: Member, now: float) -> None:
        """Add `member`, or raise when the room, a ban or a cooldown refuses them."""
        key = member.key
        if key in self.members:
            raise refusals.name_taken(self.name, member.name)
        if key in self.bans_by_key or member.conn_id in self.bans_by_conn:
            raise refusals.banned(self.name)
        until = max(
            self.cooldown_by_key.get(key, 0.0), self.cooldown_by_conn.get(member.conn_id, 0.0)
        )
        if until > now:
            raise refusals.kicked(self.name, ceil_ms(until - now))
        if len(self.members) >= self.capacity:
            raise refusals.room_full(self.name, self.capacity)
        self.members[key] = member
        self.departures.pop(key, None)

    def remove(self, key: str, now: float) -> LeaveChange | None:
        """Remove a member; None when they were not in the room."""
        owner_before = self.owner
        member = self.members.pop(key, None)
        if member is None:
            return None
        self._typing.pop(key, None)
        departure = Departure(name=member.name, key=key, last_seen=now)
        self.departures[key] = departure
        self._prune_departures(now)
        owner_after = self.owner
        new_owner = (
            owner_after.name
            if owner_after is not None and owner_before is not None and owner_before.key == key
            else None
        )
        return LeaveChange(departure=departure, new_owner=new_owner, room_empty=not self.members)

    def touch(self, key: str, now: float, *, sent_message: bool = False) -> bool:
        """Record activity; True when the member was away and is back online.

        A message ends the author's typing mark (clients clear the indicator too)."""
        member = self.members.get(key)
        if member is None:
            return False
        member.last_active_at = now
        if sent_message:
            self.last_message_at = now
            self._typing.pop(key, None)
        if member.away:
            member.away = False
            return True
        return False

    def mark_away(self, now: float) -> list[Member]:
        """Members inactive for AWAY_AFTER_S who were not yet away; they are now."""
        newly_away = []
        for member in self.members.values():
            if not member.away and now - member.last_active_at >= AWAY_AFTER_S:
                member.away = True
                newly_away.append(member)
        return newly_away

    # --- moderation --------------------------------------------------------------------

    def evict(
        self, actor_key: str, target_key: str, now: float, *, ban: bool, cooldown_s: float
    ) -> tuple[Member, LeaveChange]:
        """The owner removes a member: banned until the room is deleted, or kept out for
        `cooldown_s` by name key and by connection."""
        owner = self.owner
        if owner is None or owner.key != actor_key:
            raise refusals.not_owner(self.name)
        if target_key == actor_key:
            raise refusals.cannot_target_self(self.name)
        target = self.members.get(target_key)
        if target is None:
            raise refusals.member_not_found(self.name)
        if ban:
            self.bans_by_key.add(target_key)
            self.bans_by_conn.add(target.conn_id)
        else:
            until = now + cooldown_s
            self.cooldown_by_key[target_key] = until
            self.cooldown_by_conn[target.conn_id] = until
        change = self.remove(target_key, now)
        assert change is not None  # the target was a member a line ago
        return target, change

    # --- typing ------------------------------------------------------------------------

    def typing(self, key: str, now: float) -> bool:
        """Mark `key` as typing; True when the others should be told (not coalesced)."""
        if key not in self.members:
            return False
        current = self._typing.get(key)
        announce = current is None or now - current.announced_at >= TYPING_COALESCE_S
        self._typing[key] = _Typing(
            expires_at=now + TYPING_TTL_S,
            announced_at=now if announce or current is None else current.announced_at,
        )
        return announce

    # --- housekeeping ------------------------------------------------------------------

    def sweep(self, now: float) -> None:
        """Forget expired typing marks, departures and cooldowns."""
        for key in [k for k, t in self._typing.items() if t.expires_at <= now]:
            del self._typing[key]
        self._prune_departures(now)
        for cooldowns in (self.cooldown_by_key, self.cooldown_by_conn):
            for k in [k for k, until in cooldowns.items() if until <= now]:
                del cooldowns[k]

    def _prune_departures(self, now: float) -> None:
        cutoff = now - RECENT_DEPARTURE_S
        for key in [k for k, d in self.departures.items() if d.last_seen < cutoff]:
            del self.departures[key]


def ceil_ms(seconds: float) -> int:
    """Whole milliseconds, rounded up (a retry_after_ms is never early)."""
    ms = seconds * 1000.0
    whole = int(ms)
    return whole if whole == ms else whole + 1
