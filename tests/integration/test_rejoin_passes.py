"""Rejoin passes on a real server (docs/decisions/0025, "Rejoin passes"): a private room's
member whose single-use invite is spent comes back after a reconnect or an expired token with
the pass of its `joined`, recovering what it missed; a kicked or banned member's pass does not
get them back in; a stolen pass admits only under its own name (and `sub`) while that name is
free."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import AsyncExitStack
from typing import Any

import pytest

from tests.integration.test_private_rooms import SECRET, client, error_of, invite
from tests.support.client import ChatClient
from tests.support.server import RunningServer, start_server


@pytest.fixture(scope="module")
def server() -> Iterator[RunningServer]:
    running = start_server(
        {
            "PARROT_AUTH": "optional",
            "PARROT_JWT_SECRET": SECRET,
            "PARROT_JWT_LEEWAY_S": "0",
            "PARROT_SECRET_KEY": "rejoin-passes-signing-key-long-enough-1234",
        }
    )
    yield running
    running.stop()


async def joined_by_invite(
    stack: AsyncExitStack,
    server: RunningServer,
    owner: ChatClient,
    room: str,
    name: str,
    *,
    sub: str | None = None,
    **kw: Any,
) -> tuple[ChatClient, str]:
    """`name` joins with a fresh single-use invite; the client and its pass."""
    token = (await invite(owner, room))["token"]
    member = await client(stack, server, name, sub, **kw)
    joined = await member.join(room, invite=token)
    assert joined["private"] is True
    assert isinstance(joined["rejoin"], str)
    return member, joined["rejoin"]


async def say(c: ChatClient, room: str, text: str) -> int:
    await c.send(type="send", room=room, text=text, ref=text)
    return int((await c.expect("message", ref=text))["seq"])


async def gone(watcher: ChatClient, name: str) -> None:
    await watcher.expect("presence", name=name, status="offline")


async def test_a_member_whose_invite_is_spent_resumes_with_the_pass(
    server: RunningServer, room: str
) -> None:
    async with AsyncExitStack() as stack:
        ann = await client(stack, server, "Ann", "u-ann")
        created = await ann.join(room, private=True)
        assert isinstance(created["rejoin"], str)  # the owner gets one too
        token = (await invite(ann, room))["token"]
        bob = await client(stack, server, "Bob")
        joined = await bob.join(room, invite=token)
        rejoin, epoch = joined["rejoin"], joined["epoch"]
        seen = await say(ann, room, "before")
        await bob.expect("message", seq=seen)
        await bob.close()  # the connection drops
        await gone(ann, "Bob")
        missed = [await say(ann, room, f"missed{i}") for i in range(3)]

        again = await client(stack, server, "Bob")
        spent = await error_of(again, type="join", room=room, invite=token)
        assert spent["code"] == "invite_used"
        resumed = await again.join(room, since=seen, epoch=epoch, invite=rejoin)
        assert resumed["recovered"] is True, resumed
        assert resumed["epoch"] == epoch
        assert [m["seq"] for m in resumed["history"]] == missed
        # Every joined renews the pass; the renewed one works the same way.
        renewed = resumed["rejoin"]
        assert isinstance(renewed, str)
        await again.close()
        await gone(ann, "Bob")
        third = await client(stack, server, "Bob")
        back = await third.join(room, since=missed[-1], epoch=epoch, invite=renewed)
        assert (back["recovered"], back["history"]) == (True, [])
        # A public room's joined carries no pass.
        assert "rejoin" not in await third.join(f"{room}-open")


async def test_a_signed_in_member_resumes_after_its_token_expired(
    server: RunningServer, room: str
) -> None:
    async with AsyncExitStack() as stack:
        ann = await client(stack, server, "Ann")
        await ann.join(room, private=True)
        brief, rejoin = await joined_by_invite(
            stack, server, ann, room, "Brief", sub="u-brief", ttl_s=2
        )
        error = await brief.expect("error", timeout=8)
        assert error["code"] == "auth_failed"
        await gone(ann, "Brief")
        # Same name under another user's token, or as a guest: not theirs.
        other = await client(stack, server, "Brief", "u-other")
        assert (await error_of(other, type="join", room=room, invite=rejoin))["code"] == (
            "invite_invalid"
        )
        guest = await client(stack, server, "Brief")
        assert (await error_of(guest, type="join", room=room, invite=rejoin))["code"] == (
            "invite_invalid"
        )
        fresh = await client(stack, server, "Brief", "u-brief")
        assert (await fresh.join(room, invite=rejoin))["private"] is True


async def test_a_kicked_members_pass_is_refused_during_the_cooldown(
    server: RunningServer, room: str
) -> None:
    async with AsyncExitStack() as stack:
        ann = await client(stack, server, "Ann")
        await ann.join(room, private=True)
        mal, rejoin = await joined_by_invite(stack, server, ann, room, "Mallory")
        await ann.send(type="kick", room=room, name="Mallory")
        await mal.expect("kicked", room=room)
        refused = await error_of(mal, type="join", room=room, invite=rejoin)
        assert refused["code"] == "kicked"
        assert refused["retry_after_ms"] > 0
        later = await client(stack, server, "Mallory")
        assert (await error_of(later, type="join", room=room, invite=rejoin))["code"] == "kicked"


async def test_a_banned_members_pass_is_refused(server: RunningServer, room: str) -> None:
    async with AsyncExitStack() as stack:
        ann = await client(stack, server, "Ann")
        await ann.join(room, private=True)
        mal, rejoin = await joined_by_invite(stack, server, ann, room, "Mallory", sub="u-mal-pass")
        await ann.send(type="ban", room=room, name="Mallory")
        await mal.expect("banned", room=room)
        await mal.close()
        again = await client(stack, server, "Mallory", sub="u-mal-pass")
        assert (await error_of(again, type="join", room=room, invite=rejoin))["code"] == "banned"


async def test_a_stolen_pass_admits_only_under_its_name_while_that_name_is_free(
    server: RunningServer, room: str
) -> None:
    async with AsyncExitStack() as stack:
        ann = await client(stack, server, "Ann")
        await ann.join(room, private=True)
        bob, rejoin = await joined_by_invite(stack, server, ann, room, "Bob")
        # Under another name: refused; it is no invite for anyone else.
        thief = await client(stack, server, "Eve")
        assert (await error_of(thief, type="join", room=room, invite=rejoin))["code"] == (
            "invite_invalid"
        )
        # Under the member's name while the member is in: the name is taken.
        copy = await client(stack, server, "Bob")
        assert (await error_of(copy, type="join", room=room, invite=rejoin))["code"] == (
            "name_taken"
        )
        # Once the (guest) member is gone, the holder gets in under that name: the gap the
        # security table states; an owner who minds lets the room empty (a new epoch).
        await bob.close()
        await gone(ann, "Bob")
        assert (await copy.join(room, invite=rejoin))["you"]["name"] == "Bob"
        # A pass presented where nothing private is asked for changes nothing either way,
        # and a pass of another room is refused.
        other_room = f"{room}-b"
        await ann.join(other_room, private=True)
        assert (await error_of(thief, type="join", room=other_room, invite=rejoin))["code"] == (
            "invite_invalid"
        )
