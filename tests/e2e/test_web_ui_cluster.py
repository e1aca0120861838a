"""The bundled web UI across a rolling deploy: two nodes on one Redis behind HAProxy (the
repository's config); the node a page is on is drained, and the page comes back through the
proxy on the other node with nothing missed."""

from __future__ import annotations

import signal
from collections.abc import Iterator

import httpx
import pytest
from playwright.sync_api import Browser, sync_playwright

from tests.e2e.test_web_ui import open_page, say, sign_in
from tests.support.browser import launch_chromium
from tests.support.cluster import haproxy, running_cluster
from tests.support.redis import RedisServer
from tests.support.server import RunningServer


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as p:
        launched = launch_chromium(p)
        yield launched
        launched.close()


def _connections(node: RunningServer) -> int:
    count: int = httpx.get(f"{node.http_url}/api/stats", timeout=5).json()["connections"]
    return count


def test_a_page_on_a_drained_node_resumes_on_the_other_through_the_proxy(
    browser: Browser, redis_server: RedisServer
) -> None:
    room = "rolling"
    with running_cluster(redis_server, 2, tag="webui") as cluster, haproxy(cluster.nodes) as proxy:
        alice = open_page(browser, proxy.http_url)
        try:
            sign_in(alice, "Alice", room)
            drained = next(node for node in cluster.nodes if _connections(node) == 1)
            staying = next(node for node in cluster.nodes if node is not drained)
            # Bob's page talks to the node that stays, directly.
            bob = open_page(browser, staying.http_url)
            try:
                sign_in(bob, "Bob", room)
                say(bob, "before the deploy")
                log = alice.locator(f"#log-{room} .msg .body")
                log.filter(has_text="before the deploy").wait_for()
                drained.terminate(signal.SIGTERM)
                alice.locator("#status", has_text="reconnecting").wait_for()
                say(bob, "while you were moving")
                alice.locator("#status", has_text="Connected as Alice").wait_for(timeout=30_000)
                alice.locator(f"#log-{room} .system", has_text="Reconnected.").wait_for()
                assert log.all_text_contents() == ["before the deploy", "while you were moving"]
                assert alice.locator(f"#log-{room} .system", has_text="missed").count() == 0
                assert _connections(staying) == 2
                say(alice, "back")
                bob.locator(f"#log-{room} .msg .body", has_text="back").wait_for()
            finally:
                bob.context.close()
        finally:
            alice.context.close()
