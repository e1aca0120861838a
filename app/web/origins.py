"""Which names the server answers to, and which pages may open a chat connection.

Two checks, both driven by `PARROT_ALLOWED_HOSTS` (ADR 0016):

- **Host** (every HTTP request and WebSocket handshake): a request addressed to a name that
  is not on the list gets 400 from Starlette's TrustedHostMiddleware (added in app/main.py).
  A DNS-rebinding page (the attacker's name, re-pointed at 127.0.0.1) always sends its own
  name, so it never reaches a route. `*` switches the check off, for a proxy that checks
  Host itself.
- **Origin** (WebSocket handshakes; Starlette's CORS does not cover them): a browser always
  sends `Origin`, and a page on another site must not open a chat connection with the
  visitor's network position. `PARROT_ALLOWED_ORIGINS`, when set, is the exact list. Without
  it, an origin is allowed when its host is on the allowed-hosts list (`*` does not count: it
  names no host), its scheme is the request's (http for ws, https for wss) and its port is
  the one the request was addressed to. The `Host` header supplies only that port, never
  the host: a page on another local port (a dev server, a hostile local page) is another
  origin and needs listing.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

from app.settings import Settings

_DEFAULT_PORTS = {"http": 80, "https": 443}
# What a browser puts in Origin: scheme://host[:port], nothing else (no path, no user info).
_ORIGIN = re.compile(
    r"(?P<scheme>https?)://(?P<host>\[[0-9a-f:.]+\]|[a-z0-9.-]+)(?::(?P<port>\d{1,5}))?"
)
_AUTHORITY = re.compile(r"(?P<host>\[[0-9a-f:.]+\]|[^:\[\]]+)(?::(?P<port>\d{1,5}))?")


def host_allowed(host: str, patterns: Iterable[str]) -> bool:
    """TrustedHostMiddleware's rule: an exact name, or a subdomain of a `*.domain` pattern."""
    return any(
        host == pattern or (pattern.startswith("*.") and host.endswith(pattern[1:]))
        for pattern in patterns
        if pattern != "*"
    )


def _port_addressed(scheme: str, host_header: str) -> int | None:
    """The port the request was sent to, from its Host header (default port if none)."""
    match = _AUTHORITY.fullmatch(host_header)
    if match is None:
        return None
    port = match["port"]
    return int(port) if port else _DEFAULT_PORTS[scheme]


def origin_allowed(scheme: str, headers: Mapping[str, str], settings: Settings) -> bool:
    origin = headers.get("origin")
    if origin is None:
        return not settings.require_origin
    origin = origin.lower()
    if settings.allowed_origins:
        return origin in {o.lower() for o in settings.allowed_origins}
    match = _ORIGIN.fullmatch(origin)
    http_scheme = "https" if scheme in ("wss", "https") else "http"
    if match is None or match["scheme"] != http_scheme:
        return False
    if not host_allowed(match["host"], settings.allowed_hosts):
        return False
    port = int(match["port"]) if match["port"] else _DEFAULT_PORTS[http_scheme]
    return port == _port_addressed(http_scheme, headers.get("host", "").lower())
