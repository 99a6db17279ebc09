"""The student on the shopper's device (serving/static/device.js with LiteRT.js from npm) in Chromium.

The page cuts catalog photos and an upload out in the browser without a request to /predict or /segment,
its masks agree with the server's for the same photos, and when the runtime cannot load the page asks
before a photo goes to the server.
"""

from __future__ import annotations

import base64
import io
import re

import httpx
import numpy as np
import pytest
from PIL import Image

from serving.app import create_app
from serving.device import VENDOR
from serving.server import running_server
from tests.serving.helpers import encoded, photo, serve_settings
from tests.serving.test_web import browser_page
from tests.system import needs_chromium

pytestmark = [needs_chromium,
              pytest.mark.skipif(not VENDOR.is_dir(), reason="needs LiteRT.js from npm (make install runs npm ci)")]
# Uploads beside the catalog's three: a product off-centre, and one at a size other than the catalog's.
UPLOADS = {"left-sofa.png": photo(240, 180, (0.05, 0.2, 0.5, 0.9)),
           "tall-sofa.jpg": photo(150, 260, (0.2, 0.1, 0.8, 0.7))}
SERVER_PATHS = re.compile(r"/(predict|segment|cutouts/)")


@pytest.fixture
def server(tmp_path, models_dir, catalog_data):
    settings = serve_settings(tmp_path, catalog_data, model=str(models_dir / "dark-int8.tflite"))
    with running_server(create_app(settings)) as url:
        yield url


def shown_mask(page) -> np.ndarray:
    """The page's cut-out as a mask (alpha >= 128) in the whole photo's pixels, from its crop box."""
    # Redrawn on a canvas: the page's CSP keeps fetch() off blob: URLs, and alpha survives the copy exactly.
    encoded_png = page.locator("#cutout").evaluate(
        """(image) => { const canvas = document.createElement("canvas");
             canvas.width = image.naturalWidth; canvas.height = image.naturalHeight;
             canvas.getContext("2d").drawImage(image, 0, 0);
             return canvas.toDataURL("image/png").split(",")[1]; }""")
    crop = [int(v) for v in page.locator("#cutout").get_attribute("data-crop-box").split(",")]
    return placed(Image.open(io.BytesIO(base64.b64decode(encoded_png))), crop)


def placed(png: Image.Image, crop: list[int], size: tuple[int, int] | None = None) -> np.ndarray:
    alpha = np.asarray(png.convert("RGBA"))[..., 3] >= 128
    x0, y0, x1, y1 = crop
    assert alpha.shape == (y1 - y0, x1 - x0)
    width, height = size or (x1 + 50, y1 + 50)
    mask = np.zeros((max(height, y1), max(width, x1)), bool)
    mask[y0:y1, x0:x1] = alpha
    return mask


def iou(a: np.ndarray, b: np.ndarray) -> float:
    height, width = max(a.shape[0], b.shape[0]), max(a.shape[1], b.shape[1])
    a, b = (np.pad(m, ((0, height - m.shape[0]), (0, width - m.shape[1]))) for m in (a, b))
    return float((a & b).sum() / max(1, (a | b).sum()))


def server_mask(url: str, response: httpx.Response) -> np.ndarray:
    assert response.status_code == 200, response.text
    crop = [int(v) for v in response.headers["X-Crop-Box"].split(",")]
    return placed(Image.open(io.BytesIO(response.content)), crop)


def test_the_page_cuts_out_on_the_device_like_the_server_and_sends_no_photo(server, tmp_path):
    from playwright.sync_api import expect

    requests: list[str] = []
    with browser_page(server, lambda page: page.on("request", lambda r: requests.append(r.url))) as (page, errors):
        products = page.locator(".product")
        products.first.wait_for()
        assert page.locator("#where").input_value() == "device"
        agreements = {}
        for i in range(products.count()):
            card = products.nth(i)
            card.click()
            expect(page.locator("#cutout-status")).to_have_text(re.compile(r"computed on this device in \d+ ms$"))
            sha = card.get_attribute("data-sha")
            expected = server_mask(server, httpx.get(f"{server}/cutouts/{sha}.png", timeout=30))
            agreements[card.locator(".title").text_content()] = iou(shown_mask(page), expected)
        for name, image in UPLOADS.items():
            path = tmp_path / name
            image.save(path)
            page.set_input_files("#product-upload", str(path))
            expect(page.locator("#cutout-status")).to_have_text(
                re.compile(rf"^{re.escape(name)}: Couch \(score [\d.]+\), computed on this device in \d+ ms$"))
            with path.open("rb") as upload:
                answer = httpx.post(f"{server}/segment", files={"image": upload}, data={"crop": "true"}, timeout=30)
            agreements[name] = iou(shown_mask(page), server_mask(server, answer))
        model = httpx.get(f"{server}/model").json()["device"]
    assert not errors, errors
    assert min(agreements.values()) >= 0.98, agreements
    assert any(r.endswith(model["url"]) for r in requests)  # the served model, from its versioned URL
    assert not [r for r in requests if SERVER_PATHS.search(r)], requests  # no photo went to the server


def test_without_the_runtime_the_page_asks_before_the_server_cuts_out(server, tmp_path):
    from playwright.sync_api import expect

    def break_runtime(page):  # the runtime made to fail: its files are not there
        page.route(re.compile(r"/vendor/"), lambda route: route.fulfill(status=404, body="gone"))
        page.on("request", lambda r: requests.append(r.url))

    requests: list[str] = []
    path = tmp_path / "my-sofa.png"
    path.write_bytes(encoded(photo(240, 180, (0.3, 0.3, 0.7, 0.8))))
    with browser_page(server, break_runtime) as (page, errors):
        page.locator(".product").first.wait_for()
        questions: list[str] = []
        page.once("dialog", lambda dialog: (questions.append(dialog.message), dialog.dismiss()))
        page.set_input_files("#product-upload", str(path))
        expect(page.locator("#cutout-status")).to_have_text(re.compile(r"cannot be computed on this device.*Not sent"))
        assert not [r for r in requests if SERVER_PATHS.search(r)], requests
        assert "Send my-sofa.png to the server" in questions[0]

        page.once("dialog", lambda dialog: (questions.append(dialog.message), dialog.accept()))
        again = tmp_path / "sofa.png"  # another file: choosing the same one again fires no change
        again.write_bytes(path.read_bytes())
        page.set_input_files("#product-upload", str(again))
        expect(page.locator("#cutout-status")).to_have_text(
            re.compile(r"^sofa\.png: Couch \(score [\d.]+\), computed by the server in \d+ ms$"))
        assert len(questions) == 2 and page.locator("#where").input_value() == "server"
        assert [r for r in requests if r.endswith("/segment")]
    # The failed module load is the browser's own console error; nothing else may fail.
    assert not [e for e in errors if "404" not in e and "module" not in e.lower()], errors
