from __future__ import annotations

import pytest

from app.domain.codes import ErrorCode
from app.domain.errors import ChatError
from app.domain.model import AWAY_AFTER_S, RECENT_DEPARTURE_S, Member, Room


def _member(name: str, at: float = 0.0, conn: str | None = None) -> Member:
    return Member(
        name=name, key=name.lower(), conn_id=conn or f"c-{name}", joined_at=at, last_active_at=at
    )


def _room(*names: str, capacity: int = 100) -> Room:
    room = Room(name="lobby", epoch="e1", created_at=0.0, capacity=capacity)
    for i, name in enumerate(names):
        room.admit(_member(name, at=float(i)), now=float(i))
    return room


def test_the_first_member_owns_and_ownership_passes_to_the_oldest() -> None:
    room = _room("ann", "bob", "cat")
    assert room.owner is not None
    assert room.owner.name == "ann"
    change = room.remove("ann", now=10.0)
    assert change is not None
    assert change.new_owner == "bob"
    change = room.remove("cat", now=11.0)
    assert change is not None
    assert change.new_owner is None
    change = room.remove("bob", now=12.0)
    assert change is not None
    assert change.room_empty


@pytest.mark.parametrize(
    ("setup", "joiner", "code"),
    [
        pytest.param(("ann",), _member("Ann", conn="other"), ErrorCode.NAME_TAKEN, id="taken"),
        pytest.param(("ann", "bob"), _member("cat"), ErrorCode.ROOM_FULL, id="full"),
    ],
)
def test_admit_refusals(setup: tuple[str, ...], joiner: Member, code: ErrorCode) -> None:
    room = _room(*setup, capacity=2)
    before = {key: (m.name, m.conn_id) for key, m in room.members.items()}
    with pytest.raises(ChatError) as denied:
        room.admit(joiner, now=5.0)
    assert denied.value.code == code
    assert {key: (m.name, m.conn_id) for key, m in room.members.items()} == before


def test_departures_are_recent_for_ten_minutes() -> None:
    room = _room("ann", "bob")
    room.remove("bob", now=100.0)
    assert [d.name for d in room.recent_departures(100.0 + RECENT_DEPARTURE_S)] == ["bob"]
    assert room.recent_departures(100.0 + RECENT_DEPARTURE_S + 0.001) == []


def test_away_after_inactivity_and_back_on_activity() -> None:
    room = _room("ann")
    assert room.mark_away(AWAY_AFTER_S - 1) == []
    assert [m.name for m in room.mark_away(AWAY_AFTER_S)] == ["ann"]
    assert room.mark_away(AWAY_AFTER_S + 10) == []
    assert room.touch("ann", AWAY_AFTER_S + 20) is True
    assert room.touch("ann", AWAY_AFTER_S + 21) is False


@pytest.mark.parametrize(
    ("times", "announced"),
    [
        pytest.param([0.0], [True], id="first"),
        pytest.param([0.0, 1.0, 1.9], [True, False, False], id="coalesced-within-2s"),
        pytest.param([0.0, 2.0, 3.0, 4.0], [True, True, False, True], id="again-after-2s"),
    ],
)
def test_typing_is_coalesced(times: list[float], announced: list[bool]) -> None:
    room = _room("ann")
    assert [room.typing("ann", t) for t in times] == announced


def test_typing_expires_after_ttl_and_a_message_ends_it() -> None:
    room = _room("ann", "bob")
    room.typing("ann", 0.0)
    room.typing("bob", 0.0)
    assert room.typing_names(4.9) == ["ann", "bob"]
    room.touch("bob", 1.0, sent_message=True)
    assert room.typing_names(4.9) == ["ann"]
    assert room.typing_names(5.0) == []


@pytest.mark.parametrize(
    ("actor", "target", "code"),
    [
        pytest.param("bob", "cat", ErrorCode.NOT_OWNER, id="not-owner"),
        pytest.param("ann", "ann", ErrorCode.CANNOT_TARGET_SELF, id="self"),
        pytest.param("ann", "zed", ErrorCode.MEMBER_NOT_FOUND, id="stranger"),
    ],
)
def test_moderation_refusals(actor: str, target: str, code: ErrorCode) -> None:
    room = _room("ann", "bob", "cat")
    with pytest.raises(ChatError) as denied:
        room.evict(actor, target, 10.0, ban=False, cooldown_s=3600)
    assert denied.value.code == code
    assert list(room.members) == ["ann", "bob", "cat"]


def test_kick_cooldown_by_name_and_by_connection() -> None:
    room = _room("ann", "bob")
    room.evict("ann", "bob", 100.0, ban=False, cooldown_s=3600)
    with pytest.raises(ChatError) as by_name:
        room.admit(_member("Bob", conn="fresh"), now=100.0 + 3540)
    assert (by_name.value.code, by_name.value.retry_after_ms) == (ErrorCode.KICKED, 60_000)
    with pytest.raises(ChatError) as by_conn:
        room.admit(_member("bobby", conn="c-bob"), now=200.0)
    assert by_conn.value.code == ErrorCode.KICKED
    room.admit(_member("bob", conn="fresh"), now=100.0 + 3600)
    assert "bob" in room.members


def test_ban_survives_owner_handover() -> None:
    room = _room("ann", "bob", "cat")
    room.evict("ann", "cat", 10.0, ban=True, cooldown_s=3600)
    room.remove("ann", 11.0)
    assert room.owner is not None
    assert room.owner.name == "bob"
    with pytest.raises(ChatError) as denied:
        room.admit(_member("cat", conn="new"), now=10_000.0)
    assert denied.value.code == ErrorCode.BANNED
