"""RoomStore contract for private rooms, invites and bans bound to the user's `sub`: the same
rules on the in-memory and the Redis adapter (docs/decisions/0025)."""

from __future__ import annotations

import asyncio
import dataclasses

import pytest

from app.domain import invites
from app.domain.codes import ErrorCode
from app.domain.errors import ChatError
from app.domain.invites import InviteClaim, InviteProof
from app.domain.model import Member
from app.domain.policies.names import name_key
from tests.contract.conftest import Adapters
from tests.contract.helpers import T0, member

ROOM = "hideout"


def proof(epoch: str, *, uses: int = 1, invite_id: str = "inv-1") -> InviteProof:
    return InviteProof(
        claim=InviteClaim(
            room=ROOM, epoch=epoch, id=invite_id, expires_at=int(T0) + 3600, uses=uses
        )
    )


def authed(name: str, sub: str, *, conn: str | None = None) -> Member:
    return dataclasses.replace(member(name, conn=conn), sub=sub)


async def private_room(adapters: Adapters, owner: str = "Ann") -> str:
    """A private room created by `owner`; its epoch."""
    outcome = await adapters.rooms.join(ROOM, member(owner), capacity=3, now=T0, private=True)
    assert outcome.created
    assert outcome.room.private
    return outcome.room.epoch


async def code_of(adapters: Adapters, joiner: Member, **kw: object) -> ErrorCode:
    with pytest.raises(ChatError) as refused:
        await adapters.rooms.join(ROOM, joiner, capacity=3, now=T0 + 1, **kw)  # type: ignore[arg-type]  # test keywords
    return refused.value.code


async def names(adapters: Adapters) -> list[str]:
    snapshot = await adapters.rooms.snapshot(ROOM, now=T0 + 1)
    assert snapshot is not None
    return [m.name for m in snapshot.members]


async def test_a_join_with_private_creates_a_private_room(adapters: Adapters) -> None:
    await private_room(adapters)
    snapshot = await adapters.rooms.snapshot(ROOM, now=T0)
    assert snapshot is not None
    assert snapshot.private
    # On an existing room `private` is ignored: a public room stays public.
    public = await adapters.rooms.join("open-room", member("Ann"), capacity=3, now=T0)
    again = await adapters.rooms.join("open-room", member("Bob"), capacity=3, now=T0, private=True)
    assert not public.room.private
    assert not again.room.private


async def test_a_private_room_needs_an_invite(adapters: Adapters) -> None:
    epoch = await private_room(adapters)
    assert await code_of(adapters, member("Bob")) is ErrorCode.INVITE_REQUIRED
    refused = InviteProof(refusal=invites.invalid(ROOM))
    assert await code_of(adapters, member("Bob"), invite=refused) is ErrorCode.INVITE_INVALID
    joined = await adapters.rooms.join(
        ROOM, member("Bob"), capacity=3, now=T0 + 1, invite=proof(epoch)
    )
    assert joined.room.private
    assert await names(adapters) == ["Ann", "Bob"]


async def test_a_single_use_invite_is_spent_once(adapters: Adapters) -> None:
    epoch = await private_room(adapters)
    await adapters.rooms.join(ROOM, member("Bob"), capacity=3, now=T0 + 1, invite=proof(epoch))
    assert await code_of(adapters, member("Cat"), invite=proof(epoch)) is ErrorCode.INVITE_USED
    # Another invite of the same room is counted apart; a two-use one admits two.
    twice = proof(epoch, uses=2, invite_id="inv-2")
    await adapters.rooms.join(ROOM, member("Cat"), capacity=4, now=T0 + 1, invite=twice)
    await adapters.rooms.leave(ROOM, "bob", now=T0 + 2)
    await adapters.rooms.join(ROOM, member("Bob"), capacity=4, now=T0 + 2, invite=twice)
    assert await code_of(adapters, member("Dan"), invite=twice) is ErrorCode.INVITE_USED


async def test_a_refused_join_spends_nothing(adapters: Adapters) -> None:
    epoch = await private_room(adapters)
    invite = proof(epoch)
    # name_taken, then banned: neither spends the single use.
    assert await code_of(adapters, member("ANN", conn="x"), invite=invite) is ErrorCode.NAME_TAKEN
    await adapters.rooms.join(
        ROOM, member("Mal"), capacity=3, now=T0, invite=proof(epoch, uses=5, invite_id="x")
    )
    await adapters.rooms.evict(ROOM, "ann", name_key("Mal"), ban=True, cooldown_s=60, now=T0)
    assert await code_of(adapters, member("Mal"), invite=invite) is ErrorCode.BANNED
    # room_full (capacity 3: Ann and two more).
    await adapters.rooms.join(
        ROOM, member("Zed"), capacity=3, now=T0, invite=proof(epoch, uses=5, invite_id="y")
    )
    await adapters.rooms.join(
        ROOM, member("Yan"), capacity=3, now=T0, invite=proof(epoch, uses=5, invite_id="y")
    )
    assert await code_of(adapters, member("Bob"), invite=invite) is ErrorCode.ROOM_FULL
    await adapters.rooms.leave(ROOM, "yan", now=T0 + 1)
    await adapters.rooms.join(ROOM, member("Bob"), capacity=3, now=T0 + 1, invite=invite)
    assert "Bob" in await names(adapters)


async def test_an_invite_of_another_epoch_is_refused(adapters: Adapters) -> None:
    old_epoch = await private_room(adapters)
    await adapters.rooms.leave(ROOM, "ann", now=T0)  # the room is deleted...
    new_epoch = await private_room(adapters)  # ...and created again
    assert new_epoch != old_epoch
    assert await code_of(adapters, member("Bob"), invite=proof(old_epoch)) is (
        ErrorCode.INVITE_INVALID
    )


async def test_an_invite_into_a_public_room_is_neither_checked_nor_spent(
    adapters: Adapters,
) -> None:
    await adapters.rooms.join(ROOM, member("Ann"), capacity=3, now=T0)
    refused = InviteProof(refusal=invites.invalid(ROOM))
    await adapters.rooms.join(ROOM, member("Bob"), capacity=3, now=T0, invite=refused)
    await adapters.rooms.join(ROOM, member("Cat"), capacity=3, now=T0, invite=proof("other"))
    assert await names(adapters) == ["Ann", "Bob", "Cat"]


async def test_set_private_is_the_owners_and_changes_the_rule(adapters: Adapters) -> None:
    await adapters.rooms.join(ROOM, member("Ann"), capacity=5, now=T0)
    await adapters.rooms.join(ROOM, member("Bob"), capacity=5, now=T0)
    with pytest.raises(ChatError) as refused:
        await adapters.rooms.set_private(ROOM, "bob", True, now=T0)
    assert refused.value.code is ErrorCode.NOT_OWNER
    with pytest.raises(ChatError) as missing:
        await adapters.rooms.set_private("nowhere", "ann", True, now=T0)
    assert missing.value.code is ErrorCode.NOT_IN_ROOM
    await adapters.rooms.set_private(ROOM, "ann", True, now=T0)
    assert await code_of(adapters, member("Cat")) is ErrorCode.INVITE_REQUIRED
    await adapters.rooms.set_private(ROOM, "ann", False, now=T0)
    await adapters.rooms.join(ROOM, member("Cat"), capacity=5, now=T0 + 1)
    assert await names(adapters) == ["Ann", "Bob", "Cat"]


async def test_a_ban_binds_to_the_sub_under_another_name(adapters: Adapters) -> None:
    await adapters.rooms.join(ROOM, member("Ann"), capacity=5, now=T0)
    await adapters.rooms.join(ROOM, authed("Mal", "u-mal"), capacity=5, now=T0)
    banned, _ = await adapters.rooms.evict(
        ROOM, "ann", name_key("Mal"), ban=True, cooldown_s=60, now=T0
    )
    assert banned.sub == "u-mal"  # the codec carries it
    renamed = authed("Innocent", "u-mal", conn="new-conn")
    assert await code_of(adapters, renamed) is ErrorCode.BANNED
    # Another user, and a guest, under names never banned, get in.
    await adapters.rooms.join(ROOM, authed("Other", "u-other"), capacity=5, now=T0 + 1)
    await adapters.rooms.join(ROOM, member("Guest", conn="g"), capacity=5, now=T0 + 1)


async def test_a_kick_cooldown_binds_to_the_sub(adapters: Adapters) -> None:
    await adapters.rooms.join(ROOM, member("Ann"), capacity=5, now=T0)
    await adapters.rooms.join(ROOM, authed("Mal", "u-mal"), capacity=5, now=T0)
    await adapters.rooms.evict(ROOM, "ann", name_key("Mal"), ban=False, cooldown_s=60, now=T0)
    with pytest.raises(ChatError) as refused:
        await adapters.rooms.join(
            ROOM, authed("Renamed", "u-mal", conn="c2"), capacity=5, now=T0 + 10
        )
    assert refused.value.code is ErrorCode.KICKED
    assert refused.value.retry_after_ms == 50_000
    await adapters.rooms.join(ROOM, authed("Renamed", "u-mal", conn="c2"), capacity=5, now=T0 + 61)


async def test_private_rooms_are_hidden_from_the_listing_but_counted(
    adapters: Adapters,
) -> None:
    await private_room(adapters)
    await adapters.rooms.join("lobby", member("Bob"), capacity=5, now=T0)
    page, total = await adapters.rooms.list_rooms(limit=10, offset=0)
    assert [r.name for r in page] == ["lobby"]
    assert total == 1
    assert await adapters.rooms.count() == 2
    # Made public, it is listed; private again, hidden again (its messages change nothing).
    await adapters.rooms.set_private(ROOM, "ann", False, now=T0)
    page, total = await adapters.rooms.list_rooms(limit=10, offset=0)
    assert sorted(r.name for r in page) == ["hideout", "lobby"]
    assert total == 2
    await adapters.rooms.set_private(ROOM, "ann", True, now=T0)
    await adapters.rooms.touch(ROOM, "ann", now=T0 + 1, sent_message=True)
    page, total = await adapters.rooms.list_rooms(limit=10, offset=0)
    assert ([r.name for r in page], total) == (["lobby"], 1)
    # Deleted, it is no longer counted.
    await adapters.rooms.leave(ROOM, "ann", now=T0 + 2)
    assert await adapters.rooms.count() == 1


async def test_a_single_use_invite_admits_one_of_many_concurrent_joiners(
    adapters: Adapters,
) -> None:
    assert adapters.peer is not None
    other = await adapters.peer()
    epoch = await private_room(adapters)
    invite = proof(epoch)
    results = await asyncio.gather(
        *(
            (adapters if i % 2 else other).rooms.join(
                ROOM, member(f"guest{i}"), capacity=50, now=T0 + 1, invite=invite
            )
            for i in range(10)
        ),
        return_exceptions=True,
    )
    admitted = [r for r in results if not isinstance(r, BaseException)]
    refused = [r for r in results if isinstance(r, ChatError)]
    assert len(admitted) == 1
    assert len(refused) == 9
    assert {r.code for r in refused} == {ErrorCode.INVITE_USED}
