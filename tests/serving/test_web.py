"""The web page in Debian's chromium (Playwright): gallery -> cut-out -> room photo -> drag -> download,
weak cut-outs warned about, and the placed product kept in its place across a window resize.

Screenshots are kept in var/test-artifacts/: serving-place-in-room.png, serving-weak-cutout.png and
serving-resized-phone.png.
"""

from __future__ import annotations

import io
import re
import shutil
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import numpy as np
import pandas as pd
import pytest
from PIL import Image

from prodseg.settings import REPO_ROOT
from serving.app import create_app
from serving.server import running_server
from tests.serving.helpers import encoded, photo, serve_settings
from tests.system import CHROMIUM, needs_chromium

ARTIFACTS = REPO_ROOT / "var" / "test-artifacts"
SCREENSHOT = ARTIFACTS / "serving-place-in-room.png"
pytestmark = needs_chromium


# LiteRT.js's WebAssembly writes its native log (INFO/WARNING lines) to console.error: not the page's errors.
RUNTIME_LOG = re.compile(r"^(INFO|WARNING): ")


@contextmanager
def browser_page(url: str, before_goto=None) -> Iterator:
    """A Chromium page on ``url`` that fails the test on any script error; ``before_goto(page)`` sets routes."""
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=15_000)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True,
            args=["--no-sandbox", "--disable-background-networking", "--disable-component-update"])
        page = browser.new_page(viewport={"width": 1200, "height": 1000}, accept_downloads=True)
        page.set_default_timeout(15_000)
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.on("console", lambda message: errors.append(message.text)
                if message.type == "error" and not RUNTIME_LOG.match(message.text) else None)
        if before_goto:
            before_goto(page)
        page.goto(url)
        yield page, errors
        browser.close()


@pytest.fixture
def page(tmp_path, models_dir, catalog_data):
    shutil.copytree(catalog_data, tmp_path / "data")  # the page writes (shoppers' flags): a copy of the session's
    settings = serve_settings(tmp_path, tmp_path / "data", model=str(models_dir / "dark-int8.tflite"))
    with running_server(create_app(settings)) as url, browser_page(url) as (page, errors):
        page.select_option("#where", "server")  # the server's cut-outs and warnings (test_device: the device's)
        yield page
    assert not errors, errors


def room_photo() -> Image.Image:
    """A 400x300 room: a light gradient, so every pixel says where it came from."""
    x = np.linspace(150, 250, 400)[None, :, None]
    y = np.linspace(0, 60, 300)[:, None, None]
    return Image.fromarray(np.broadcast_to(np.concatenate([x + 0 * y, x * 0 + 200 - y, x * 0 + y + 150], 2),
                                           (300, 400, 3)).astype(np.uint8))


def test_pick_a_product_place_it_in_a_room_and_download(page, tmp_path):
    from playwright.sync_api import expect

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    products = page.locator(".product")
    products.first.wait_for()
    assert products.count() == 3
    page.select_option("#category", "vase")  # the shop's category ("Home > vase"), in short
    assert products.count() == 1 and "Blue vase" in products.first.text_content()
    page.select_option("#category", "")
    page.fill("#search", "oak")
    assert products.count() == 1 and "Oak chair" in products.first.text_content()
    page.fill("#search", "")
    assert page.locator(".shelf h3").all_text_contents() == ["chair (1)", "couch (1)", "vase (1)"]

    # The tiny model calls everything dark a couch: the catalog's chair gets a class warning, on its card too.
    page.locator(".product", has_text="Oak chair").click()
    expect(page.locator("#cutout-status")).to_have_text(re.compile(r"^Oak chair: Couch \(score"))
    expect(page.locator("#cutout-warning")).to_be_visible()
    expect(page.locator("#cutout-reasons li")).to_have_text(["the model saw a couch, the shop sells a chair"])
    expect(page.locator(".product", has_text="Oak chair").locator(".badge")).to_be_visible()
    page.locator("#cutout-panel").screenshot(path=str(ARTIFACTS / "serving-weak-cutout.png"))

    page.locator(".product", has_text="Grey sofa").click()
    expect(page.locator("#cutout-status")).to_have_text(re.compile(r"^Grey sofa: Couch \(score"))
    expect(page.locator("#cutout-warning")).to_be_hidden()
    expect(page.locator("#cutout")).to_be_visible()
    assert page.locator("#cutout").evaluate("image => image.naturalWidth") > 0
    # A shopper flags the catalog cut-out: one row naming the photo, and the reason picked.
    page.click("#flag summary")
    page.select_option("#flag-reason", "background_left")
    page.click("#flag button")
    expect(page.locator("#flag-status")).to_have_text(re.compile("^Thank you"))
    flags = pd.read_parquet(tmp_path / "data" / "corrections" / "flags.parquet")
    sofa = page.locator(".product", has_text="Grey sofa").get_attribute("data-sha")
    assert list(flags["image_sha256"]) == [sofa] and list(flags["reason"]) == ["background_left"]

    # An upload whose "product" runs along the photo's edges, as a room does, is warned about too.
    upload = tmp_path / "my-room.png"
    upload.write_bytes(encoded(photo(240, 180, (0.0, 0.0, 1.0, 0.7))))
    page.set_input_files("#product-upload", str(upload))
    expect(page.locator("#cutout-reasons li[data-code=touches_border]")).to_be_visible()
    upload = tmp_path / "my-sofa.png"
    upload.write_bytes(encoded(photo(240, 180, (0.3, 0.3, 0.7, 0.8))))
    page.set_input_files("#product-upload", str(upload))
    expect(page.locator("#cutout-status")).to_have_text(re.compile(r"^my-sofa\.png: Couch"))
    expect(page.locator("#cutout-warning")).to_be_hidden()
    expect(page.locator("#flag")).to_be_hidden()   # an upload is no catalog photo: nothing to flag

    room = tmp_path / "room.png"
    room_photo().save(room)
    page.set_input_files("#room-upload", str(room))
    placed = page.locator("#placed")
    placed.wait_for(state="visible")
    placed.scroll_into_view_if_needed()
    before = placed.bounding_box()
    stage = page.locator("#stage").bounding_box()
    assert stage["width"] == 400  # the room photo's own 400 px: room to grow on a 1200 px page, but no upscaling
    assert abs(before["width"] - 0.4 * stage["width"]) <= 1  # the default size: 40% of the room's width
    page.mouse.move(before["x"] + before["width"] / 2, before["y"] + before["height"] / 2)
    page.mouse.down()
    page.mouse.move(before["x"] + before["width"] / 2 - 120, before["y"] + before["height"] / 2 - 80, steps=6)
    page.mouse.up()
    moved = placed.bounding_box()
    assert abs(moved["x"] - (before["x"] - 120)) <= 1 and abs(moved["y"] - (before["y"] - 80)) <= 1
    handle = page.locator("#resize-handle").bounding_box()
    page.mouse.move(handle["x"] + handle["width"] / 2, handle["y"] + handle["height"] / 2)
    page.mouse.down()
    page.mouse.move(handle["x"] + handle["width"] / 2 + 60, handle["y"] + handle["height"] / 2, steps=4)
    page.mouse.up()
    after = placed.bounding_box()
    assert abs(after["width"] - (moved["width"] + 60)) <= 1 and after["x"] == moved["x"]
    page.click("#flip")
    assert "flipped" in page.get_attribute("#placed-image", "class")

    page.screenshot(path=str(SCREENSHOT), full_page=True)
    with page.expect_download() as download:
        page.click("#download")
    assert download.value.suggested_filename == "composite.png"
    composite = np.asarray(Image.open(io.BytesIO(Path(download.value.path()).read_bytes())).convert("RGB"), int)
    assert composite.shape == (300, 400, 3)  # the room photo's own resolution, not the screen's

    # Where the cut-out sits on screen, in room pixels: its centre is the dark product, far away is the room.
    stage = page.locator("#stage").bounding_box()
    scale = 400 / stage["width"]
    cx = int((after["x"] - stage["x"] + after["width"] / 2) * scale)
    cy = int((after["y"] - stage["y"] + after["height"] / 2) * scale)
    assert np.abs(composite[cy, cx] - (60, 50, 40)).max() <= 12
    room_pixels = np.asarray(room_photo(), int)
    x1 = int((after["x"] - stage["x"] + after["width"]) * scale) + 2
    assert np.abs(composite[:, x1:] - room_pixels[:, x1:]).max() <= 2

    expect(page.locator("#room-status")).to_have_text(re.compile(r"^Saved composite\.png"))
    page.mouse.move(after["x"] + 20, after["y"] + 20)  # a nudge: the saved file no longer shows the picture
    page.mouse.down()
    page.mouse.move(after["x"] + 25, after["y"] + 20, steps=2)
    page.mouse.up()
    expect(page.locator("#room-status")).not_to_have_text(re.compile("Saved"))
    check_resize_keeps_the_place(page)


def relative_box(page) -> dict:
    """The placed product's box in fractions of the room photo as shown."""
    stage, placed = page.locator("#stage").bounding_box(), page.locator("#placed").bounding_box()
    return {"x": (placed["x"] - stage["x"]) / stage["width"], "y": (placed["y"] - stage["y"]) / stage["height"],
            "width": placed["width"] / stage["width"], "height": placed["height"] / stage["height"]}


def resize(page, width: int, height: int, stage_width: str) -> None:
    """Resize the viewport and wait until the stage's width meets ``stage_width`` (a JS condition on w) and the
    page's re-layout has run (two animation frames): on a busy machine it lands after set_viewport_size returns."""
    page.set_viewport_size({"width": width, "height": height})
    page.wait_for_function(f"() => {{ const w = document.querySelector('#stage').getBoundingClientRect().width;"
                           f" return {stage_width}; }}")
    page.evaluate("() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))")


def check_resize_keeps_the_place(page):
    from playwright.sync_api import expect

    before, wide = relative_box(page), page.locator("#stage").bounding_box()
    resize(page, 400, 800, "w < 400")  # a phone
    page.locator("#stage").scroll_into_view_if_needed()
    stage, placed = page.locator("#stage").bounding_box(), page.locator("#placed").bounding_box()
    assert stage["width"] < 400 and stage["height"] <= 800
    after = relative_box(page)
    for key in before:  # within a pixel or two of the room as now shown
        side = stage["width"] if key in ("x", "width") else stage["height"]
        assert abs(after[key] - before[key]) * side <= 2, (key, before, after)
    assert stage["x"] <= placed["x"] and placed["x"] + placed["width"] <= stage["x"] + stage["width"]
    expect(page.locator("#placed")).to_be_in_viewport()
    page.screenshot(path=str(ARTIFACTS / "serving-resized-phone.png"))

    resize(page, 1200, 1000, f"Math.abs(w - {wide['width']}) < 0.5")  # back to the wide page's stage
    page.locator(".product", has_text="Oak chair").click()  # a new product starts unflipped
    expect(page.locator("#cutout-status")).to_have_text(re.compile(r"^Oak chair"))
    assert "flipped" not in page.get_attribute("#placed-image", "class")
