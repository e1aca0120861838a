"""Attachments through the chat service (app/services/chat/attachments.py) on a directory store
in a temporary folder, with a manual clock: reserve, upload, send, download, expire, delete."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from app.adapters.uploads import DirectoryUploadStore
from app.domain.codes import ErrorCode
from app.domain.errors import ChatError
from app.services.chat.attachments import Attachments
from tests.support.harness import Event, Harness, RecordingPeer

PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(200))


async def chunks(*parts: bytes) -> AsyncIterator[bytes]:
    for part in parts:
        yield part


def query(url: str) -> tuple[str, str, int, str]:
    parts = urlsplit(url)
    q = {k: v[0] for k, v in parse_qs(parts.query).items()}
    return parts.path.rsplit("/", 1)[1], q["room"], int(q["exp"]), q["sig"]


class World:
    def __init__(self, harness: Harness, root: Path) -> None:
        self.h = harness
        self.root = root

    @property
    def attachments(self) -> Attachments:
        return self.h.chat.attachments

    async def reserve(self, peer: RecordingPeer, **declared: object) -> Event:
        fields: dict[str, object] = {"name": "p.png", "size": len(PNG), "content_type": "image/png"}
        fields.update(declared)
        await self.attachments.request(peer.id, "lobby", ref="a", **fields)  # type: ignore[arg-type]  # the test's keywords
        return peer.events("upload_url")[-1]

    async def upload(self, ticket: Event, *parts: bytes, content_type: str = "image/png") -> None:
        upload_id, room, exp, sig = query(ticket["url"])
        size = sum(map(len, parts))
        await self.attachments.receive(
            room,
            upload_id,
            expires_at=exp,
            sig=sig,
            content_type=content_type,
            content_length=size,
            chunks=chunks(*parts),
        )

    async def download(self, url: str) -> bytes:
        upload_id, room, exp, sig = query(url)
        _record, body = await self.attachments.download(room, upload_id, expires_at=exp, sig=sig)
        return b"".join([chunk async for chunk in body])

    def stored(self) -> list[str]:
        return sorted(p.name for p in self.root.rglob("*") if p.is_file())


@pytest.fixture
async def world(tmp_path: Path) -> World:
    store = DirectoryUploadStore(tmp_path)
    harness = Harness(
        upload_max_bytes=1000,
        upload_room_max_bytes=2500,
        upload_url_ttl_s=60,
        download_url_ttl_s=600,
        adapters={"uploads": store},
    )
    return World(await harness.start(), tmp_path)


async def test_attach_upload_send_and_download(world: World) -> None:
    ann = await world.h.member("c1", "Ann", "lobby")
    bob = await world.h.member("c2", "Bob", "lobby")
    ticket = await world.reserve(ann)
    assert ticket["ref"] == "a"
    assert ticket["method"] == "PUT"
    assert ticket["url"].startswith(f"/api/uploads/{ticket['id']}?room=lobby&")
    await world.upload(ticket, PNG[:7], PNG[7:])
    await world.h.chat.messaging.send("c1", "lobby", "look :eyes:", attachment=ticket["id"])
    message = bob.events("message")[-1]
    assert message["text"] == "look \U0001f440"
    attachment = message["attachment"]
    assert {k: attachment[k] for k in ("id", "name", "size", "content_type")} == {
        "id": ticket["id"],
        "name": "p.png",
        "size": len(PNG),
        "content_type": "image/png",
    }
    assert await world.download(attachment["url"]) == PNG


async def test_a_file_alone_is_a_message(world: World) -> None:
    ann = await world.h.member("c1", "Ann", "lobby")
    ticket = await world.reserve(ann)
    await world.upload(ticket, PNG)
    await world.h.chat.messaging.send("c1", "lobby", "", attachment=ticket["id"])
    message = ann.events("message")[-1]
    assert (message["text"], message["html"]) == ("", "")
    with pytest.raises(ChatError) as refused:
        await world.h.chat.messaging.send("c1", "lobby", "  ")
    assert refused.value.code is ErrorCode.MESSAGE_EMPTY


@pytest.mark.parametrize(
    ("declared", "code"),
    [
        pytest.param({"size": 1001}, ErrorCode.ATTACHMENT_TOO_LARGE, id="over-the-size-limit"),
        pytest.param({"size": 0}, ErrorCode.ATTACHMENT_INVALID, id="empty"),
        pytest.param(
            {"content_type": "text/html"}, ErrorCode.ATTACHMENT_TYPE_NOT_ALLOWED, id="html"
        ),
        pytest.param(
            {"content_type": "image/svg+xml"}, ErrorCode.ATTACHMENT_TYPE_NOT_ALLOWED, id="svg"
        ),
        pytest.param({"name": "../../etc/passwd"}, ErrorCode.ATTACHMENT_INVALID, id="traversal"),
    ],
)
async def test_refused_declarations_reserve_nothing(
    world: World, declared: dict[str, object], code: ErrorCode
) -> None:
    ann = await world.h.member("c1", "Ann", "lobby")
    with pytest.raises(ChatError) as refused:
        await world.reserve(ann, **declared)
    assert refused.value.code is code
    assert refused.value.room == "lobby"
    assert world.stored() == []


async def test_the_room_quota_counts_live_reservations_only(world: World) -> None:
    ann = await world.h.member("c1", "Ann", "lobby")
    for _ in range(2):
        await world.reserve(ann, size=1000)
    with pytest.raises(ChatError) as refused:
        await world.reserve(ann, size=1000)
    assert refused.value.code is ErrorCode.ATTACHMENT_TOO_LARGE
    world.h.clock.advance(61)  # both reservations expired unused
    await world.reserve(ann, size=1000)


async def test_attach_needs_the_room_and_counts_against_the_message_rate(world: World) -> None:
    ann = await world.h.member("c1", "Ann", "lobby")
    with pytest.raises(ChatError) as refused:
        await world.attachments.request(
            "c1", "elsewhere", name="a.png", size=5, content_type="image/png"
        )
    assert refused.value.code is ErrorCode.NOT_IN_ROOM
    for _ in range(5):
        await world.reserve(ann, size=10)
    with pytest.raises(ChatError) as limited:
        await world.reserve(ann, size=10)
    assert limited.value.code is ErrorCode.RATE_LIMITED


async def test_only_the_uploader_may_send_it_and_only_once(world: World) -> None:
    ann = await world.h.member("c1", "Ann", "lobby")
    await world.h.member("c2", "Bob", "lobby")
    ticket = await world.reserve(ann)
    with pytest.raises(ChatError) as early:
        await world.h.chat.messaging.send("c1", "lobby", "x", attachment=ticket["id"])
    assert early.value.code is ErrorCode.ATTACHMENT_INVALID
    await world.upload(ticket, PNG)
    with pytest.raises(ChatError) as foreign:
        await world.h.chat.messaging.send("c2", "lobby", "mine now", attachment=ticket["id"])
    assert foreign.value.code is ErrorCode.ATTACHMENT_NOT_FOUND
    await world.h.chat.messaging.send("c1", "lobby", "x", attachment=ticket["id"])
    with pytest.raises(ChatError) as again:
        await world.h.chat.messaging.send("c1", "lobby", "x", attachment=ticket["id"])
    assert again.value.code is ErrorCode.ATTACHMENT_INVALID


async def test_a_refused_text_does_not_use_the_attachment_up(world: World) -> None:
    ann = await world.h.member("c1", "Ann", "lobby")
    ticket = await world.reserve(ann, size=len(PNG))
    await world.upload(ticket, PNG)
    with pytest.raises(ChatError):
        await world.h.chat.messaging.send("c1", "lobby", "x" * 513, attachment=ticket["id"])
    await world.h.chat.messaging.send("c1", "lobby", "ok", attachment=ticket["id"])


@pytest.mark.parametrize(
    ("parts", "content_type", "code"),
    [
        pytest.param(
            (PNG, b"!"), "image/png", ErrorCode.ATTACHMENT_TOO_LARGE, id="more-than-declared"
        ),
        pytest.param(
            (PNG[:-1],), "image/png", ErrorCode.ATTACHMENT_INVALID, id="less-than-declared"
        ),
        pytest.param(
            (b"<html>" + PNG[6:],),
            "image/png",
            ErrorCode.ATTACHMENT_TYPE_NOT_ALLOWED,
            id="html-inside",
        ),
        pytest.param((PNG,), "text/html", ErrorCode.ATTACHMENT_TYPE_NOT_ALLOWED, id="header-type"),
        pytest.param(
            (PNG,), "image/jpeg", ErrorCode.ATTACHMENT_TYPE_NOT_ALLOWED, id="other-declared"
        ),
    ],
)
async def test_an_upload_unlike_its_declaration_stores_nothing(
    world: World, parts: tuple[bytes, ...], content_type: str, code: ErrorCode
) -> None:
    ann = await world.h.member("c1", "Ann", "lobby")
    ticket = await world.reserve(ann)
    upload_id, room, exp, sig = query(ticket["url"])
    with pytest.raises(ChatError) as refused:
        await world.attachments.receive(
            room,
            upload_id,
            expires_at=exp,
            sig=sig,
            content_type=content_type,
            content_length=None,
            chunks=chunks(*parts),
        )
    assert refused.value.code is code
    assert [name for name in world.stored() if not name.endswith(".json")] == []
    await world.upload(ticket, PNG)  # the URL still works for the right bytes


async def test_upload_urls_expire_and_are_bound_to_put(world: World) -> None:
    ann = await world.h.member("c1", "Ann", "lobby")
    ticket = await world.reserve(ann)
    upload_id, room, exp, sig = query(ticket["url"])
    with pytest.raises(ChatError) as as_get:
        await world.attachments.download(room, upload_id, expires_at=exp, sig=sig)
    assert as_get.value.code is ErrorCode.URL_INVALID
    world.h.clock.advance(61)
    with pytest.raises(ChatError) as late:
        await world.upload(ticket, PNG)
    assert late.value.code is ErrorCode.URL_EXPIRED


async def test_replays_carry_fresh_download_urls(world: World) -> None:
    ann = await world.h.member("c1", "Ann", "lobby")
    ticket = await world.reserve(ann)
    await world.upload(ticket, PNG)
    await world.h.chat.messaging.send("c1", "lobby", "x", attachment=ticket["id"])
    first = ann.events("message")[-1]["attachment"]["url"]
    world.h.clock.advance(3600)  # the first URL has expired
    with pytest.raises(ChatError) as expired:
        await world.download(first)
    assert expired.value.code is ErrorCode.URL_EXPIRED
    await world.h.chat.messaging.history("c1", "lobby")
    paged = ann.events("history")[-1]["messages"][0]["attachment"]["url"]
    bob = await world.h.member("c2", "Bob", "lobby")
    joined = bob.events("joined")[-1]["history"][0]["attachment"]["url"]
    for url in (paged, joined):
        assert url != first
        assert await world.download(url) == PNG


async def test_a_rooms_attachments_go_when_the_room_is_deleted(world: World) -> None:
    ann = await world.h.member("c1", "Ann", "lobby")
    await world.h.member("c2", "Bob", "other")
    ticket = await world.reserve(ann)
    await world.upload(ticket, PNG)
    await world.h.chat.messaging.send("c1", "lobby", "x", attachment=ticket["id"])
    url = ann.events("message")[-1]["attachment"]["url"]
    assert (world.root / "lobby").is_dir()
    await world.h.disconnect("c1")
    assert not (world.root / "lobby").exists()
    with pytest.raises(ChatError) as gone:
        await world.download(url)
    assert gone.value.code is ErrorCode.ATTACHMENT_NOT_FOUND


async def test_without_an_upload_dir_attachments_are_off() -> None:
    h = await Harness().start()
    peer = await h.member("c1", "Ann", "lobby")
    assert peer.events("welcome")[0]["limits"]["max_attachment_bytes"] == 0
    with pytest.raises(ChatError) as off:
        await h.chat.attachments.request(
            "c1", "lobby", name="a.png", size=5, content_type="image/png"
        )
    assert off.value.code is ErrorCode.ATTACHMENTS_DISABLED
    with pytest.raises(ChatError) as send:
        await h.chat.messaging.send("c1", "lobby", "x", attachment="0" * 32)
    assert send.value.code is ErrorCode.ATTACHMENTS_DISABLED
