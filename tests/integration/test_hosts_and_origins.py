"""Attack 7 (issue 10): a DNS-rebinding page names the server by the attacker's host. Neither
the WebSocket handshake nor REST may trust the `Host` a request claims."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support.handshake import get_status, ws_handshake_status
from tests.support.server import RunningServer, start_server


def test_a_dns_rebinding_handshake_and_rest_call_are_refused(server: RunningServer) -> None:
    # A page on http://evil.example whose name now resolves to 127.0.0.1: the browser sends
    # the attacker's name both as Host and as Origin.
    rebinding = ws_handshake_status(server.port, host="evil.example", origin="http://evil.example")
    assert rebinding == 400
    with_port = f"evil.example:{server.port}"
    assert ws_handshake_status(server.port, host=with_port, origin=f"http://{with_port}") == 400
    assert get_status(server.port, "/api/rooms", host="evil.example") == 400
    assert get_status(server.port, "/healthz", host=with_port) == 400


@pytest.mark.parametrize(
    ("host", "origin"),
    [
        pytest.param("127.0.0.1:{port}", "http://127.0.0.1:{port}", id="own-origin"),
        pytest.param("localhost:{port}", "http://localhost:{port}", id="localhost"),
        pytest.param("127.0.0.1:{port}", "http://localhost:{port}", id="page-on-localhost"),
        pytest.param("[::1]:{port}", "http://[::1]:{port}", id="ipv6-loopback"),
        pytest.param("127.0.0.1:{port}", None, id="no-origin"),
    ],
)
def test_the_loopback_names_still_work(
    server: RunningServer, host: str, origin: str | None
) -> None:
    port = server.port
    host = host.format(port=port)
    assert ws_handshake_status(port, host=host, origin=origin and origin.format(port=port)) == 101
    assert get_status(port, "/api/rooms", host=host) == 200


def test_a_page_on_another_local_port_is_refused(server: RunningServer) -> None:
    # Another local web server (a dev tool, a hostile local page) on another port.
    host = f"127.0.0.1:{server.port}"
    assert ws_handshake_status(server.port, host=host, origin="http://localhost:5173") == 403


@pytest.fixture(scope="module")
def any_host_server() -> Iterator[RunningServer]:
    """The Host check switched off, as behind a proxy that checks Host itself."""
    running = start_server({"PARROT_ALLOWED_HOSTS": "*"})
    yield running
    running.stop()


def test_without_the_host_check_the_origin_rule_still_ignores_host(
    any_host_server: RunningServer,
) -> None:
    port = any_host_server.port
    assert get_status(port, "/api/rooms", host="evil.example") == 200
    assert ws_handshake_status(port, host="evil.example", origin="http://evil.example") == 403
    evil = f"evil.example:{port}"
    assert ws_handshake_status(port, host=evil, origin=f"http://{evil}") == 403
    # `*` is no host name: it lets every Host through and lets no browser origin in.
    assert ws_handshake_status(port, host=evil, origin=f"http://localhost:{port}") == 403
