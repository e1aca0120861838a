"""Private rooms on a real server (issue 13): hidden from the listing and from `/api/rooms/{name}`
without proof, invites required, working once, bans bound to the user's `sub`, and a signed-in
session closed when its token expires."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import AsyncExitStack
from typing import Any

import httpx
import pytest

from tests.support.client import ChatClient, Event
from tests.support.server import RunningServer, start_server
from tools.mint_token import mint

SECRET = "private-rooms-jwt-secret-long-enough-12345"


@pytest.fixture(scope="module")
def server() -> Iterator[RunningServer]:
    running = start_server(
        {
            "PARROT_AUTH": "optional",
            "PARROT_JWT_SECRET": SECRET,
            "PARROT_JWT_LEEWAY_S": "0",
            "PARROT_SECRET_KEY": "private-rooms-signing-key-long-enough-123",
        }
    )
    yield running
    running.stop()


async def client(
    stack: AsyncExitStack, server: RunningServer, name: str, sub: str | None = None, **kw: Any
) -> ChatClient:
    c = await stack.enter_async_context(await ChatClient.open(server.ws_url))
    hello: dict[str, Any] = {"type": "hello", "name": name}
    if sub is not None:
        hello["token"] = mint(SECRET, sub=sub, **kw)
    await c.send(**hello)
    await c.expect("welcome")
    return c


async def error_of(c: ChatClient, **event: Any) -> Event:
    await c.send(**event)
    return await c.expect("error")


async def invite(owner: ChatClient, room: str, **kw: Any) -> Event:
    await owner.send(type="invite", room=room, ref="inv", **kw)
    return await owner.expect("invite", ref="inv")


def get(server: RunningServer, path: str, **kw: Any) -> httpx.Response:
    return httpx.get(f"{server.http_url}{path}", timeout=5, **kw)


async def test_a_private_room_end_to_end(server: RunningServer, room: str) -> None:
    async with AsyncExitStack() as stack:
        ann = await client(stack, server, "Ann", "u-ann")
        created = await ann.join(room, private=True)
        assert created["private"] is True
        # Hidden: not listed, not counted, and 404 exactly as a room that does not exist.
        listing = get(server, "/api/rooms").json()
        assert room not in {r["name"] for r in listing["rooms"]}
        hidden = get(server, f"/api/rooms/{room}")
        assert hidden.status_code == 404
        assert hidden.json() == {
            "code": "room_not_found",
            "reason": f"no room named {room!r} exists",
        }
        assert (
            get(server, f"/api/rooms/{room}", headers={"Authorization": "Bearer junk"}).status_code
            == 404
        )
        # A member's bearer token is proof; someone else's is not.
        member_token = {"Authorization": f"Bearer {mint(SECRET, sub='u-ann')}"}
        assert get(server, f"/api/rooms/{room}", headers=member_token).status_code == 200
        stranger = {"Authorization": f"Bearer {mint(SECRET, sub='u-nobody')}"}
        assert get(server, f"/api/rooms/{room}", headers=stranger).status_code == 404

        bob = await client(stack, server, "Bob")
        refused = await error_of(bob, type="join", room=room, ref="j1")
        assert (refused["code"], refused["ref"]) == ("invite_required", "j1")

        reply = await invite(ann, room)
        token = reply["token"]
        assert reply["uses"] == 1
        assert reply["url_path"] == f"/?room={room}&invite={token}"
        # The invite is proof too (looking spends nothing); a broken one is not.
        seen = get(server, f"/api/rooms/{room}", params={"invite": token})
        assert (seen.status_code, seen.json()["members"]) == (200, 1)
        broken = get(server, f"/api/rooms/{room}", params={"invite": token[:-2] + "xx"})
        assert broken.status_code == 404

        joined = await bob.join(room, invite=token)
        assert joined["private"] is True
        assert [m["name"] for m in joined["members"]] == ["Ann", "Bob"]
        assert (await ann.expect("system", event="member_joined"))["data"]["name"] == "Bob"

        cat = await client(stack, server, "Cat")
        used = await error_of(cat, type="join", room=room, invite=token)
        assert used["code"] == "invite_used"
        tampered = await error_of(cat, type="join", room=room, invite=token.replace(".", ".A", 1))
        assert tampered["code"] == "invite_invalid"
        # Only the owner hands out invites; the owner can lift the rule for everyone.
        assert (await error_of(bob, type="invite", room=room))["code"] == "not_owner"
        out_of_range = await error_of(ann, type="invite", room=room, uses=1001)
        assert out_of_range["code"] == "invalid_event"
        await ann.send(type="set_private", room=room, private=False)
        notice = await bob.expect("system", event="private")
        assert notice["data"] == {"private": False, "by": "Ann"}
        assert room in {r["name"] for r in get(server, "/api/rooms").json()["rooms"]}
        assert (await cat.join(room))["private"] is False


async def test_an_invite_into_a_public_room_is_not_needed_nor_spent(
    server: RunningServer, room: str
) -> None:
    async with AsyncExitStack() as stack:
        ann = await client(stack, server, "Ann")
        await ann.join(room)
        token = (await invite(ann, room))["token"]
        bob = await client(stack, server, "Bob")
        cat = await client(stack, server, "Cat")
        assert (await bob.join(room, invite=token))["private"] is False
        assert (await cat.join(room, invite=token))["private"] is False
        # Made private now, the same epoch's invite still has its one use.
        await ann.send(type="set_private", room=room, private=True)
        await ann.expect("system", event="private")
        dan = await client(stack, server, "Dan")
        eve = await client(stack, server, "Eve")
        assert (await error_of(eve, type="join", room=room))["code"] == "invite_required"
        assert (await dan.join(room, invite=token))["private"] is True
        assert (await error_of(eve, type="join", room=room, invite=token))["code"] == "invite_used"


async def test_a_ban_binds_to_the_sub_not_the_name(server: RunningServer, room: str) -> None:
    async with AsyncExitStack() as stack:
        ann = await client(stack, server, "Ann", "u-ann")
        await ann.join(room, private=True)
        token = (await invite(ann, room, uses=10))["token"]
        mal = await client(stack, server, "Mallory", "u-mal")
        await mal.join(room, invite=token)
        await ann.send(type="ban", room=room, name="Mallory")
        await mal.expect("banned", room=room)
        await mal.close()
        # Back under another name with a token of the same sub: refused, and no use is spent.
        renamed = await client(stack, server, "Innocent", "u-mal")
        refused = await error_of(renamed, type="join", room=room, invite=token)
        assert refused["code"] == "banned"
        # Another user under that new name is let in.
        other = await client(stack, server, "Innocent", "u-other")
        assert (await other.join(room, invite=token))["room"] == room


async def test_a_kick_cooldown_binds_to_the_sub(server: RunningServer, room: str) -> None:
    async with AsyncExitStack() as stack:
        ann = await client(stack, server, "Ann")
        await ann.join(room)
        mal = await client(stack, server, "Mallory", "u-mal2")
        await mal.join(room)
        await ann.send(type="kick", room=room, name="Mallory")
        await mal.expect("kicked", room=room)
        renamed = await client(stack, server, "Someone", "u-mal2")
        refused = await error_of(renamed, type="join", room=room)
        assert refused["code"] == "kicked"
        assert refused["retry_after_ms"] > 0


async def test_a_signed_in_session_closes_when_its_token_expires(
    server: RunningServer, room: str
) -> None:
    async with AsyncExitStack() as stack:
        short = await client(stack, server, "Brief", "u-brief", ttl_s=2)
        guest = await client(stack, server, "Guest")
        await short.join(room)
        await guest.join(room)
        error = await short.expect("error", timeout=6)
        assert (error["code"], error["reason"]) == ("auth_failed", "token expired")
        assert await short.close_code() == 1008
        # The guest stays, and sees the member go.
        await guest.expect("presence", name="Brief", status="offline")
        await guest.send(type="ping", ref="p")
        assert (await guest.expect("pong"))["ref"] == "p"


async def test_a_later_hello_with_a_fresh_token_moves_the_expiry(server: RunningServer) -> None:
    async with AsyncExitStack() as stack:
        c = await client(stack, server, "Renewer", "u-renew", ttl_s=2)
        await c.send(type="hello", name="Renewer", token=mint(SECRET, sub="u-renew", ttl_s=600))
        await c.expect("welcome")
        await asyncio.sleep(2.5)
        await c.send(type="ping", ref="still")
        assert (await c.expect("pong"))["ref"] == "still"
