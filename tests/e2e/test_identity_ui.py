"""The web UI's sign-in, attachments, room list and history paging in a real (headless)
Chromium against a real server; and a page whose console stays clean."""

from __future__ import annotations

import re
import struct
import zlib
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import (
    Browser,
    ConsoleMessage,
    Dialog,
    FilePayload,
    Page,
    expect,
    sync_playwright,
)
from playwright.sync_api import Error as PlaywrightError
from websockets.sync.client import connect

from tests.support.browser import launch_chromium
from tests.support.server import RunningServer, start_server
from tools.mint_token import mint

WAIT_MS = 10_000
SECRET = "e2e-secret-that-is-long-enough-for-hs256!!"


def png(width: int = 4, height: int = 3) -> bytes:
    """A real, decodable PNG (red pixels), so the browser can show it."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    rows = b"".join(b"\x00" + b"\xff\x00\x00" * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as p:
        launched = launch_chromium(p)
        yield launched
        launched.close()


@pytest.fixture(scope="module")
def app_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    """Sign-in optional, attachments on, history replies small enough to page."""
    running = start_server(
        {
            "PARROT_AUTH": "optional",
            "PARROT_JWT_SECRET": SECRET,
            "PARROT_UPLOAD_DIR": str(tmp_path_factory.mktemp("uploads")),
            "PARROT_OUTBOX_MAX_BYTES": "65536",
            "PARROT_RATE_MESSAGES": "1000/1",
            "PARROT_RATE_EVENTS": "1000/1",
        }
    )
    yield running
    running.stop()


def open_page(browser: Browser, url: str, errors: list[str] | None = None) -> Page:
    page = browser.new_context(viewport={"width": 1200, "height": 800}).new_page()
    page.set_default_timeout(WAIT_MS)
    if errors is not None:

        def on_console(message: ConsoleMessage) -> None:
            if message.type in ("error", "warning"):
                errors.append(f"{message.type}: {message.text}")

        page.on("console", on_console)
        page.on("pageerror", lambda error: errors.append(f"pageerror: {error}"))
    page.goto(url)
    return page


def join(page: Page, room: str) -> None:
    page.get_by_label("Join a room").fill(room)
    page.get_by_label("Join a room").press("Enter")
    expect(page.get_by_role("tab", name=f"#{room}")).to_have_attribute("aria-selected", "true")


def guest(page: Page, name: str, room: str) -> None:
    page.get_by_label("Your name").fill(name)
    page.get_by_label("Your name").press("Enter")
    expect(page.locator("#status")).to_have_text(f"Connected as {name}")
    join(page, room)


def test_a_token_in_the_url_signs_in_and_leaves_the_address_bar(
    browser: Browser, app_server: RunningServer
) -> None:
    token = mint(SECRET, sub="u-alice", name="Alice")
    page = open_page(browser, f"{app_server.http_url}/?token={token}")
    try:
        expect(page.locator("#status")).to_have_text("Connected as Alice · signed in")
        assert "token" not in page.url
    finally:
        page.context.close()


def test_the_token_field_signs_in_and_a_bad_token_is_explained(
    browser: Browser, app_server: RunningServer
) -> None:
    page = open_page(browser, app_server.http_url)
    try:
        page.get_by_label("Your name").fill("Bob")
        page.get_by_label("Sign-in token (optional)").fill(mint("x" * 40, sub="u-bob"))
        page.get_by_role("button", name="Connect").click()
        expect(page.locator("#name-error")).to_have_text("the token could not be verified")
        expect(page.locator("#chat")).to_be_hidden()
        page.get_by_label("Sign-in token (optional)").fill(mint(SECRET, sub="u-bob"))
        page.get_by_role("button", name="Connect").click()
        expect(page.locator("#status")).to_have_text("Connected as Bob · signed in")
    finally:
        page.context.close()


def attach(page: Page, name: str, mime: str, data: bytes) -> None:
    payload: FilePayload = {"name": name, "mimeType": mime, "buffer": data}
    page.set_input_files("#file-input", files=[payload])


def test_an_image_attachment_is_shown_inline_with_emoji_in_its_text(
    browser: Browser, app_server: RunningServer, room: str
) -> None:
    alice = open_page(browser, app_server.http_url)
    bob = open_page(browser, app_server.http_url)
    try:
        guest(alice, "Alice", room)
        guest(bob, "Bob", room)
        attach(alice, "red.png", "image/png", png())
        expect(alice.locator("#attach-status")).to_contain_text("red.png is ready")
        expect(alice.locator("#attach-chip")).to_be_visible()
        box = alice.get_by_label("Message", exact=True)
        box.fill("the plan :thumbsup:")
        box.press("Enter")
        message = bob.locator(f"#log-{room} .msg").last
        expect(message.locator(".body")).to_have_text("the plan \U0001f44d")
        image = message.locator("img.attachment-image")
        expect(image).to_have_attribute("alt", "red.png")
        expect(image).to_have_attribute("src", _starts_with("/api/uploads/"))
        bob.wait_for_function(
            "img => img.complete && img.naturalWidth === 4", arg=image.element_handle()
        )
        expect(alice.locator("#attach-chip")).to_be_hidden()
    finally:
        alice.context.close()
        bob.context.close()


def _starts_with(prefix: str) -> re.Pattern[str]:
    return re.compile("^" + re.escape(prefix))


HOSTILE = (
    b"<!doctype html><html><body><script>window.top.pwned = 1; document.title = 'pwned';"
    b"alert('pwned')</script><img src=x onerror=\"window.top.pwned = 2\"></body></html>"
)


def test_an_uploaded_html_file_is_never_executed(
    browser: Browser, app_server: RunningServer, room: str, tmp_path: Path
) -> None:
    alice = open_page(browser, app_server.http_url)
    bob = open_page(browser, app_server.http_url)
    dialogs: list[str] = []

    def on_dialog(dialog: Dialog) -> None:
        dialogs.append(dialog.message)
        dialog.dismiss()

    for page in (alice, bob):
        page.on("dialog", on_dialog)
    try:
        guest(alice, "Alice", room)
        guest(bob, "Bob", room)
        # As HTML it is refused at once; as text it is accepted, and served as text.
        attach(alice, "evil.html", "text/html", HOSTILE)
        expect(alice.locator("#attach-status")).to_contain_text("can be attached")
        attach(alice, "evil.html", "text/plain", HOSTILE)
        expect(alice.locator("#attach-status")).to_contain_text("evil.html is ready")
        alice.get_by_label("Message", exact=True).press("Enter")
        message = bob.locator(f"#log-{room} .msg").last
        link = message.locator("a.attachment-link")
        expect(link).to_have_text(_starts_with("evil.html ("))
        assert message.locator("img").count() == 0
        url = link.get_attribute("href")
        assert url is not None
        headers = bob.evaluate("async url => Object.fromEntries((await fetch(url)).headers)", url)
        assert headers["content-type"] == "text/plain; charset=utf-8"
        assert headers["content-disposition"].startswith("attachment;")
        assert headers["x-content-type-options"] == "nosniff"
        assert "sandbox" in headers["content-security-policy"]
        # Following the link downloads the file; nothing of it runs.
        with bob.expect_download() as download:
            link.click()
        saved = tmp_path / "evil.html"
        download.value.save_as(saved)
        assert saved.read_bytes() == HOSTILE
        # Opened directly in a tab, it is a download too, never a page.
        tab = bob.context.new_page()
        with tab.expect_download(), pytest.raises(PlaywrightError, match="Download is starting"):
            tab.goto(f"{app_server.http_url}{url}")
        for page in (alice, bob, tab):
            assert page.evaluate("window.pwned") is None
            assert page.title() != "pwned"
        assert dialogs == []
    finally:
        alice.context.close()
        bob.context.close()


def test_the_active_rooms_are_listed_with_their_member_counts(
    browser: Browser, app_server: RunningServer, room: str
) -> None:
    carol = open_page(browser, app_server.http_url)
    dave = open_page(browser, app_server.http_url)
    try:
        guest(carol, "Carol", room)
        dave.get_by_label("Your name").fill("Dave")
        dave.get_by_label("Your name").press("Enter")
        listed = dave.locator(f'#directory .directory-room[data-room="{room}"]')
        expect(listed).to_contain_text(f"#{room}")
        expect(listed.locator(".count")).to_have_text("1")
        listed.click()
        expect(dave.get_by_role("tab", name=f"#{room}")).to_have_attribute("aria-selected", "true")
        expect(carol.locator("#member-list .member", has_text="Dave")).to_be_visible()
        carol.get_by_role("button", name="Refresh active rooms").click()
        expect(carol.locator(f'#directory [data-room="{room}"] .count')).to_have_text("2")
    finally:
        carol.context.close()
        dave.context.close()


def test_load_older_pages_back_through_history(
    browser: Browser, app_server: RunningServer, room: str
) -> None:
    """40 long messages: a `joined` reply carries the newest that fit half the 64 KiB outbox
    (about 14), and "Load older" fetches the rest, page by page, in order."""
    texts = [f"message {i:02d} " + "x" * 480 for i in range(1, 41)]
    with connect(app_server.ws_url) as ws:
        ws.send('{"type":"hello","name":"Writer"}')
        ws.recv()
        ws.send(f'{{"type":"join","room":"{room}"}}')
        for text in texts:
            ws.send(f'{{"type":"send","room":"{room}","text":"{text}"}}')
        seen = 0
        while seen < len(texts):
            if '"type":"message"' in ws.recv(timeout=10):
                seen += 1
        page = open_page(browser, app_server.http_url)
        try:
            guest(page, "Reader", room)
            bodies = page.locator(f"#log-{room} .msg .body")
            expect(bodies.last).to_have_text(texts[-1])
            first_count = bodies.count()
            assert 1 < first_count < len(texts)
            older = page.get_by_role("button", name="Load older messages")
            for _ in range(5):
                if not older.is_visible():
                    break
                count = bodies.count()
                older.click()
                expect(bodies).not_to_have_count(count)
            expect(older).to_be_hidden()
            expect(bodies).to_have_text(texts)
        finally:
            page.context.close()


def test_the_console_stays_free_of_errors_on_load(browser: Browser, server: RunningServer) -> None:
    errors: list[str] = []
    page = open_page(browser, server.http_url, errors)
    try:
        page.wait_for_load_state("networkidle")
        guest(page, "Quiet", "quiet-room")
        page.wait_for_load_state("networkidle")
        response = page.request.get(server.http_url)
        csp = response.headers["content-security-policy"]
        assert "script-src 'self'" in csp
        assert "'unsafe-inline'" not in csp
        assert response.headers["x-content-type-options"] == "nosniff"
        assert errors == []
    finally:
        page.context.close()


def test_the_csp_forbids_inline_script_on_the_page(browser: Browser, server: RunningServer) -> None:
    """An inline script injected into the page does not run: the policy is enforced, not
    only sent."""
    errors: list[str] = []
    page = open_page(browser, server.http_url, errors)
    try:
        page.evaluate(
            "() => { const s = document.createElement('script');"
            " s.textContent = 'window.injected = 1'; document.body.append(s); }"
        )
        assert page.evaluate("window.injected") is None
        assert any("Content Security Policy" in e for e in errors)
    finally:
        page.context.close()
