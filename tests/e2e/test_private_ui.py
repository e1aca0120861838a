"""Private rooms and invite links in the web UI, in a real (headless) Chromium against a real
server: create a private room, copy its invite link, get in with it (once, for a single-use
link), stay out without it; the owner turns the room public and private again. Every page's
console stays free of errors and warnings throughout."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.sync_api import (
    Browser,
    BrowserContext,
    ConsoleMessage,
    Locator,
    Page,
    WebSocketRoute,
    expect,
    sync_playwright,
)
from websockets.sync.client import ClientConnection, connect

from app.domain import invites
from app.domain.signing import Signer
from tests.support.browser import launch_chromium
from tests.support.server import RunningServer, start_server

WAIT_MS = 10_000
SECRET_KEY = "e2e-invite-signing-key-of-at-least-32-bytes"
# The plain words of private.js for each invite error code.
INVITE_REQUIRED = "This room is private: you need an invite link from its owner to join it."
INVITE_USED = "This invite link has already been used: ask the room's owner for a new one."
INVITE_EXPIRED = "This invite link has expired: ask the room's owner for a new one."
INVITE_INVALID = re.compile(r"^This invite link does not work: ")


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as p:
        launched = launch_chromium(p)
        yield launched
        launched.close()


@pytest.fixture(scope="module")
def app_server() -> Iterator[RunningServer]:
    """A server whose signing key the tests know (to sign an expired invite)."""
    running = start_server({"PARROT_SECRET_KEY": SECRET_KEY})
    yield running
    running.stop()


class Pages:
    """Browser contexts of one test (one person each), every console message and page error
    of theirs collected, all closed at the end."""

    def __init__(self, browser: Browser) -> None:
        self.browser = browser
        self.contexts: list[BrowserContext] = []
        self.errors: list[str] = []

    def open(self, url: str, *, clipboard: bool = False) -> Page:
        permissions = ["clipboard-read", "clipboard-write"] if clipboard else []
        context = self.browser.new_context(
            viewport={"width": 1200, "height": 800}, permissions=permissions
        )
        self.contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(WAIT_MS)

        def on_console(message: ConsoleMessage) -> None:
            if message.type in ("error", "warning"):
                self.errors.append(f"{message.type}: {message.text}")

        page.on("console", on_console)
        page.on("pageerror", lambda error: self.errors.append(f"pageerror: {error}"))
        page.goto(url)
        return page

    def close(self) -> None:
        for context in self.contexts:
            context.close()


@pytest.fixture
def pages(browser: Browser) -> Iterator[Pages]:
    opened = Pages(browser)
    try:
        yield opened
    finally:
        opened.close()


def connect_as(page: Page, name: str) -> None:
    page.get_by_label("Your name").fill(name)
    page.get_by_label("Your name").press("Enter")
    expect(page.locator("#status")).to_have_text(f"Connected as {name}")


def tab(page: Page, room: str) -> Locator:
    return page.get_by_role("tab", name=f"#{room}")


def create_private_room(page: Page, name: str, room: str) -> None:
    connect_as(page, name)
    page.get_by_label("Join a room").fill(room)
    page.get_by_label("Private room").check()
    page.get_by_label("Join a room").press("Enter")
    expect(tab(page, room)).to_have_attribute("aria-selected", "true")
    expect(tab(page, room).get_by_role("img", name="private")).to_be_visible()
    expect(page.locator("#room-privacy")).to_contain_text("Private")
    expect(page.get_by_label("Private room")).not_to_be_checked()


def copy_invite_link(page: Page, server: RunningServer, room: str) -> str:
    page.get_by_role("button", name="Copy invite link").click()
    field = page.get_by_label("Invite link")
    expect(field).to_have_value(re.compile(rf"^{re.escape(server.http_url)}/\?room={room}&invite="))
    expect(page.locator("#invite-status")).to_contain_text("Copied to the clipboard")
    expect(page.locator("#invite-status")).to_contain_text("For one person")
    link = field.input_value()
    assert page.evaluate("navigator.clipboard.readText()") == link
    return link


def test_a_private_room_is_joined_with_its_invite_link_and_refused_without(
    pages: Pages, app_server: RunningServer, room: str
) -> None:
    alice = pages.open(app_server.http_url, clipboard=True)
    create_private_room(alice, "Alice", room)
    link = copy_invite_link(alice, app_server, room)

    bob = pages.open(link)
    expect(bob.get_by_label("Join a room", exact=True)).to_have_value(room)
    expect(bob.locator("#invite-hint")).to_have_text(
        f"You have an invite to #{room}: pick a name to join it."
    )
    connect_as(bob, "Bob")
    expect(tab(bob, room)).to_have_attribute("aria-selected", "true")
    expect(tab(bob, room).get_by_role("img", name="private")).to_be_visible()
    assert "invite" not in bob.url  # the token left the address bar once used
    assert parse_qs(urlsplit(bob.url).query) == {"room": [room]}
    expect(bob.get_by_role("button", name="Copy invite link")).to_be_hidden()
    expect(bob.get_by_role("button", name="Make public")).to_be_hidden()
    expect(alice.locator("#member-list .member", has_text="Bob")).to_contain_text("online")

    carol = pages.open(app_server.http_url)
    connect_as(carol, "Carol")
    carol.get_by_label("Join a room", exact=True).fill(room)
    carol.get_by_label("Join a room", exact=True).press("Enter")
    expect(carol.locator("#room-error")).to_have_text(INVITE_REQUIRED)
    expect(carol.get_by_label("Join a room", exact=True)).to_have_attribute("aria-invalid", "true")
    expect(tab(carol, room)).to_have_count(0)
    # Not listed either (the room list comes from /api/rooms, which leaves it out).
    with carol.expect_response(lambda r: "/api/rooms" in r.url):
        carol.get_by_role("button", name="Refresh active rooms").click()
    expect(carol.locator(f'#directory [data-room="{room}"]')).to_have_count(0)
    expect(alice.locator("#member-list .member", has_text="Carol")).to_have_count(0)
    assert pages.errors == []


def test_a_single_use_invite_link_lets_one_person_in(
    pages: Pages, app_server: RunningServer, room: str
) -> None:
    alice = pages.open(app_server.http_url, clipboard=True)
    create_private_room(alice, "Alice", room)
    link = copy_invite_link(alice, app_server, room)

    bob = pages.open(link)
    connect_as(bob, "Bob")
    expect(tab(bob, room)).to_have_attribute("aria-selected", "true")

    dave = pages.open(link)
    connect_as(dave, "Dave")
    expect(dave.locator("#room-error")).to_have_text(INVITE_USED)
    expect(tab(dave, room)).to_have_count(0)
    assert "invite" not in dave.url
    expect(alice.locator("#member-list .member", has_text="Dave")).to_have_count(0)
    assert pages.errors == []


def test_a_bad_or_expired_invite_link_is_explained(
    pages: Pages, app_server: RunningServer, room: str
) -> None:
    """A token with a changed letter does not verify; an expired one (signed here with the
    server's key, for the room's epoch, an hour ago: the protocol cannot ask for an invite
    that short-lived) is refused as expired."""
    with connect(app_server.ws_url) as ws:
        ws.send(json.dumps({"type": "hello", "name": "Olivia"}))
        joined = request(ws, {"type": "join", "room": room, "private": True}, "joined")
        assert joined["private"] is True
        reply = request(ws, {"type": "invite", "room": room}, "invite")
        token = str(reply["token"])
        # A changed first letter of the signature (the last letter may only hold padding bits).
        cut = token.index(".") + 1
        tampered = token[:cut] + ("A" if token[cut] != "A" else "B") + token[cut + 1 :]
        claim = invites.mint(
            room=room, epoch=str(joined["epoch"]), expires_at=int(time.time()) - 3600, uses=1
        )
        expired = invites.encode(Signer(SECRET_KEY.encode()), claim)

        erin = pages.open(f"{app_server.http_url}/?room={room}&invite={tampered}")
        connect_as(erin, "Erin")
        expect(erin.locator("#room-error")).to_have_text(INVITE_INVALID)
        expect(tab(erin, room)).to_have_count(0)

        frank = pages.open(f"{app_server.http_url}/?room={room}&invite={expired}")
        connect_as(frank, "Frank")
        expect(frank.locator("#room-error")).to_have_text(INVITE_EXPIRED)
        expect(tab(frank, room)).to_have_count(0)

        # The owner's link of the same room still works.
        grace = pages.open(f"{app_server.http_url}{reply['url_path']}")
        connect_as(grace, "Grace")
        expect(tab(grace, room)).to_have_attribute("aria-selected", "true")
    assert pages.errors == []


def request(ws: ClientConnection, event: dict[str, object], answer: str) -> dict[str, Any]:
    """Send `event` and read until its `answer` (an error fails the test)."""
    ws.send(json.dumps(event))
    while True:
        reply: dict[str, Any] = json.loads(ws.recv(timeout=10))
        assert reply["type"] != "error", reply
        if reply["type"] == answer:
            return reply


def test_the_owner_makes_the_room_public_and_private_again(
    pages: Pages, app_server: RunningServer, room: str
) -> None:
    alice = pages.open(app_server.http_url, clipboard=True)
    create_private_room(alice, "Alice", room)
    bob = pages.open(copy_invite_link(alice, app_server, room))
    connect_as(bob, "Bob")
    expect(tab(bob, room)).to_have_attribute("aria-selected", "true")

    alice.get_by_role("button", name="Make public").click()
    for page in (alice, bob):
        expect(page.locator(f"#log-{room} .system", has_text="public")).to_be_visible()
        expect(tab(page, room).get_by_role("img", name="private")).to_have_count(0)
        expect(page.locator("#room-privacy")).to_contain_text("Public")
    expect(alice.get_by_role("button", name="Make private")).to_be_visible()
    expect(alice.get_by_label("Invite link")).to_be_hidden()

    carol = pages.open(app_server.http_url)
    connect_as(carol, "Carol")
    carol.get_by_label("Join a room", exact=True).fill(room)
    carol.get_by_label("Join a room", exact=True).press("Enter")
    expect(tab(carol, room)).to_have_attribute("aria-selected", "true")
    carol.get_by_role("button", name="Refresh active rooms").click()
    expect(carol.locator(f'#directory [data-room="{room}"]')).to_be_visible()

    alice.get_by_role("button", name="Make private").click()
    for page in (alice, bob, carol):
        expect(page.locator(f"#log-{room} .system", has_text="private")).to_be_visible()
        expect(tab(page, room).get_by_role("img", name="private")).to_be_visible()
    expect(alice.get_by_role("button", name="Make public")).to_be_visible()
    assert pages.errors == []


def test_the_invite_link_stays_in_its_field_when_copying_is_not_allowed(
    pages: Pages, app_server: RunningServer, room: str
) -> None:
    """Without the clipboard permission the page still shows the link, selected, to copy by
    hand."""
    alice = pages.open(app_server.http_url)
    create_private_room(alice, "Alice", room)
    alice.get_by_role("button", name="Copy invite link").click()
    field = alice.get_by_label("Invite link")
    expect(field).to_have_value(re.compile(rf"/\?room={room}&invite=."))
    expect(alice.locator("#invite-status")).to_contain_text(
        "The browser did not allow copying: copy the link from the field."
    )
    assert pages.errors == []


def test_a_private_room_stays_private_when_the_page_rejoins_after_a_restart(
    pages: Pages,
) -> None:
    """The server restarts (memory store: every room is gone); the page re-joins by itself,
    which creates the room again, and asks for it private again."""
    first = start_server({"PARROT_SECRET_KEY": SECRET_KEY})
    try:
        carol = pages.open(first.http_url)
        create_private_room(carol, "Carol", "hideout")
        first.stop()
        expect(carol.locator("#status")).not_to_have_text("Connected as Carol")
        second = start_server({"PARROT_SECRET_KEY": SECRET_KEY, "PARROT_PORT": str(first.port)})
        try:
            expect(carol.locator("#status")).to_have_text("Connected as Carol", timeout=30_000)
            expect(carol.locator("#log-hideout .system", has_text="recreated")).to_be_visible()
            expect(tab(carol, "hideout").get_by_role("img", name="private")).to_be_visible()
            expect(carol.get_by_role("button", name="Make public")).to_be_visible()
            with connect(second.ws_url) as ws:
                ws.send(json.dumps({"type": "hello", "name": "Mallory"}))
                ws.send(json.dumps({"type": "join", "room": "hideout"}))
                refused = request_error(ws)
            assert refused["code"] == "invite_required"
        finally:
            second.stop()
    finally:
        first.stop()
    # While the server is down the browser reports each refused connection attempt; nothing
    # else may appear.
    down = "failed: Error in connection establishment: net::ERR_CONNECTION_REFUSED"
    assert [e for e in pages.errors if not e.endswith(down)] == []


def request_error(ws: ClientConnection) -> dict[str, Any]:
    while True:
        reply: dict[str, Any] = json.loads(ws.recv(timeout=10))
        assert reply["type"] != "joined", reply
        if reply["type"] == "error":
            return reply


def test_an_invited_member_gets_back_in_after_a_dropped_connection(
    pages: Pages, app_server: RunningServer, room: str
) -> None:
    alice = pages.open(app_server.http_url, clipboard=True)
    create_private_room(alice, "Alice", room)
    link = copy_invite_link(alice, app_server, room)
    bob = pages.open(app_server.http_url)
    sockets: list[tuple[WebSocketRoute, WebSocketRoute]] = []
    bob.route_web_socket("**/ws", lambda ws: sockets.append((ws, ws.connect_to_server())))
    bob.goto(link)
    connect_as(bob, "Bob")
    expect(tab(bob, room)).to_have_attribute("aria-selected", "true")
    page_side, server_side = sockets[-1]
    server_side.close()
    page_side.close(code=4009, reason="test: sent away")
    expect(bob.locator("#status")).to_have_text("Connected as Bob", timeout=30_000)
    expect(bob.locator(f"#log-{room} .system", has_text="Reconnected.")).to_be_visible()
