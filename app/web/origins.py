"""The Origin allow-list for WebSocket handshakes (Starlette's CORS does not cover them).

A browser always sends `Origin` on a WebSocket handshake; a page on another site must not
be able to open a chat connection with the visitor's network position. Matching is exact on
scheme, host and port. By default the server's own origin (the request's scheme, http for ws
and https for wss, with the `Host` it was addressed by) and http://localhost and
http://127.0.0.1 on the server's port are allowed.
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


def allowed_origins(scheme: str, host_header: str, settings: Settings) -> frozenset[str]:
    if settings.allowed_origins:
        return frozenset(o.lower() for o in settings.allowed_origins)
    host = host_header.lower()
    port = _port_of(host) or str(settings.port)
    http_scheme = "https" if scheme in ("wss", "https") else "http"
    origins = {f"{http_scheme}://{host}"} if host else set()
    origins |= {f"http://localhost:{port}", f"http://127.0.0.1:{port}"}
    return frozenset(origins)


def origin_allowed(scheme: str, headers: Mapping[str, str], settings: Settings) -> bool:
    origin = headers.get("origin")
    if origin is None:
        return not settings.require_origin
    return origin.lower() in allowed_origins(scheme, headers.get("host", ""), settings)
