"""Abuse limits and moderation against a real uvicorn."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterator

import pytest
from websockets.exceptions import ConnectionClosed, InvalidStatus

from tests.support.client import ChatClient, connected
from tests.support.raw import RawPeer
from tests.support.server import RunningServer, start_server


async def test_six_quick_messages_five_broadcast_the_sixth_rate_limited(
    server: RunningServer, room: str
) -> None:
    sender = await connected(server.ws_url, "Chatty", room)
    listener = await connected(server.ws_url, "Listener", room)
    for i in range(6):
        await sender.send(type="send", room=room, text=f"n{i}", ref=f"r{i}")
    error = await sender.expect("error")
    assert (error["code"], error["ref"], error["room"]) == ("rate_limited", "r5", room)
    assert 1 <= error["retry_after_ms"] <= 2000
    received = [e["text"] for e in await listener.quiet(0.5) if e["type"] == "message"]
    assert received == ["n0", "n1", "n2", "n3", "n4"]
    await asyncio.sleep(error["retry_after_ms"] / 1000)
    await sender.send(type="send", room=room, text="after the wait")
    assert (await listener.expect("message"))["text"] == "after the wait"
    await sender.close()
    await listener.close()


async def test_kicked_member_is_kept_out_also_from_a_new_connection(
    server: RunningServer, room: str
) -> None:
    owner = await connected(server.ws_url, "Boss", room)
    pest = await connected(server.ws_url, "Pest", room)
    await owner.send(type="kick", room=room, name="pest", reason="spam")
    kicked = await pest.expect("kicked")
    assert (kicked["by"], kicked["reason"], kicked["retry_after_ms"]) == ("Boss", "spam", 3_600_000)
    assert (await pest.expect("left"))["reason"] == "kicked"
    notice = await owner.expect("system", event="member_kicked")
    assert notice["data"]["name"] == "Pest"
    await pest.send(type="join", room=room)
    refused = await pest.expect("error")
    assert refused["code"] == "kicked"
    assert 3_590_000 < refused["retry_after_ms"] <= 3_600_000
    fresh = await ChatClient.open(server.ws_url)
    await fresh.hello("PEST")
    await fresh.send(type="join", room=room)
    assert (await fresh.expect("error"))["code"] == "kicked"
    for client in (owner, pest, fresh):
        await client.close()


async def test_ban_survives_the_owner_leaving(server: RunningServer, room: str) -> None:
    owner = await connected(server.ws_url, "Boss", room)
    heir = await connected(server.ws_url, "Heir", room)
    troll = await connected(server.ws_url, "Troll", room)
    await owner.send(type="ban", room=room, name="Troll")
    assert (await troll.expect("banned"))["by"] == "Boss"
    assert (await troll.expect("left"))["reason"] == "banned"
    await owner.close()
    await heir.expect("system", event="owner_changed")
    await troll.send(type="join", room=room)
    assert (await troll.expect("error"))["code"] == "banned"
    await heir.close()
    await heir.ws.wait_closed()
    await asyncio.sleep(0.2)  # the room empties, and its bans go with it
    await troll.join(room)
    await troll.close()


@pytest.mark.parametrize(
    ("actor", "target", "code"),
    [
        pytest.param("Member", "Boss", "not_owner", id="not-owner"),
        pytest.param("Boss", "Boss", "cannot_target_self", id="self"),
        pytest.param("Boss", "Nobody", "member_not_found", id="stranger"),
    ],
)
async def test_moderation_refusals(
    server: RunningServer, room: str, actor: str, target: str, code: str
) -> None:
    clients = {n: await connected(server.ws_url, n, room) for n in ("Boss", "Member")}
    await clients[actor].send(type="kick", room=room, name=target, ref="k")
    error = await clients[actor].expect("error")
    assert (error["code"], error["ref"]) == (code, "k")
    for client in clients.values():
        await client.close()


async def test_fifty_concurrent_joins_into_a_room_with_99_members_admit_exactly_one(
    server: RunningServer, room: str
) -> None:
    members = [await connected(server.ws_url, f"m{i}", room) for i in range(99)]
    hopefuls = [await connected(server.ws_url, f"h{i}") for i in range(50)]
    for client in hopefuls:
        await client.send(type="join", room=room)
    outcomes = [await _join_outcome(c) for c in hopefuls]
    assert sorted(outcomes).count("joined") == 1
    assert sorted(outcomes).count("room_full") == 49
    for client in members + hopefuls:
        await client.close()


async def _join_outcome(client: ChatClient) -> str:
    while True:
        event = await client.recv(10)
        if event["type"] == "joined":
            return "joined"
        if event["type"] == "error":
            return str(event["code"])


@pytest.mark.parametrize(
    "origin",
    [
        pytest.param("https://evil.example", id="foreign"),
        pytest.param("null", id="null"),
        pytest.param("https://127.0.0.1.evil.example", id="suffix-trick"),
        pytest.param("https://127.0.0.1:{port}", id="wrong-scheme"),
        pytest.param("http://127.0.0.1:1", id="wrong-port"),
    ],
)
async def test_a_foreign_origin_is_refused_403_before_the_upgrade(
    server: RunningServer, origin: str
) -> None:
    with pytest.raises(InvalidStatus) as refused:
        await ChatClient.open(server.ws_url, origin=origin.format(port=server.port))
    assert refused.value.response.status_code == 403


async def test_the_servers_own_origin_and_no_origin_are_allowed(server: RunningServer) -> None:
    own = await ChatClient.open(server.ws_url, origin=server.http_url)
    await own.hello("Browser")
    peer = RawPeer(server.port)
    assert peer.status == 101
    peer.close()
    await own.close()


@pytest.fixture(scope="module")
def strict_origin_server() -> Iterator[RunningServer]:
    running = start_server(
        {"PARROT_REQUIRE_ORIGIN": "true", "PARROT_ALLOWED_ORIGINS": "https://chat.example"}
    )
    yield running
    running.stop()


def test_without_origin_is_refused_when_required(strict_origin_server: RunningServer) -> None:
    assert RawPeer(strict_origin_server.port).status == 403
    allowed = RawPeer(strict_origin_server.port, origin="https://chat.example")
    assert allowed.status == 101
    allowed.close()


async def test_flooding_after_denials_closes_1008(server: RunningServer) -> None:
    client = await ChatClient.open(server.ws_url)
    await client.hello("Flooder")
    with contextlib.suppress(ConnectionClosed):
        for _ in range(100):
            await client.send_raw("not json")
            await asyncio.sleep(0)
    assert await client.close_code() == 1008
    errors = [e for e in client.seen if e["type"] == "error"]
    assert 20 <= len(errors) <= 100


async def test_deny_listed_terms_block_and_redact_listed_terms_are_masked(
    server: RunningServer, room: str
) -> None:
    sender = await connected(server.ws_url, "Sender", room)
    listener = await connected(server.ws_url, "Hearer", room)
    await sender.send(type="send", room=room, text="you are a f4ggot", ref="bad")
    blocked = await sender.expect("error")
    assert (blocked["code"], blocked["ref"]) == ("message_blocked", "bad")
    assert "f4ggot" not in blocked["reason"]
    assert "faggot" not in blocked["reason"]
    await sender.send(type="send", room=room, text="what the *shit* Scunthorpe")
    message = await listener.expect("message")
    assert message["text"] == "what the ****** Scunthorpe"
    assert message["seq"] == 1
    for client in (sender, listener):
        await client.close()
