"""Attack 9 (issue 10), /docs: Swagger UI comes from the server itself, so the page works on a
network without internet access and trusts no third party."""

from __future__ import annotations

import re
from urllib.parse import urljoin, urlsplit

import httpx
from playwright.sync_api import Route, sync_playwright

from tests.support.browser import launch_chromium
from tests.support.server import RunningServer

_URL = re.compile(r"""https?://[^\s"'<>)]+""")
_ASSET = re.compile(r"""(?:src|href)="([^"]+)\"""")


def test_the_docs_page_names_no_foreign_origin_and_its_assets_are_served(
    server: RunningServer,
) -> None:
    page = httpx.get(f"{server.http_url}/docs", timeout=5)
    assert page.status_code == 200
    foreign = [url for url in _URL.findall(page.text) if not url.startswith(server.http_url)]
    assert foreign == []
    assets = _ASSET.findall(page.text)
    assert any(a.endswith(".js") for a in assets)
    assert any(a.endswith(".css") for a in assets)
    for asset in assets:
        response = httpx.get(urljoin(f"{server.http_url}/docs", asset), timeout=5)
        assert response.status_code == 200, asset
        assert response.content, asset
    redirect = httpx.get(f"{server.http_url}/docs/oauth2-redirect", timeout=5)
    assert redirect.status_code == 200
    assert [u for u in _URL.findall(redirect.text) if not u.startswith(server.http_url)] == []


def test_the_docs_page_renders_every_operation_with_foreign_origins_blocked(
    server: RunningServer,
) -> None:
    spec = httpx.get(f"{server.http_url}/openapi.json", timeout=5).json()
    own = urlsplit(server.http_url).netloc
    blocked: list[str] = []

    def offline(route: Route) -> None:
        if urlsplit(route.request.url).netloc == own:
            route.continue_()
        else:
            blocked.append(route.request.url)
            route.abort()

    with sync_playwright() as p:
        browser = launch_chromium(p)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.route("**/*", offline)
            page.goto(f"{server.http_url}/docs")
            page.wait_for_selector(".opblock", timeout=30_000)
            shown = {
                block.locator(".opblock-summary-method").inner_text().lower()
                + " "
                + block.locator(".opblock-summary-path").inner_text().replace("\u200b", "")
                for block in page.locator(".opblock").all()
            }
            expected = {f"{method} {path}" for path, ops in spec["paths"].items() for method in ops}
            assert shown == expected
            assert "ParrotChat" in page.inner_text(".info")
        finally:
            browser.close()
    assert blocked == []
