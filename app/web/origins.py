"""The Origin allow-list for WebSocket handshakes (Starlette's CORS does not cover them).

A browser always sends `Origin` on a WebSocket handshake; a page on another site must not
be able to open a chat connection with the visitor's network position. Matching is exact on
scheme, host and port. By default the server's own origin (as the request's `Host` names it)
and localhost/127.0.0.1 on the server's port are allowed.
"""

from __future__ import annotations

from collections.abc import Mapping

from app.settings import Settings


def _port_of(host_header: str) -> str | None:
    if host_header.startswith("["):  # [::1]:8000
        _, _, rest = host_header.partition("]")
        return rest[1:] if rest.startswith(":") else None
    _, sep, port = host_header.rpartition(":")
    return port if sep else None


def allowed_origins(host_header: str, settings: Settings) -> frozenset[str]:
    if settings.allowed_origins:
        return frozenset(o.lower() for o in settings.allowed_origins)
    host = host_header.lower()
    port = _port_of(host) or str(settings.port)
    origins = {f"http://{host}", f"https://{host}"} if host else set()
    origins |= {f"http://localhost:{port}", f"http://127.0.0.1:{port}"}
    return frozenset(origins)


def origin_allowed(headers: Mapping[str, str], settings: Settings) -> bool:
    origin = headers.get("origin")
    if origin is None:
        return not settings.require_origin
    return origin.lower() in allowed_origins(headers.get("host", ""), settings)
