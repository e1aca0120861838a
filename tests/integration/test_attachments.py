"""Attachments on a real server: attach over the WebSocket, PUT and GET over HTTP through the
signed URLs, every limit enforced with a clear error and nothing stored, and the files deleted
with their room."""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
import pytest

from tests.support.client import ChatClient, Event
from tests.support.server import RunningServer, start_server

PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4
MAX_BYTES = 4096


@pytest.fixture(scope="module")
def upload_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("uploads")


@pytest.fixture(scope="module")
def files_server(upload_dir: Path) -> Iterator[RunningServer]:
    running = start_server(
        {
            "PARROT_UPLOAD_DIR": str(upload_dir),
            "PARROT_UPLOAD_MAX_BYTES": str(MAX_BYTES),
            "PARROT_UPLOAD_URL_TTL_S": "2",
            "PARROT_RATE_MESSAGES": "100/1",
            "PARROT_SECRET_KEY": "k" * 32,
        }
    )
    yield running
    running.stop()


async def member(server: RunningServer, name: str, room: str) -> ChatClient:
    client = await ChatClient.open(server.ws_url)
    await client.send(type="hello", name=name)
    await client.expect("welcome")
    await client.send(type="join", room=room)
    await client.expect("joined")
    return client


async def reserve(client: ChatClient, room: str, **declared: Any) -> Event:
    fields = {"name": "pic.png", "size": len(PNG), "content_type": "image/png", **declared}
    await client.send(type="attach", room=room, ref="a1", **fields)
    return await client.expect("upload_url")


async def refused(client: ChatClient, room: str, **declared: Any) -> Event:
    fields = {"name": "pic.png", "size": len(PNG), "content_type": "image/png", **declared}
    await client.send(type="attach", room=room, ref="a2", **fields)
    return await client.expect("error", ref="a2")


async def put(
    server: RunningServer, url: str, body: bytes, content_type: str = "image/png"
) -> httpx.Response:
    async with httpx.AsyncClient() as http:
        return await http.put(
            server.http_url + url, content=body, headers={"content-type": content_type}
        )


async def get(server: RunningServer, url: str) -> httpx.Response:
    async with httpx.AsyncClient() as http:
        return await http.get(server.http_url + url)


def files(root: Path) -> list[str]:
    """Every file under `root` (os.walk, unlike rglob, ignores a directory that another
    test's room deletion removes while it looks)."""
    return sorted(
        os.path.relpath(os.path.join(folder, name), root)
        for folder, _dirs, names in os.walk(root)
        for name in names
    )


def with_query(url: str, **changes: str) -> str:
    parts = urlsplit(url)
    query = {k: v[0] for k, v in parse_qs(parts.query).items()} | changes
    return f"{parts.path}?{urlencode(query)}"


async def test_round_trip_an_image_shown_inline_a_text_file_downloaded(
    files_server: RunningServer, room: str
) -> None:
    alice = await member(files_server, "Alice", room)
    bob = await member(files_server, "Bob", room)
    ticket = await reserve(alice, room)
    assert ticket["ref"] == "a1"
    answer = await put(files_server, ticket["url"], PNG)
    assert answer.status_code == 200, answer.text
    assert answer.json()["size"] == len(PNG)
    await alice.send(type="send", room=room, text="see :point_up:", attachment=ticket["id"])
    message = await bob.expect("message")
    attachment = message["attachment"]
    assert (attachment["name"], attachment["size"]) == ("pic.png", len(PNG))
    image = await get(files_server, attachment["url"])
    assert image.status_code == 200
    assert image.content == PNG
    assert image.headers["content-type"] == "image/png"
    assert image.headers["content-disposition"].startswith("inline;")
    assert image.headers["x-content-type-options"] == "nosniff"
    assert "sandbox" in image.headers["content-security-policy"]
    assert "default-src 'none'" in image.headers["content-security-policy"]

    html = b"<!doctype html><script>alert(document.cookie)</script>"
    text = await reserve(alice, room, name="page.html", size=len(html), content_type="text/plain")
    assert (await put(files_server, text["url"], html, "text/plain")).status_code == 200
    await alice.send(type="send", room=room, attachment=text["id"])
    download = await get(files_server, (await bob.expect("message"))["attachment"]["url"])
    assert download.headers["content-type"] == "text/plain; charset=utf-8"
    assert download.headers["content-disposition"].startswith('attachment; filename="page.html"')
    assert download.headers["x-content-type-options"] == "nosniff"


@pytest.mark.parametrize(
    ("declared", "code"),
    [
        pytest.param({"size": MAX_BYTES + 1}, "attachment_too_large", id="oversize"),
        pytest.param({"content_type": "text/html"}, "attachment_type_not_allowed", id="html"),
        pytest.param({"content_type": "image/svg+xml"}, "attachment_type_not_allowed", id="svg"),
        pytest.param({"name": "../../../etc/passwd"}, "attachment_invalid", id="path-traversal"),
        pytest.param({"name": "..\\..\\win.ini"}, "attachment_invalid", id="backslash-traversal"),
        pytest.param({"name": ".bashrc"}, "attachment_invalid", id="dotfile"),
    ],
)
async def test_refused_declarations(
    files_server: RunningServer, upload_dir: Path, room: str, declared: dict[str, Any], code: str
) -> None:
    before = files(upload_dir)
    alice = await member(files_server, "Alice", room)
    error = await refused(alice, room, **declared)
    assert error["code"] == code
    assert error["reason"]
    assert set(files(upload_dir)) - set(before) == set()


async def test_refused_uploads_store_nothing(
    files_server: RunningServer, upload_dir: Path, room: str
) -> None:
    alice = await member(files_server, "Alice", room)
    ticket = await reserve(alice, room)
    url = ticket["url"]
    cases = [
        (await put(files_server, url, PNG + b"x"), 413, "attachment_too_large"),
        (await put(files_server, url, PNG[:-1]), 400, "attachment_invalid"),
        (await put(files_server, url, PNG, "text/html"), 415, "attachment_type_not_allowed"),
        (await put(files_server, url, b"<html>" + PNG[6:]), 415, "attachment_type_not_allowed"),
        (await put(files_server, with_query(url, sig="A" * 43), PNG), 403, "url_invalid"),
        (await put(files_server, with_query(url, exp="9999999999"), PNG), 403, "url_invalid"),
        (await put(files_server, with_query(url, room="other-room"), PNG), 403, "url_invalid"),
    ]
    for answer, status, code in cases:
        assert (answer.status_code, answer.json()["code"]) == (status, code), answer.text
    assert [f for f in files(upload_dir) if f.startswith(room) and f.endswith(".data")] == []
    # A download URL is not an upload URL: the signature is bound to the method.
    assert (await get(files_server, url)).json()["code"] == "url_invalid"
    # And the file is not sendable before it is uploaded.
    await alice.send(type="send", room=room, attachment=ticket["id"], ref="s1")
    assert (await alice.expect("error", ref="s1"))["code"] == "attachment_invalid"


async def test_an_expired_upload_url_is_refused(
    files_server: RunningServer, upload_dir: Path, room: str
) -> None:
    alice = await member(files_server, "Alice", room)
    ticket = await reserve(alice, room)
    _path, query = ticket["url"].split("?", 1)
    expires_at = int(parse_qs(query)["exp"][0])
    await asyncio.sleep(max(0.0, expires_at - time.time()) + 0.2)  # PARROT_UPLOAD_URL_TTL_S=2
    answer = await put(files_server, ticket["url"], PNG)
    assert (answer.status_code, answer.json()["code"]) == (403, "url_expired")
    assert [f for f in files(upload_dir) if f.startswith(room) and f.endswith(".data")] == []


@pytest.mark.parametrize(
    "path",
    [
        "/api/uploads/..%2F..%2Fetc%2Fpasswd",
        "/api/uploads/%2e%2e",
        "/api/uploads/" + "a" * 32 + "?room=..%2F..&exp=1&sig=" + "A" * 43,
    ],
)
def test_traversal_in_the_url_reaches_nothing(files_server: RunningServer, path: str) -> None:
    sep = "&" if "?" in path else "?"
    url = path if "?" in path else f"{path}{sep}room=lobby&exp=9999999999&sig={'A' * 43}"
    # Starlette decodes %2F before routing: no upload route matches a path with a slash in the
    # id, and the static files refuse to leave their directory (405 for PUT, 404 for GET).
    answer = httpx.put(files_server.http_url + url, content=b"x")
    assert answer.status_code in (403, 404, 405, 422)
    fetched = httpx.get(files_server.http_url + url)
    assert fetched.status_code in (403, 404, 422)
    assert b"root:" not in fetched.content


async def test_attachments_are_deleted_with_their_room(
    files_server: RunningServer, upload_dir: Path, room: str
) -> None:
    alice = await member(files_server, "Alice", room)
    ticket = await reserve(alice, room)
    assert (await put(files_server, ticket["url"], PNG)).status_code == 200
    await alice.send(type="send", room=room, attachment=ticket["id"])
    url = (await alice.expect("message"))["attachment"]["url"]
    assert any(f.startswith(f"{room}/") for f in files(upload_dir))
    await alice.send(type="leave", room=room)
    await alice.expect("left")
    for _ in range(100):  # the departure deletes them; give it up to 5 s
        if not any(f.startswith(f"{room}/") for f in files(upload_dir)):
            break
        await asyncio.sleep(0.05)
    assert not any(f.startswith(f"{room}/") for f in files(upload_dir))
    gone = await get(files_server, url)
    assert (gone.status_code, gone.json()["code"]) == (404, "attachment_not_found")


async def test_a_server_without_an_upload_dir_takes_no_attachments(
    server: RunningServer, room: str
) -> None:
    alice = await member(server, "Alice", room)
    error = await refused(alice, room)
    assert error["code"] == "attachments_disabled"
    answer = await put(server, f"/api/uploads/{'a' * 32}?room=lobby&exp=1&sig=x", b"x")
    assert (answer.status_code, answer.json()["code"]) == (404, "attachments_disabled")
