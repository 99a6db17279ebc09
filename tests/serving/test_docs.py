"""/docs (Swagger UI) and /redoc render from the app's own files: in Debian's chromium (Playwright), every
request the pages make stays on the test server at 127.0.0.1, and the pages' CSP lets them run.

Screenshots are kept at var/test-artifacts/serving-docs-swagger.png and serving-docs-redoc.png.
"""

from __future__ import annotations


import httpx
import pytest
from fastapi import FastAPI

from prodseg.settings import REPO_ROOT
from serving.app import create_app
from serving.docs import REDOC_FILES, SWAGGER_FILES, install_docs, packaged_assets
from serving.server import running_server
from tests.serving.helpers import serve_settings
from tests.system import CHROMIUM, needs_chromium

ARTIFACTS = REPO_ROOT / "var" / "test-artifacts"
# ReDoc's sidebar footer ("API docs by Redocly") hard-codes its logo on Redocly's CDN: the page's CSP refuses
# it in the browser (logged as a refusal, failed with "csp": never sent) and ReDoc hides the image.
REFUSED_OFFSITE = ("https://cdn.redoc.ly/redoc/logo-mini.svg",)


@needs_chromium
def test_docs_and_redoc_render_offline_with_every_request_to_the_server(tmp_path, models_dir, catalog_data):
    from playwright.sync_api import expect, sync_playwright

    settings = serve_settings(tmp_path, catalog_data, model=str(models_dir / "dark-int8.tflite"))
    with running_server(create_app(settings)) as url, sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True,
            args=["--no-sandbox", "--disable-background-networking", "--disable-component-update"])
        try:
            page = browser.new_page(viewport={"width": 1200, "height": 900})
            page.set_default_timeout(15_000)
            requests: list[str] = []
            errors: list[str] = []   # script errors and CSP refusals ("Refused to ...") both land here
            blocked: list[str] = []   # refused by the browser itself, before any connection
            page.on("request", lambda request: requests.append(request.url))
            page.on("requestfailed", lambda request: blocked.append(request.url)
                    if request.failure == "csp" else None)
            page.on("pageerror", lambda exc: errors.append(str(exc)))
            page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
            ARTIFACTS.mkdir(parents=True, exist_ok=True)

            response = page.goto(f"{url}/docs")
            csp = response.headers["content-security-policy"]
            assert "script-src 'self' 'sha256-" in csp and "http" not in csp, csp
            expect(page.locator(".opblock-summary-path", has_text="/predict")).to_be_visible()
            expect(page.locator(".opblock-summary-path", has_text="/segment")).to_be_visible()
            page.screenshot(path=str(ARTIFACTS / "serving-docs-swagger.png"))

            page.goto(f"{url}/redoc")
            expect(page.get_by_role("heading", name="Product instances in a photo")).to_be_visible()
            expect(page.get_by_text("/predict", exact=True).first).to_be_attached()
            page.screenshot(path=str(ARTIFACTS / "serving-docs-redoc.png"))
        finally:
            browser.close()
    unexpected = [e for e in errors if not (e.startswith("Loading the image") and "Content Security Policy" in e
                                              and any(u in e for u in REFUSED_OFFSITE))]
    assert not unexpected, unexpected
    # blob: URLs are made in the page (ReDoc's search worker); no connection.
    offsite = {request for request in requests if not request.startswith((f"{url}/", f"blob:{url}/"))}
    assert not offsite - set(blocked), f"requests that left 127.0.0.1: {sorted(offsite - set(blocked))}"
    assert set(blocked) <= set(REFUSED_OFFSITE), f"the docs now want more from elsewhere: {blocked}"
    assert f"{url}/docs-assets/swagger-ui-bundle.js" in requests and f"{url}/docs-assets/redoc.standalone.js" in requests


def test_the_docs_say_what_is_missing_when_the_packaged_files_are_not_installed(tmp_path):
    assets = packaged_assets()
    assert assets is not None and all((assets / name).is_file() for name in {*SWAGGER_FILES, *REDOC_FILES}), (
        "fastapi-offline's Swagger UI / ReDoc files are not installed")
    app = FastAPI(docs_url=None, redoc_url=None)
    install_docs(app, assets=tmp_path)   # an empty folder: an install that skipped the files
    with running_server(app) as url:
        for path in ("/docs", "/redoc"):
            response = httpx.get(f"{url}{path}")
            assert response.status_code == 503, path
            assert "API docs unavailable" in response.text and "make install" in response.text, response.text
            assert f"missing from {tmp_path}" in response.text and "favicon.png" in response.text
            assert "script-src 'self';" in response.headers["content-security-policy"]
