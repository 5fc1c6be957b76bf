"""Swagger UI and ReDoc served from the service's own files: no CDN, no outside host.

Each page carries a Content-Security-Policy that lets it load only what it needs from this
origin: the bundled assets, the contract (`/openapi.json`) and, by their hashes, its own
inline scripts. It may be framed by no one. With `JIEBANG_DOCS_PUBLIC=false` none of this is
installed and the pages, the assets and both contract documents answer 404."""

from __future__ import annotations

import base64
import hashlib
import re
from pathlib import Path

import fastapi_offline
from fastapi import FastAPI, Request
from fastapi.openapi.docs import (
    get_redoc_html,
    get_swagger_ui_html,
    get_swagger_ui_oauth2_redirect_html,
)
from fastapi.responses import HTMLResponse, Response
from fastapi.staticfiles import StaticFiles

from jiebang_api.api.openapi import build, to_yaml

STATIC_URL = "/static/docs"
ASSETS = Path(fastapi_offline.__file__).parent / "static"
OAUTH2_REDIRECT_URL = "/docs/oauth2-redirect"
_INLINE_SCRIPT = re.compile(r"<script>(.*?)</script>", re.DOTALL)


def content_security_policy(html: str, *, workers: bool = False) -> str:
    """Same origin only; inline scripts by hash; inline styles (both UIs set them); images
    and fonts also as `data:` URLs (Swagger UI's icons); ReDoc's search runs in a worker
    it makes from a `blob:`."""
    hashes = " ".join(
        "'sha256-" + base64.b64encode(hashlib.sha256(script.encode()).digest()).decode() + "'"
        for script in _INLINE_SCRIPT.findall(html)
    )
    directives = [
        "default-src 'none'",
        f"script-src 'self' {hashes}".rstrip(),
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data:",
        "font-src 'self' data:",
        "connect-src 'self'",
        *(["worker-src 'self' blob:"] if workers else []),
        "base-uri 'none'",
        "form-action 'none'",
        "frame-ancestors 'none'",
    ]
    return "; ".join(directives)


class Page:
    """A documentation page and its headers, computed once: the page never changes."""

    def __init__(self, page: HTMLResponse, *, workers: bool = False) -> None:
        self.html = bytes(page.body).decode()
        self.headers = {
            "Content-Security-Policy": content_security_policy(self.html, workers=workers),
            "X-Frame-Options": "DENY",
        }

    def response(self) -> HTMLResponse:
        return HTMLResponse(self.html, headers=self.headers)


def install(app: FastAPI, *, title: str) -> None:
    """Mount the bundled assets, the two documentation pages and the YAML contract."""
    app.mount(STATIC_URL, StaticFiles(directory=ASSETS), name="docs-assets")
    swagger = Page(
        get_swagger_ui_html(
            openapi_url="/openapi.json",
            title=f"{title} — Swagger UI",
            oauth2_redirect_url=OAUTH2_REDIRECT_URL,
            swagger_js_url=f"{STATIC_URL}/swagger-ui-bundle.js",
            swagger_css_url=f"{STATIC_URL}/swagger-ui.css",
            swagger_favicon_url=f"{STATIC_URL}/favicon.png",
            # No call to the public validator service: intranets have no internet.
            swagger_ui_parameters={
                "validatorUrl": None,
                "persistAuthorization": True,
                "requestSnippetsEnabled": True,
                "displayRequestDuration": True,
                "filter": True,
            },
        )
    )
    redirect = Page(get_swagger_ui_oauth2_redirect_html())
    redoc_page = Page(
        get_redoc_html(
            openapi_url="/openapi.json",
            title=f"{title} — ReDoc",
            redoc_js_url=f"{STATIC_URL}/redoc.standalone.js",
            redoc_favicon_url=f"{STATIC_URL}/favicon.png",
            with_google_fonts=False,
        ),
        workers=True,
    )

    @app.get("/docs", include_in_schema=False)
    async def swagger_ui() -> HTMLResponse:
        return swagger.response()

    @app.get(OAUTH2_REDIRECT_URL, include_in_schema=False)
    async def swagger_ui_redirect() -> HTMLResponse:
        return redirect.response()

    @app.get("/redoc", include_in_schema=False)
    async def redoc() -> HTMLResponse:
        return redoc_page.response()

    @app.get("/openapi.yaml", include_in_schema=False)
    async def openapi_yaml(request: Request) -> Response:
        return Response(to_yaml(build(request.app)), media_type="application/yaml")
