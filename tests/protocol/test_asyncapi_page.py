"""/asyncapi renders in a real (headless) browser and lists every event."""

from __future__ import annotations

import shutil

import pytest
from playwright.sync_api import sync_playwright

from app.web import asyncapi
from tests.support.server import RunningServer

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]


def test_the_asyncapi_page_lists_every_event(server: RunningServer) -> None:
    if shutil.which(CHROMIUM) is None:
        pytest.fail(f"{CHROMIUM} is missing: run ./scripts/test (it installs chromium)")
    models = [(m, "client → server") for m in asyncapi.CLIENT_MODELS] + [
        (m, "server → client") for m in asyncapi.SERVER_MODELS
    ]
    with sync_playwright() as p:
        # Playwright's own browser download cannot work here: Debian's Chromium instead.
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
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
