"""Rooms and their members.

A Room holds who is in it (in join order: the first member is the owner, so ownership
passes to the oldest remaining member without being stored twice), who left recently, who is
typing, and who may not come back (kick cooldowns and bans). Every method takes `now` as a
value and either changes the room and returns what changed, or raises ChatError and changes
nothing.

Just over ~300 lines on purpose: a room's rules (admission, ownership, exclusions, typing,
departures) read as one piece; the exclusions alone would be a module of thirty lines.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TypeVar

from app.domain import invites, refusals
from app.domain.invites import InviteProof
from app.domain.timefmt import ceil_ms

RECENT_DEPARTURE_S = 600.0
# Whatever a room's past, what it remembers is bounded: the newest departures (`recent_max`,
# PARROT_RECENT_DEPARTURES) and the newest bans and kick cooldowns, each kind at most this many
# (the oldest is forgotten first), so neither churn nor an owner's zeal can grow a room.
MAX_EXCLUSIONS = 1000
AWAY_AFTER_S = 300.0
TYPING_TTL_S = 5.0
TYPING_COALESCE_S = 2.0

_V = TypeVar("_V")


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
    # The verified token's `sub` (None for a guest): bans and kick cooldowns bind to it too.
    sub: str | None = None

    @property
    def exclusion_keys(self) -> tuple[str, ...]:
        """What a ban or cooldown of this member is recorded under: the name key, and
        `sub:<sub>` for an authenticated user (names cannot hold `:`, so they never clash)."""
        return (self.key,) if self.sub is None else (self.key, sub_key(self.sub))


def sub_key(sub: str) -> str:
    return f"sub:{sub}"


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
    recent_max: int = 20
    last_message_at: float | None = None
    members: dict[str, Member] = field(default_factory=dict)
    # Insertion-ordered, oldest first: departures and exclusions are appended as they happen.
    departures: dict[str, Departure] = field(default_factory=dict)
    bans_by_key: dict[str, None] = field(default_factory=dict)
    bans_by_conn: dict[str, None] = field(default_factory=dict)
    cooldown_by_key: dict[str, float] = field(default_factory=dict)
    cooldown_by_conn: dict[str, float] = field(default_factory=dict)
    # Only invited joiners get in (docs/decisions/0025); invite id -> (uses spent, expiry).
    private: bool = False
    invite_uses: dict[str, tuple[int, int]] = field(default_factory=dict)
    _typing: dict[str, _Typing] = field(default_factory=dict)

    # --- queries -----------------------------------------------------------------------

    @property
    def owner(self) -> Member | None:
        return next(iter(self.members.values()), None)

    def recent_departures(self, now: float) -> list[Departure]:
        """The newest `recent_max` members who left within RECENT_DEPARTURE_S, most recent
        last."""
        cutoff = now - RECENT_DEPARTURE_S
        return [d for d in self.departures.values() if d.last_seen >= cutoff]

    def typing_names(self, now: float) -> list[str]:
        return [
            self.members[key].name
            for key, t in self._typing.items()
            if t.expires_at > now and key in self.members
        ]

    # --- membership --------------------------------------------------------------------

    def admit(self, member: Member, now: float, invite: InviteProof | None = None) -> None:
        """Add `member`, or raise when the room, its invite rule, a ban or a cooldown refuses
        them. A private room checks the invite first (so nothing else about it is told to
        someone without one) and spends one of its uses only when the member is admitted."""
        key = member.key
        spent = 0
        if self.private:
            self._prune_invites(now)
            claim = invite.claim if invite is not None else None
            spent = self.invite_uses.get(claim.id, (0, 0))[0] if claim is not None else 0
            refused = invites.admission_refusal(
                self.name, invite, epoch=self.epoch, used_count=spent
            )
            if refused is not None:
                raise refused
        if key in self.members:
            raise refusals.name_taken(self.name, member.name)
        exclusions = member.exclusion_keys
        if any(k in self.bans_by_key for k in exclusions) or member.conn_id in self.bans_by_conn:
            raise refusals.banned(self.name)
        until = max(
            [self.cooldown_by_key.get(k, 0.0) for k in exclusions]
            + [self.cooldown_by_conn.get(member.conn_id, 0.0)]
        )
        if until > now:
            raise refusals.kicked(self.name, ceil_ms(until - now))
        if len(self.members) >= self.capacity:
            raise refusals.room_full(self.name, self.capacity)
        if self.private and invite is not None and invite.claim is not None:
            self.invite_uses[invite.claim.id] = (spent + 1, invite.claim.spent_kept_until)
        self.members[key] = member
        self.departures.pop(key, None)

    def set_private(self, actor_key: str, private: bool) -> None:
        """The owner makes the room private (invites needed from now on) or public again."""
        owner = self.owner
        if owner is None or owner.key != actor_key:
            raise refusals.not_owner(self.name)
        self.private = private

    def _prune_invites(self, now: float) -> None:
        for invite_id in [i for i, (_, exp) in self.invite_uses.items() if exp <= now]:
            del self.invite_uses[invite_id]

    def remove(self, key: str, now: float) -> LeaveChange | None:
        """Remove a member; None when they were not in the room."""
        owner_before = self.owner
        member = self.members.pop(key, None)
        if member is None:
            return None
        self._typing.pop(key, None)
        departure = Departure(name=member.name, key=key, last_seen=now)
        self.departures.pop(key, None)
        self.departures[key] = departure
        _keep_newest(self.departures, self.recent_max)
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
        `cooldown_s` by name key (and `sub:<sub>` when authenticated) and by connection."""
        owner = self.owner
        if owner is None or owner.key != actor_key:
            raise refusals.not_owner(self.name)
        if target_key == actor_key:
            raise refusals.cannot_target_self(self.name)
        target = self.members.get(target_key)
        if target is None:
            raise refusals.member_not_found(self.name)
        if ban:
            for k in target.exclusion_keys:
                _remember(self.bans_by_key, k, None)
            _remember(self.bans_by_conn, target.conn_id, None)
        else:
            until = now + cooldown_s
            for k in target.exclusion_keys:
                _remember(self.cooldown_by_key, k, until)
            _remember(self.cooldown_by_conn, target.conn_id, until)
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
        self._prune_invites(now)
        for cooldowns in (self.cooldown_by_key, self.cooldown_by_conn):
            for k in [k for k, until in cooldowns.items() if until <= now]:
                del cooldowns[k]

    def _prune_departures(self, now: float) -> None:
        cutoff = now - RECENT_DEPARTURE_S
        departures = self.departures
        while departures:
            oldest = next(iter(departures))
            if departures[oldest].last_seen >= cutoff:
                return
            del departures[oldest]


def _remember(entries: dict[str, _V], key: str, value: _V) -> None:
    """Add (or renew) `key` as the newest entry, forgetting the oldest beyond MAX_EXCLUSIONS."""
    entries.pop(key, None)
    entries[key] = value
    _keep_newest(entries, MAX_EXCLUSIONS)


def _keep_newest(entries: dict[str, _V], most: int) -> None:
    while len(entries) > most:
        del entries[next(iter(entries))]


# Sizes in a `joined` frame, in characters (names hold no character JSON escapes; timestamps
# are RFC 3339 with milliseconds): a member's entry without its name, a departure's, and
# everything else of the frame except history.
MEMBER_WIRE_CHARS = 112
DEPARTURE_WIRE_CHARS = 52
JOINED_WIRE_CHARS = 400


def roster_chars(members: list[Member], recent: list[Departure]) -> int:
    """How much of a `joined` frame its members, departures and fixed fields take (an upper
    bound); what is left of the reply budget is for history."""
    return (
        JOINED_WIRE_CHARS
        + sum(MEMBER_WIRE_CHARS + len(m.name) for m in members)
        + sum(DEPARTURE_WIRE_CHARS + len(d.name) for d in recent)
    )


def roster_chars_bound(capacity: int, recent_max: int, name_chars: int) -> int:
    """`roster_chars` of a full room whose names are all `name_chars` long."""
    return (
        JOINED_WIRE_CHARS
        + capacity * (MEMBER_WIRE_CHARS + name_chars)
        + recent_max * (DEPARTURE_WIRE_CHARS + name_chars)
    )
