"""Redis key names. Every key of one room carries the hash tag `{room}`, so a room's keys
share one cluster slot; the Lua prelude (lua/prelude.lua) builds the same names."""

from __future__ import annotations

import re
import struct

from app.domain.policies.names import ROOM_NAME_RE

# Parts of a room's keyspace, as `<prefix>{<room>}:<part>` (see docs/operations.md).
ROOM_PARTS = (
    "meta",
    "order",
    "mem",
    "act",
    "live",
    "typ",
    "typa",
    "gone",
    "gonen",
    "bank",
    "banc",
    "cdk",
    "cdc",
    "inv",
    "invx",
    "seq",
    "log",
)

_PREFIX_RE = re.compile(r"[A-Za-z0-9_.:-]*")


class Keys:
    def __init__(self, prefix: str) -> None:
        if not _PREFIX_RE.fullmatch(prefix):
            raise ValueError(f"a key prefix is letters, digits and _.:- only, not {prefix!r}")
        self.prefix = prefix
        self.rooms = prefix + "rooms"
        self.due = prefix + "due"
        self.nodes = prefix + "nodes"
        # The names of the private rooms (not in the listing, still counted).
        self.privs = prefix + "privs"

    def room(self, room: str, part: str) -> str:
        return f"{self.room_base(room)}{part}"

    def room_base(self, room: str) -> str:
        # Room names come validated from the domain; a stray `}` would break the hash tag.
        if not ROOM_NAME_RE.fullmatch(room):
            raise ValueError(f"not a room name: {room!r}")
        return f"{self.prefix}{{{room}}}:"

    def channel(self, room: str) -> str:
        return f"{self.room_base(room)}events"

    def node(self, node_id: str) -> str:
        return f"{self.prefix}node:{node_id}"

    def node_members(self, node_id: str) -> str:
        return f"{self.prefix}node:{node_id}:m"


def listing_member(room: str, last_message_at: float | None) -> str:
    """The room's member in the listing sorted set, whose score is minus its member count.

    Redis orders equal scores by member bytes, so the member starts with the last message
    time as 16 hex digits that sort in descending time order (the big-endian bytes of a
    non-negative double, each inverted), then the name: exact for any float, and ties fall
    to the name in ascending order. A room without messages sorts as time 0, last.
    """
    when = max(last_message_at or 0.0, 0.0) + 0.0  # + 0.0 turns -0.0 into 0.0
    inverted = bytes(255 - b for b in struct.pack(">d", when))
    return inverted.hex() + room  # list.lua strips these 16 characters again
