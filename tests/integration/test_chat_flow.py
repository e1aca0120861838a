"""The core protocol, end to end, against a real uvicorn on 127.0.0.1."""

from __future__ import annotations

import asyncio

import httpx

from tests.support.client import ChatClient, chatting, connected
from tests.support.server import RunningServer


async def test_join_announces_the_room_the_member_and_presence(
    server: RunningServer, room: str
) -> None:
    alice = await ChatClient.open(server.ws_url)
    welcome = await alice.hello("Alice")
    assert welcome["name"] == "Alice"
    assert welcome["limits"]["max_message_chars"] == 512
    await alice.send(type="join", room=room, ref="j1")
    joined = await alice.expect("joined")
    assert joined["ref"] == "j1"
    assert joined["owner"] == "Alice"
    assert joined["you"] == {"name": "Alice", "owner": True}
    assert joined["seq"] == 0
    assert joined["history"] == []
    assert joined["recovered"] is False
    created = await alice.recv()
    assert (created["type"], created["event"]) == ("system", "room_created")
    assert created["text"].startswith("[system] ")
    member_joined = await alice.recv()
    assert (member_joined["event"], member_joined["data"]["name"]) == ("member_joined", "Alice")
    presence = await alice.recv()
    assert presence == {**presence, "type": "presence", "name": "Alice", "status": "online"}
    bob = await connected(server.ws_url, "Bob", room)
    await alice.expect("system", event="member_joined")
    await alice.expect("presence", name="Bob", status="online")
    bob_joined = bob.seen[-1]
    assert [m["name"] for m in bob_joined["members"]] == ["Alice", "Bob"]
    assert bob_joined["you"] == {"name": "Bob", "owner": False}
    await alice.close()
    await bob.close()


async def test_everyone_gets_the_same_seq_and_html(server: RunningServer, room: str) -> None:
    names = [f"user{i}" for i in range(4)]
    async with chatting(server.ws_url, *names, room=room) as clients:
        sender = clients[0]
        await sender.send(type="send", room=room, text="hello *world* <b>x</b>", ref="m1")
        messages = [await c.expect("message") for c in clients]
        assert {m["seq"] for m in messages} == {1}
        assert {m["html"] for m in messages} == {messages[0]["html"]}
        assert "<b>" not in messages[0]["html"]
        assert messages[0]["ref"] == "m1"
        assert all("ref" not in m for m in messages[1:])
        assert messages[0]["author"] == "user0"
        await sender.send(type="send", room=room, text="second")
        assert [(await c.expect("message"))["seq"] for c in clients] == [2, 2, 2, 2]


async def test_typing_reaches_the_others_only(server: RunningServer, room: str) -> None:
    async with chatting(server.ws_url, "Alice", "Bob", room=room) as (alice, bob):
        await alice.quiet(0.2)
        await alice.send(type="typing", room=room)
        typing = await bob.expect("typing")
        assert typing == {"type": "typing", "room": room, "name": "Alice", "ttl_ms": 5000}
        assert [e for e in await alice.quiet(0.3) if e["type"] == "typing"] == []
        # A second typing event within 2 s is coalesced.
        await alice.send(type="typing", room=room)
        assert [e for e in await bob.quiet(0.3) if e["type"] == "typing"] == []


async def test_history_on_join_holds_the_last_50_and_pages_back(
    roomy_server: RunningServer, room: str
) -> None:
    server = roomy_server
    writer = await connected(server.ws_url, "Writer", room)
    for i in range(1, 56):
        await writer.send(type="send", room=room, text=f"msg {i}")
        await writer.expect("message", seq=i)
    reader = await connected(server.ws_url, "Reader", room)
    joined = reader.seen[-1]
    assert joined["seq"] == 55
    assert [m["seq"] for m in joined["history"]] == list(range(6, 56))
    assert joined["history"][0]["text"] == "msg 6"
    await reader.send(type="history", room=room, before=20, limit=5, ref="h")
    page = await reader.expect("history")
    assert page["ref"] == "h"
    assert [m["seq"] for m in page["messages"]] == [15, 16, 17, 18, 19]
    assert page["has_more"] is True
    await reader.send(type="history", room=room, before=10, limit=50)
    oldest = await reader.expect("history")
    assert [m["seq"] for m in oldest["messages"]] == [6, 7, 8, 9]
    assert oldest["has_more"] is False
    await writer.close()
    await reader.close()


async def test_resume_with_since_and_epoch_recovers_exactly_the_missed_messages(
    roomy_server: RunningServer, room: str
) -> None:
    server = roomy_server
    stayer = await connected(server.ws_url, "Stayer", room)
    first = stayer.seen[-1]
    for i in range(1, 4):
        await stayer.send(type="send", room=room, text=f"before {i}")
    roamer = await connected(server.ws_url, "Roamer", room)
    epoch = roamer.seen[-1]["epoch"]
    assert epoch == first["epoch"]
    await roamer.close()
    await stayer.expect("presence", name="Roamer", status="offline")
    for i in range(4, 8):
        await stayer.send(type="send", room=room, text=f"while away {i}")
        await stayer.expect("message", seq=i)
    back = await ChatClient.open(server.ws_url)
    await back.hello("Roamer")
    resumed = await back.join(room, since=3, epoch=epoch)
    assert resumed["recovered"] is True
    assert [m["seq"] for m in resumed["history"]] == [4, 5, 6, 7]
    await back.send(type="leave", room=room)
    await back.expect("left", room=room, reason="left")
    foreign = await back.join(room, since=3, epoch="not-this-room")
    assert foreign["recovered"] is False
    assert [m["seq"] for m in foreign["history"]] == list(range(1, 8))
    await back.close()
    await stayer.close()


async def test_leave_and_disconnect_are_announced_with_last_seen_and_empty_rooms_vanish(
    server: RunningServer, room: str
) -> None:
    alice = await connected(server.ws_url, "Alice", room)
    bob = await connected(server.ws_url, "Bob", room)
    carol = await connected(server.ws_url, "Carol", room)
    await bob.send(type="leave", room=room, ref="bye")
    left = await bob.expect("left")
    assert left == {"type": "left", "room": room, "reason": "left", "ref": "bye"}
    member_left = await alice.expect("system", event="member_left")
    assert member_left["data"]["name"] == "Bob"
    assert member_left["data"]["last_seen"].endswith("Z")
    offline = await alice.expect("presence", name="Bob")
    assert offline["status"] == "offline"
    await carol.close()
    await alice.expect("system", event="member_left")
    gone = await alice.expect("presence", name="Carol", status="offline")
    assert gone["last_seen"].endswith("Z")
    dave = await connected(server.ws_url, "Dave", room)
    recent = {r["name"] for r in dave.seen[-1]["recent"]}
    assert recent == {"Bob", "Carol"}
    async with httpx.AsyncClient(base_url=server.http_url) as http:
        stats = (await http.get(f"/api/rooms/{room}")).json()
        assert stats["members"] == 2
        assert stats["owner"] == "Alice"
        await alice.close()
        await dave.close()
        await bob.close()
        for _ in range(50):
            response = await http.get(f"/api/rooms/{room}")
            if response.status_code == 404:
                break
            await asyncio.sleep(0.05)
        assert response.status_code == 404
        assert response.json()["code"] == "room_not_found"
        listing = (await http.get("/api/rooms")).json()
        assert room not in {r["name"] for r in listing["rooms"]}


async def test_owner_leaving_hands_the_room_to_the_oldest_member(
    server: RunningServer, room: str
) -> None:
    owner = await connected(server.ws_url, "Founder", room)
    second = await connected(server.ws_url, "Second", room)
    third = await connected(server.ws_url, "Third", room)
    await owner.close()
    changed = await third.expect("system", event="owner_changed")
    assert changed["data"]["owner"] == "Second"
    await second.close()
    changed = await third.expect("system", event="owner_changed")
    assert changed["data"]["owner"] == "Third"
    await third.close()


async def test_bad_frames_get_the_right_codes_and_the_connection_stays_usable(
    server: RunningServer, room: str
) -> None:
    async with await ChatClient.open(server.ws_url) as client:
        await _bad_frames(client, room)


async def _bad_frames(client: ChatClient, room: str) -> None:
    await client.send(type="join", room=room)
    assert (await client.expect("error"))["code"] == "hello_required"
    await client.send_raw("not json{")
    assert (await client.expect("error"))["code"] == "invalid_json"
    for frame in ("[]", '"x"', "1", "null", '{"type":"nope"}', '{"type":"system","text":"x"}'):
        await client.send_raw(frame)
        assert (await client.expect("error"))["code"] == "invalid_event", frame
    await client.send_raw(b"\x00\x01")
    assert (await client.expect("error"))["code"] == "unsupported_frame"
    await client.hello("Tester")
    await client.join(room)
    await client.send(type="send", room=room, text="hi", author="Admin")
    error = await client.expect("error")
    assert error["code"] == "invalid_event"
    assert error["details"][0]["path"] == "send.author"
    await client.send(type="send", room=room, text=123)
    assert (await client.expect("error"))["code"] == "invalid_event"
    await client.send(type="send", room=room, text="still here", ref="ok")
    message = await client.expect("message", ref="ok")
    assert message["text"] == "still here"
