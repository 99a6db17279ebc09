"""/docs (Swagger UI) and /redoc served whole by the app itself, so the API docs work offline.

FastAPI's own docs pages load Swagger UI and ReDoc from a CDN: offline they are blank. Here the scripts
come from the pinned ``fastapi-offline`` wheel (pip installs it with the rest; nothing is copied into
the repo) and are served under /docs-assets. Each page gets a CSP that lets only its own scripts run:
files from 'self' plus the one inline script FastAPI writes, allowed by its hash. When the wheel's files
are missing (an install that skipped it), the page says so instead of staying blank.
"""

from __future__ import annotations

import base64
import hashlib
import html
import importlib.util
import re
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

ASSETS_URL = "/docs-assets"
SWAGGER_FILES = ("swagger-ui-bundle.js", "swagger-ui.css", "favicon.png")
REDOC_FILES = ("redoc.standalone.js", "favicon.png")
# No online validator badge (Swagger UI would fetch it from validator.swagger.io).
SWAGGER_PARAMETERS = {"validatorUrl": None}
# ReDoc's styled-components writes <style> elements and its search runs in a blob: worker; Swagger UI
# needs neither. Images: the favicon and the data: icons of Swagger UI's stylesheet.
_CSP = ("default-src 'self'; script-src 'self'{scripts}; style-src 'self'{styles}; img-src 'self' data:; "
        "worker-src 'self'{workers}; object-src 'none'; base-uri 'none'; form-action 'none'; "
        "frame-ancestors 'none'")
INLINE_SCRIPT = re.compile(r"<script>(.*?)</script>", re.S)


def packaged_assets() -> Path | None:
    """The folder of Swagger UI / ReDoc files inside the installed fastapi-offline, or None."""
    spec = importlib.util.find_spec("fastapi_offline")
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations))) / "static"


def page_csp(page: str, redoc: bool = False) -> str:
    """The docs page's CSP: scripts from 'self' and, by hash, exactly the inline scripts of ``page``."""
    hashes = [f"'sha256-{base64.b64encode(hashlib.sha256(body.encode()).digest()).decode()}'"
              for body in INLINE_SCRIPT.findall(page)]
    return _CSP.format(scripts="".join(f" {h}" for h in hashes), styles=" 'unsafe-inline'" if redoc else "",
                       workers=" blob:" if redoc else "")


def missing_page(assets: Path | None, files: tuple[str, ...], openapi_url: str) -> HTMLResponse | None:
    """A 503 page naming what is missing and how to install it, or None when every file is there."""
    where = "fastapi-offline is not installed" if assets is None else None
    if where is None:
        absent = [name for name in files if not (assets / name).is_file()]
        if not absent:
            return None
        where = html.escape(f"missing from {assets}: {', '.join(absent)}")
    body = (f"<!DOCTYPE html><html><head><title>API docs unavailable</title></head><body>"
            f"<h1>API docs unavailable</h1><p>The docs pages are served from the fastapi-offline package's "
            f"files ({where}). Run <code>make install</code> (or <code>pip install -c constraints.txt -e .</code>)"
            f" and restart the server.</p><p>The API schema itself is at <a href=\"{openapi_url}\">"
            f"{openapi_url}</a>.</p></body></html>")
    return HTMLResponse(body, status_code=503, headers={"Content-Security-Policy": _CSP.format(
        scripts="", styles="", workers="")})


def install_docs(app: FastAPI, assets: Path | None = None) -> None:
    """/docs and /redoc on ``app`` (made with docs_url=None, redoc_url=None); no OAuth2 redirect page: the
    API has no login. ``assets``: the folder holding SWAGGER_FILES and REDOC_FILES; default the package's.
    """
    assets = assets if assets is not None else packaged_assets()
    if assets is not None and assets.is_dir():
        app.mount(ASSETS_URL, StaticFiles(directory=assets), name="docs-assets")

    def docs_page(request: Request, files: tuple[str, ...], build, redoc: bool = False) -> HTMLResponse:
        """``build(openapi_url, assets_url)``'s page with its CSP, or the page saying what is missing."""
        root = request.scope.get("root_path", "")
        openapi_url = f"{root}{app.openapi_url}"
        missing = missing_page(assets, files, openapi_url)
        if missing is not None:
            return missing
        page = build(openapi_url, f"{root}{ASSETS_URL}")
        page.headers["Content-Security-Policy"] = page_csp(page.body.decode(), redoc)
        return page

    @app.get("/docs", include_in_schema=False)
    def swagger_ui(request: Request) -> HTMLResponse:
        return docs_page(request, SWAGGER_FILES, lambda openapi_url, assets_url: get_swagger_ui_html(
            openapi_url=openapi_url, title=f"{app.title} - Swagger UI", oauth2_redirect_url=None,
            swagger_js_url=f"{assets_url}/swagger-ui-bundle.js", swagger_css_url=f"{assets_url}/swagger-ui.css",
            swagger_favicon_url=f"{assets_url}/favicon.png",
            swagger_ui_parameters={**(app.swagger_ui_parameters or {}), **SWAGGER_PARAMETERS}))

    @app.get("/redoc", include_in_schema=False)
    def redoc(request: Request) -> HTMLResponse:
        return docs_page(request, REDOC_FILES, lambda openapi_url, assets_url: get_redoc_html(
            openapi_url=openapi_url, title=f"{app.title} - ReDoc", redoc_js_url=f"{assets_url}/redoc.standalone.js",
            redoc_favicon_url=f"{assets_url}/favicon.png", with_google_fonts=False), redoc=True)
