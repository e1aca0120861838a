from __future__ import annotations

import pytest
from pydantic import ValidationError

from app.settings import Settings
from app.web.origins import origin_allowed

DEFAULT = Settings(port=8000)
LISTED = Settings(allowed_origins="https://chat.example, https://app.example:8443")  # type: ignore[arg-type]  # parsed from the env string form
STRICT = Settings(require_origin=True)
CHAT_HOST = Settings(allowed_hosts="chat.example")  # type: ignore[arg-type]  # the env string form
WILDCARD = Settings(allowed_hosts="*.example.com")  # type: ignore[arg-type]  # the env string form
ANY_HOST = Settings(allowed_hosts="*")  # type: ignore[arg-type]  # the env string form


@pytest.mark.parametrize(
    ("settings", "scheme", "headers", "allowed"),
    [
        pytest.param(DEFAULT, "ws", {"host": "127.0.0.1:8000"}, True, id="no-origin"),
        pytest.param(STRICT, "ws", {"host": "127.0.0.1:8000"}, False, id="no-origin-strict"),
        pytest.param(
            DEFAULT,
            "ws",
            {"host": "127.0.0.1:8000", "origin": "http://127.0.0.1:8000"},
            True,
            id="own-origin",
        ),
        pytest.param(
            DEFAULT,
            "ws",
            {"host": "127.0.0.1:8000", "origin": "http://localhost:8000"},
            True,
            id="page-on-localhost",
        ),
        pytest.param(
            DEFAULT,
            "ws",
            {"host": "[::1]:8000", "origin": "http://[::1]:8000"},
            True,
            id="ipv6-loopback",
        ),
        pytest.param(
            DEFAULT,
            "ws",
            {"host": "localhost:8000", "origin": "HTTP://LocalHost:8000"},
            True,
            id="case-insensitive",
        ),
        # DNS rebinding: the attacker's name, now resolving to us, as Host and as Origin.
        pytest.param(
            DEFAULT,
            "ws",
            {"host": "evil.example:8000", "origin": "http://evil.example:8000"},
            False,
            id="rebinding",
        ),
        pytest.param(
            DEFAULT,
            "ws",
            {"host": "evil.example", "origin": "http://evil.example"},
            False,
            id="rebinding-default-port",
        ),
        pytest.param(
            DEFAULT,
            "ws",
            {"host": "chat.local:8000", "origin": "http://chat.local:8000"},
            False,
            id="unlisted-own-name",
        ),
        pytest.param(
            CHAT_HOST,
            "wss",
            {"host": "chat.example", "origin": "https://chat.example"},
            True,
            id="listed-host-tls",
        ),
        pytest.param(
            CHAT_HOST,
            "wss",
            {"host": "chat.example", "origin": "https://chat.example:443"},
            True,
            id="explicit-default-port",
        ),
        pytest.param(
            CHAT_HOST,
            "ws",
            {"host": "chat.example", "origin": "https://chat.example"},
            False,
            id="wrong-scheme",
        ),
        pytest.param(
            CHAT_HOST,
            "ws",
            {"host": "chat.example:8000", "origin": "http://localhost:8000"},
            False,
            id="list-replaces-loopback",
        ),
        pytest.param(
            WILDCARD,
            "wss",
            {"host": "chat.example.com", "origin": "https://chat.example.com"},
            True,
            id="wildcard-subdomain",
        ),
        pytest.param(
            WILDCARD,
            "wss",
            {"host": "chat.example.com", "origin": "https://example.com.evil.example"},
            False,
            id="wildcard-suffix-trick",
        ),
        pytest.param(
            ANY_HOST,
            "ws",
            {"host": "evil.example", "origin": "http://evil.example"},
            False,
            id="star-is-no-origin",
        ),
        # Another local web server (a dev server, a hostile page) is another origin.
        pytest.param(
            DEFAULT,
            "ws",
            {"host": "localhost:8000", "origin": "http://localhost:5173"},
            False,
            id="localhost-other-port",
        ),
        pytest.param(
            DEFAULT,
            "ws",
            {"host": "localhost", "origin": "http://localhost"},
            True,
            id="default-port",
        ),
        pytest.param(
            DEFAULT,
            "ws",
            {"host": "localhost", "origin": "http://localhost:8000"},
            False,
            id="default-port-vs-8000",
        ),
        pytest.param(
            DEFAULT, "ws", {"origin": "http://localhost:8000"}, False, id="no-host-header"
        ),
        pytest.param(DEFAULT, "ws", {"host": "127.0.0.1:8000", "origin": "null"}, False, id="null"),
        pytest.param(
            DEFAULT,
            "ws",
            {"host": "127.0.0.1:8000", "origin": "http://127.0.0.1:8000.evil.example"},
            False,
            id="suffix-trick",
        ),
        pytest.param(
            DEFAULT,
            "ws",
            {"host": "localhost:8000", "origin": "http://localhost:8000@evil.example"},
            False,
            id="userinfo-trick",
        ),
        pytest.param(
            DEFAULT,
            "ws",
            {"host": "localhost:8000", "origin": "http://localhost.:8000"},
            False,
            id="trailing-dot",
        ),
        pytest.param(
            DEFAULT,
            "ws",
            {"host": "localhost:8000", "origin": "http://localhost:8000/"},
            False,
            id="with-path",
        ),
        pytest.param(
            DEFAULT,
            "ws",
            {"host": "localhost:8000", "origin": "ftp://localhost:8000"},
            False,
            id="other-scheme",
        ),
        pytest.param(
            LISTED, "ws", {"host": "h", "origin": "https://chat.example"}, True, id="listed"
        ),
        pytest.param(
            LISTED,
            "ws",
            {"host": "h", "origin": "https://app.example:8443"},
            True,
            id="listed-port",
        ),
        pytest.param(
            LISTED,
            "ws",
            {"host": "h", "origin": "https://app.example"},
            False,
            id="listed-wrong-port",
        ),
        pytest.param(
            LISTED, "ws", {"host": "h", "origin": "https://sub.chat.example"}, False, id="subdomain"
        ),
        pytest.param(
            LISTED,
            "ws",
            {"host": "localhost:8000", "origin": "http://localhost:8000"},
            False,
            id="origin-list-replaces-default",
        ),
    ],
)
def test_origin_allowed(
    settings: Settings, scheme: str, headers: dict[str, str], allowed: bool
) -> None:
    assert origin_allowed(scheme, headers, settings) is allowed


@pytest.mark.parametrize(
    ("raw", "hosts"),
    [
        pytest.param("localhost,127.0.0.1", ("localhost", "127.0.0.1"), id="list"),
        pytest.param(
            " Chat.Example.COM , localhost ", ("chat.example.com", "localhost"), id="case"
        ),
        pytest.param("::1", ("[::1]",), id="bare-ipv6"),
        pytest.param("[::1]", ("[::1]",), id="bracketed-ipv6"),
        pytest.param("*", ("*",), id="any"),
        pytest.param("*.example.com", ("*.example.com",), id="wildcard"),
    ],
)
def test_allowed_hosts_are_normalised(raw: str, hosts: tuple[str, ...]) -> None:
    assert Settings(allowed_hosts=raw).allowed_hosts == hosts  # type: ignore[arg-type]  # the env string form


def test_the_default_hosts_are_the_loopback_names() -> None:
    assert Settings().allowed_hosts == ("localhost", "127.0.0.1", "[::1]")


@pytest.mark.parametrize(
    "raw",
    [
        pytest.param("", id="empty"),
        pytest.param(" , ", id="only-commas"),
        pytest.param("localhost:8000", id="with-port"),
        pytest.param("http://localhost", id="with-scheme"),
        pytest.param("a*.example.com", id="inner-star"),
        pytest.param("*example.com", id="star-without-dot"),
    ],
)
def test_a_bad_host_list_is_refused_at_startup(raw: str) -> None:
    with pytest.raises(ValidationError):
        Settings(allowed_hosts=raw)  # type: ignore[arg-type]  # the env string form
