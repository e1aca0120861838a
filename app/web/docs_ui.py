"""`/docs`: Swagger UI for the REST routes, served from the package itself.

FastAPI's built-in page loads Swagger UI from a public CDN (and its favicon from
fastapi.tiangolo.com): blank on a network without internet access, and a third party's
script running next to the API. These routes are FastAPI's documented self-hosting recipe
("Custom Docs UI Static Assets"), with the files vendored from the swagger-ui-dist npm
package into static/vendor/swagger-ui (`task vendor-swagger-ui`). ReDoc is off (ADR 0016).
"""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.openapi.docs import get_swagger_ui_html, get_swagger_ui_oauth2_redirect_html
from fastapi.responses import HTMLResponse

ASSETS = "/vendor/swagger-ui"
# Swagger UI would ask validator.swagger.io about the document in some layouts; never.
PARAMETERS = {"validatorUrl": None}


def add_docs_routes(app: FastAPI) -> None:
    """Swagger UI at `/docs` (and its OAuth2 redirect page) on self-hosted assets; the app
    must be built with `docs_url=None, redoc_url=None`."""
    openapi_url = app.openapi_url or "/openapi.json"
    oauth2_redirect_url = app.swagger_ui_oauth2_redirect_url or "/docs/oauth2-redirect"

    @app.get("/docs", include_in_schema=False)
    async def swagger_ui(request: Request) -> HTMLResponse:
        root = request.scope.get("root_path", "").rstrip("/")
        return get_swagger_ui_html(
            openapi_url=root + openapi_url,
            title=f"{app.title} - Swagger UI",
            oauth2_redirect_url=root + oauth2_redirect_url,
            swagger_js_url=f"{root}{ASSETS}/swagger-ui-bundle.js",
            swagger_css_url=f"{root}{ASSETS}/swagger-ui.css",
            swagger_favicon_url=f"{root}{ASSETS}/favicon-32x32.png",
            swagger_ui_parameters=PARAMETERS,
        )

    @app.get(oauth2_redirect_url, include_in_schema=False)
    async def swagger_ui_redirect() -> HTMLResponse:
        return get_swagger_ui_oauth2_redirect_html()
