"""/asyncapi renders in a real (headless) browser and lists every event."""

from __future__ import annotations

from playwright.sync_api import sync_playwright

from app.web import asyncapi
from tests.support.browser import launch_chromium
from tests.support.server import RunningServer


def test_the_asyncapi_page_lists_every_event(server: RunningServer) -> None:
    models = [(m, "client → server") for m in asyncapi.CLIENT_MODELS] + [
        (m, "server → client") for m in asyncapi.SERVER_MODELS
    ]
    with sync_playwright() as p:
        browser = launch_chromium(p)
        try:
            page = browser.new_page(viewport={"width": 1600, "height": 1000})
            page.goto(f"{server.http_url}/asyncapi")
            page.wait_for_selector("#messages", timeout=30_000)
            assert "ParrotChat WebSocket protocol" in page.inner_text("#introduction")
            missing = []
            for model, arrow in models:
                title = f"{asyncapi.tag(model)} ({arrow})"
                section = page.locator(f"#message-{model.__name__}")
                if section.count() != 1 or title not in section.inner_text():
                    missing.append(title)
            assert missing == []
            operations = page.inner_text("#operations")
            assert "sendClientEvents" in operations
            assert "receiveServerEvents" in operations
        finally:
            browser.close()
