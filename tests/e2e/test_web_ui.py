"""The bundled web UI at / in a real (headless) Chromium against a real server."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, WebSocketRoute, expect, sync_playwright

from tests.support.browser import launch_chromium
from tests.support.server import RunningServer, start_server

WAIT_MS = 10_000


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as p:
        launched = launch_chromium(p)
        yield launched
        launched.close()


def open_page(browser: Browser, url: str) -> Page:
    page = browser.new_context(viewport={"width": 1200, "height": 800}).new_page()
    page.set_default_timeout(WAIT_MS)
    page.goto(url)
    return page


def sign_in(page: Page, name: str, room: str) -> None:
    page.get_by_label("Your name").fill(name)
    page.get_by_label("Your name").press("Enter")
    expect(page.locator("#status")).to_have_text(f"Connected as {name}")
    page.get_by_label("Join a room").fill(room)
    page.get_by_label("Join a room").press("Enter")
    expect(page.get_by_role("tab", name=f"#{room}")).to_have_attribute("aria-selected", "true")


def test_two_people_chat_in_a_room(browser: Browser, server: RunningServer, room: str) -> None:
    alice = open_page(browser, server.http_url)
    bob = open_page(browser, server.http_url)
    try:
        sign_in(alice, "Alice", room)
        sign_in(bob, "Bob", room)
        members = bob.locator("#member-list")
        expect(members.locator(".member", has_text="Alice")).to_contain_text("owner")
        expect(members.locator(".member", has_text="Alice")).to_contain_text("online")
        expect(alice.locator("#member-list .member", has_text="Bob")).to_be_visible()
        expect(alice.get_by_role("button", name="Kick Bob")).to_be_visible()
        expect(bob.get_by_role("button", name="Kick Alice")).to_have_count(0)

        box = alice.get_by_label("Message", exact=True)
        box.press_sequentially("hello")
        expect(bob.locator("#typing")).to_have_text("Alice is typing…")
        box.fill("hello *world* <b>x</b>")
        box.press("Enter")

        message = bob.locator(f"#log-{room} .msg").last
        expect(message.locator(".author")).to_have_text("Alice")
        expect(message.locator(".body strong")).to_have_text("world")
        expect(message.locator(".body")).to_have_text("hello world <b>x</b>")
        assert message.locator(".body b").count() == 0
        expect(bob.locator("#typing")).to_have_text("")
        own = alice.locator(f"#log-{room} .msg.own").last
        expect(own.locator(".body")).to_have_text("hello world <b>x</b>")
        expect(bob.locator(f"#log-{room} .system", has_text="Bob joined")).to_be_visible()
    finally:
        alice.context.close()
        bob.context.close()


def test_an_invalid_name_is_explained_next_to_the_form(
    browser: Browser, server: RunningServer
) -> None:
    page = open_page(browser, server.http_url)
    try:
        page.get_by_label("Your name").fill("a")
        page.get_by_role("button", name="Connect").click()
        error = page.locator("#name-error")
        expect(error).not_to_be_empty()
        expect(page.get_by_label("Your name")).to_have_attribute("aria-invalid", "true")
        expect(page.locator("#chat")).to_be_hidden()
    finally:
        page.context.close()


def test_the_page_rejoins_its_rooms_after_a_server_restart(browser: Browser) -> None:
    """A server shutdown (1001) → the page reconnects, re-hellos and re-joins by itself."""
    first = start_server()
    port = first.port
    page = open_page(browser, first.http_url)
    try:
        sign_in(page, "Carol", "resume-room")
        page.get_by_label("Message", exact=True).fill("before the restart")
        page.get_by_label("Message", exact=True).press("Enter")
        expect(page.locator(".msg .body")).to_have_text(["before the restart"])
        first.stop()
        expect(page.locator("#status")).not_to_have_text("Connected as Carol")
        second = start_server({"PARROT_PORT": str(port)})
        try:
            expect(page.locator("#status")).to_have_text("Connected as Carol", timeout=30_000)
            expect(page.get_by_role("tab", name="#resume-room")).to_be_visible()
            expect(page.locator(".system", has_text="Rejoined")).to_be_visible()
            expect(page.locator(".system", has_text="recreated")).to_be_visible()
            page.get_by_label("Message", exact=True).fill("after")
            page.get_by_label("Message", exact=True).press("Enter")
            expect(page.locator(".msg .body")).to_have_text(["before the restart", "after"])
        finally:
            second.stop()
    finally:
        page.context.close()
        first.stop()


@pytest.mark.parametrize("code", [4008, 4009], ids=["slow-consumer", "resync"])
def test_a_dropped_connection_resumes_without_losing_messages(
    browser: Browser, server: RunningServer, room: str, code: int
) -> None:
    """Bob's socket closes 4008 (slow consumer) or 4009 (a node sends him away to resume); a
    message is sent while he is away; his page reconnects, re-joins with since/epoch and
    shows the missed message."""
    alice = open_page(browser, server.http_url)
    bob = open_page(browser, server.http_url)
    # Every socket of Bob's page goes through Playwright, so the test can cut it, and can
    # refuse new ones (a close 1011 at once) while "the network is down".
    sockets: list[tuple[WebSocketRoute, WebSocketRoute]] = []
    down = [False]

    def route(page_side: WebSocketRoute) -> None:
        if down[0]:
            page_side.close(code=1011, reason="test: network down")
            return
        sockets.append((page_side, page_side.connect_to_server()))

    bob.route_web_socket("**/ws", route)
    try:
        sign_in(alice, "Alice", room)
        sign_in(bob, "Bob", room)
        say(alice, "one")
        expect(bob.locator(f"#log-{room} .msg .body")).to_have_text(["one"])

        down[0] = True
        page_side, server_side = sockets[-1]
        server_side.close()
        page_side.close(code=code, reason="test: sent away")
        expect(bob.locator("#status")).to_contain_text("reconnecting")
        expect(alice.locator("#member-list .member", has_text="Bob")).to_contain_text("offline")
        say(alice, "while you were away")
        down[0] = False

        expect(bob.locator("#status")).to_have_text("Connected as Bob", timeout=30_000)
        expect(bob.locator(f"#log-{room} .system", has_text="Reconnected.")).to_be_visible()
        expect(bob.locator(f"#log-{room} .msg .body")).to_have_text(["one", "while you were away"])
    finally:
        alice.context.close()
        bob.context.close()


def say(page: Page, text: str) -> None:
    box = page.get_by_label("Message", exact=True)
    box.fill(text)
    box.press("Enter")
    expect(page.locator(".msg.own .body").last).to_have_text(text)


def test_the_owner_kicks_a_member_who_is_told_why_and_cannot_come_back(
    browser: Browser, server: RunningServer, room: str
) -> None:
    alice = open_page(browser, server.http_url)
    bob = open_page(browser, server.http_url)
    try:
        sign_in(alice, "Alice", room)
        sign_in(bob, "Bob", room)
        alice.get_by_label("Kick/ban reason (optional)").fill("spam <b>links</b>")
        alice.get_by_role("button", name="Kick Bob").click()
        expect(bob.locator("#banner-text")).to_have_text(
            f"You were kicked from {room} by Alice: spam <b>links</b>."
        )
        assert bob.locator("#banner-text b").count() == 0
        expect(alice.locator(f"#log-{room} .system", has_text="Bob was kicked")).to_be_visible()
        expect(alice.locator("#member-list .member", has_text="Bob")).to_contain_text("offline")
        expect(alice.get_by_role("button", name="Kick Bob")).to_have_count(0)
        bob.get_by_label("Join a room").fill(room)
        bob.get_by_label("Join a room").press("Enter")
        expect(bob.locator("body")).to_contain_text("kicked")
        expect(bob.get_by_role("tab", name=f"#{room}")).to_have_count(0)
    finally:
        alice.context.close()
        bob.context.close()
