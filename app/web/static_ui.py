"""The web UI's static files, served with the headers a page needs to be safe: a
Content-Security-Policy that allows script, style, images and connections from this origin
only (no inline script, nothing from elsewhere) and `nosniff`. /docs and /asyncapi are pages
of their own with their own headers; the vendored files they load from here are scripts and
styles, which a CSP header does not affect.
"""

from __future__ import annotations

from starlette.responses import Response
from starlette.staticfiles import StaticFiles
from starlette.types import Scope

UI_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' blob:; "
    "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
    "frame-ancestors 'none'"
)
UI_HEADERS = {
    "Content-Security-Policy": UI_CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
}


class UiStaticFiles(StaticFiles):
    async def get_response(self, path: str, scope: Scope) -> Response:
        response = await super().get_response(path, scope)
        for name, value in UI_HEADERS.items():
            response.headers.setdefault(name, value)
        return response
