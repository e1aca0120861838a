"""Two people chatting in the web UI at /, in headless Chromium (Debian's), saved as a PNG.

    uv run python tools/screenshot_web_ui.py docs/images/web-ui.png

Starts its own server (tests/support/server.py), signs in Alice and Bob in two browser
contexts, has them talk in one room, and shoots both pages side by side into one image.
"""

from __future__ import annotations

import argparse
import base64
import sys
import tempfile
from pathlib import Path

from playwright.sync_api import Browser, Page, expect, sync_playwright

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from tests.support.browser import CHROMIUM, CHROMIUM_ARGS
from tests.support.server import start_server

ROOM = "lobby"
WIDTH, HEIGHT = 1000, 640


def sign_in(page: Page, name: str) -> None:
    page.get_by_label("Your name").fill(name)
    page.get_by_label("Your name").press("Enter")
    expect(page.locator("#status")).to_have_text(f"Connected as {name}")
    page.get_by_label("Join a room").fill(ROOM)
    page.get_by_label("Join a room").press("Enter")
    expect(page.get_by_role("tab", name=f"#{ROOM}")).to_be_visible()


def say(page: Page, text: str) -> None:
    box = page.get_by_label("Message", exact=True)
    box.fill(text)
    box.press("Enter")
    expect(page.locator(".msg.own .body").last).to_contain_text(text.replace("*", "")[:8])


def screenshot(out: Path) -> None:
    server = start_server()
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            pages = []
            for _ in range(2):
                context = browser.new_context(
                    viewport={"width": WIDTH, "height": HEIGHT}, color_scheme="light"
                )
                page = context.new_page()
                page.goto(server.http_url)
                pages.append(page)
            alice, bob = pages
            sign_in(alice, "Alice")
            sign_in(bob, "Bob")
            say(alice, "Hi Bob! Did you try the *new* web UI?")
            say(bob, "Just now. _Italics_ work, and <b>tags</b> stay literal.")
            say(alice, "Multi-line\nmessages keep their line breaks too.")
            alice.get_by_label("Message", exact=True).press_sequentially("typing")
            expect(bob.locator("#typing")).to_have_text("Alice is typing…")
            with tempfile.TemporaryDirectory() as tmp:
                shots = []
                for name, page in (("alice", alice), ("bob", bob)):
                    path = Path(tmp) / f"{name}.png"
                    page.screenshot(path=str(path))
                    shots.append(path)
                combine(browser, shots, out)
            browser.close()
    finally:
        server.stop()


def combine(browser: Browser, shots: list[Path], out: Path) -> None:
    """Put the two screenshots side by side, by rendering them in one more page."""
    page = browser.new_page(viewport={"width": WIDTH * 2 + 24, "height": HEIGHT + 16})
    images = "".join(
        f'<img src="data:image/png;base64,{_b64(s)}" width="{WIDTH}" height="{HEIGHT}">'
        for s in shots
    )
    page.set_content(
        '<body style="margin:0;padding:8px;background:#9aa3ae;display:flex;gap:8px">'
        f"{images}</body>"
    )
    out.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(out))
    page.close()


def _b64(path: Path) -> str:
    return base64.b64encode(path.read_bytes()).decode("ascii")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("out", type=Path)
    args = parser.parse_args()
    screenshot(args.out)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
