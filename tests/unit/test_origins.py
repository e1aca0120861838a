from __future__ import annotations

import pytest

from app.settings import Settings
from app.web.origins import origin_allowed

DEFAULT = Settings(port=8000)
LISTED = Settings(allowed_origins="https://chat.example, https://app.example:8443")  # type: ignore[arg-type]  # parsed from the env string form
STRICT = Settings(require_origin=True)


@pytest.mark.parametrize(
    ("settings", "scheme", "headers", "allowed"),
    [
        pytest.param(DEFAULT, "ws", {"host": "127.0.0.1:8000"}, True, id="no-origin"),
        pytest.param(STRICT, "ws", {"host": "127.0.0.1:8000"}, False, id="no-origin-strict"),
        pytest.param(
            DEFAULT,
            "ws",
            {"host": "chat.local:8000", "origin": "http://chat.local:8000"},
            True,
            id="own-origin",
        ),
        pytest.param(
            DEFAULT,
            "wss",
            {"host": "chat.example", "origin": "https://chat.example"},
            True,
            id="own-origin-tls",
        ),
        pytest.param(
            DEFAULT,
            "ws",
            {"host": "chat.example", "origin": "https://chat.example"},
            False,
            id="wrong-scheme",
        ),
        pytest.param(
            DEFAULT,
            "ws",
            {"host": "x:8000", "origin": "http://localhost:8000"},
            True,
            id="localhost-same-port",
        ),
        pytest.param(
            DEFAULT,
            "ws",
            {"host": "x:8000", "origin": "http://localhost:8001"},
            False,
            id="localhost-other-port",
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
            LISTED, "ws", {"host": "h", "origin": "http://h"}, False, id="list-replaces-default"
        ),
    ],
)
def test_origin_allowed(
    settings: Settings, scheme: str, headers: dict[str, str], allowed: bool
) -> None:
    assert origin_allowed(scheme, headers, settings) is allowed
