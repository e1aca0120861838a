"""RoomStore contract for rejoin passes (docs/decisions/0025, "Rejoin passes"): a pass the
service verified (`InviteProof.pass_epoch`) admits into a private room of that epoch only, is
never counted or spent, and does not get past a taken name, a ban or a kick cooldown; the same
on the in-memory and the Redis adapter."""

from __future__ import annotations

from app.domain.codes import ErrorCode
from app.domain.invites import InviteProof
from app.domain.policies.names import name_key
from tests.contract.conftest import Adapters
from tests.contract.helpers import T0, member
from tests.contract.test_private import ROOM, authed, code_of, names, private_room, proof


def rejoin(epoch: str) -> InviteProof:
    return InviteProof(pass_epoch=epoch)


async def test_a_pass_admits_again_and_again_and_spends_nothing(adapters: Adapters) -> None:
    epoch = await private_room(adapters)
    invite = proof(epoch)
    await adapters.rooms.join(ROOM, member("Bob"), capacity=3, now=T0 + 1, invite=invite)
    assert await code_of(adapters, member("Cat"), invite=invite) is ErrorCode.INVITE_USED
    for round_ in range(3):
        await adapters.rooms.leave(ROOM, name_key("Bob"), now=T0 + 2 + round_)
        await adapters.rooms.join(
            ROOM,
            member("Bob", conn=f"c{round_}"),
            capacity=3,
            now=T0 + 2 + round_,
            invite=rejoin(epoch),
        )
    assert await names(adapters) == ["Ann", "Bob"]
    # The passes touched no invite's count: a fresh single-use one still admits one.
    fresh = proof(epoch, invite_id="inv-2")
    await adapters.rooms.join(ROOM, member("Cat"), capacity=3, now=T0 + 9, invite=fresh)
    assert await names(adapters) == ["Ann", "Bob", "Cat"]


async def test_a_pass_of_another_epoch_is_invalid(adapters: Adapters) -> None:
    old_epoch = await private_room(adapters)
    await adapters.rooms.leave(ROOM, name_key("Ann"), now=T0)  # the room is deleted...
    new_epoch = await private_room(adapters)  # ...and created again
    assert new_epoch != old_epoch
    assert await code_of(adapters, member("Bob"), invite=rejoin(old_epoch)) is (
        ErrorCode.INVITE_INVALID
    )


async def test_a_pass_does_not_pass_a_taken_name_a_ban_or_a_cooldown(adapters: Adapters) -> None:
    epoch = await private_room(adapters)
    # Two copies of one name: the name's uniqueness is what keeps a pass to one holder.
    assert await code_of(adapters, member("ANN", conn="x"), invite=rejoin(epoch)) is (
        ErrorCode.NAME_TAKEN
    )
    await adapters.rooms.join(ROOM, member("Mal"), capacity=5, now=T0, invite=rejoin(epoch))
    await adapters.rooms.evict(ROOM, "ann", name_key("Mal"), ban=True, cooldown_s=60, now=T0)
    assert await code_of(adapters, member("Mal", conn="y"), invite=rejoin(epoch)) is (
        ErrorCode.BANNED
    )
    kid = authed("Kid", "u-kid")
    await adapters.rooms.join(ROOM, kid, capacity=5, now=T0, invite=rejoin(epoch))
    await adapters.rooms.evict(ROOM, "ann", name_key("Kid"), ban=False, cooldown_s=60, now=T0)
    assert await code_of(adapters, authed("Kid", "u-kid", conn="z"), invite=rejoin(epoch)) is (
        ErrorCode.KICKED
    )
    await adapters.rooms.join(
        ROOM, authed("Kid", "u-kid", conn="z"), capacity=5, now=T0 + 61, invite=rejoin(epoch)
    )
    assert await names(adapters) == ["Ann", "Kid"]


async def test_a_pass_into_a_public_room_is_not_looked_at(adapters: Adapters) -> None:
    await adapters.rooms.join(ROOM, member("Ann"), capacity=3, now=T0)
    await adapters.rooms.join(ROOM, member("Bob"), capacity=3, now=T0, invite=rejoin("old"))
    assert await names(adapters) == ["Ann", "Bob"]
