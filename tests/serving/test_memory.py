"""Memory per request follows the model and serve.max_output_pixels, not the upload (issue 12, item 1).

Bursts of large, well-compressed photos against a real `prodseg serve` process, measured on
that process's resident memory: its peak stays under 600 MB and memory comes back after.
"""

from __future__ import annotations

import io
import time
from concurrent.futures import ThreadPoolExecutor

import httpx
import numpy as np
import pytest
from PIL import Image

from prodseg.rle import decode_rle
from tests.serving.helpers import encoded, photo, rss_mb, serve_process

PEAK_MB = 600        # the target for the server process
SETTLED_MB = 120     # what a burst may leave behind over the idle server
BOX = (0.2, 0.3, 0.8, 0.9)


@pytest.fixture(scope="module")
def server(models_dir, catalog_data, tmp_path_factory):
    # A long queue timeout: this test wants every request served, not the deliberate 503s (test_limits.py).
    with serve_process(tmp_path_factory.mktemp("serve-memory"), models_dir / "dark-int8.tflite", catalog_data,
                       queue_timeout_s=300) as (url, pid):
        with httpx.Client(base_url=url, timeout=300) as client:
            post(client, "/predict", encoded(photo()))  # first requests set up lazily loaded code
            yield client, pid, rss_mb(pid)


# name: (requests, at once, input size, output size: reduced by 3 to fit serve.max_output_pixels, 4 MP)
BURSTS = {"6000x4000 PNG": (16, 8, (6000, 4000), (2000, 1334)),
          "16-bit 5000x5000 PNG": (32, 16, (5000, 5000), (1667, 1667))}


@pytest.fixture(scope="module")
def photos() -> dict[str, bytes]:
    """Well-compressed large PNGs (about 80 and 60 kB): a product drawn on white."""
    grey = np.asarray(photo(5000, 5000, BOX).convert("L"), np.uint16) * 257
    return {"6000x4000 PNG": encoded(photo(6000, 4000, BOX)), "16-bit 5000x5000 PNG": encoded(Image.fromarray(grey))}


def post(client: httpx.Client, endpoint: str, data: bytes) -> httpx.Response:
    return client.post(endpoint, files={"image": ("photo.png", data, "image/png")})


def burst(client: httpx.Client, endpoint: str, data: bytes, requests: int, at_once: int) -> list[httpx.Response]:
    with ThreadPoolExecutor(at_once) as pool:
        return list(pool.map(lambda _: post(client, endpoint, data), range(requests)))


def settled_rss(pid: int, idle_mb: float) -> float:
    """RSS once the server has had a moment after the burst (freed pages are returned as requests end)."""
    deadline = time.monotonic() + 10
    while rss_mb(pid) > idle_mb + SETTLED_MB and time.monotonic() < deadline:
        time.sleep(0.5)
    return rss_mb(pid)


@pytest.mark.parametrize("endpoint", ["/predict", "/segment"])
@pytest.mark.parametrize("kind", BURSTS)
def test_a_burst_of_large_pngs_stays_under_600_mb_and_memory_comes_back(server, photos, kind, endpoint):
    client, pid, idle = server
    requests, at_once, (width, height), (out_width, out_height) = BURSTS[kind]
    responses = burst(client, endpoint, photos[kind], requests, at_once)
    assert [r.status_code for r in responses] == [200] * requests, responses[0].text
    assert rss_mb(pid, "VmHWM") < PEAK_MB
    assert settled_rss(pid, idle) < idle + SETTLED_MB
    # The answers come at the capped resolution, the product where it was drawn.
    drawn = np.array([BOX[0] * out_width, BOX[1] * out_height, BOX[2] * out_width, BOX[3] * out_height])
    if endpoint == "/predict":
        body = responses[-1].json()
        assert body["image"] == {"width": width, "height": height}
        assert body["output"] == {"width": out_width, "height": out_height}
        [found] = body["predictions"]
        assert decode_rle(found["mask"]).shape == (out_height, out_width)
        assert np.abs(np.array(found["box"]) - drawn).max() <= out_width / 40  # a model pixel is 1/64 of the side
    else:
        assert Image.open(io.BytesIO(responses[-1].content)).size == (out_width, out_height)
        assert responses[-1].headers["x-input-size"] == f"{width}x{height}"
        assert np.abs(np.array(responses[-1].headers["x-box"].split(","), int) - drawn).max() <= out_width / 40
