"""The student on the device against the server, in one headless Chromium run on this machine.

    .venv/bin/python benchmarks/device_bench.py --model PATH.tflite --data DATA_DIR [--photos 20]

Starts the real app on 127.0.0.1 serving ``--model`` with the catalog of ``--data`` (both only read;
the server's runtime folder is a temporary one), opens the page in /usr/bin/chromium and, in the page:
the first device cut-out (LiteRT.js start, model download and compile, first inference, post-processing),
then every photo cut out on the device (end to end from the photo's bytes to the PNG, and the model's run
alone) and by the server (``/cutouts/<sha256>.png``, a round trip over
loopback with the same post-processing plus colour decontamination), and how well the two cut-outs'
masks agree (IoU of alpha >= 128, in the photo's pixels). Medians leave out the first photo
(warm-up). Both share the machine's cores: the server's side is a round trip on an otherwise idle server.
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from prodseg.settings import Settings
from serving.app import create_app
from serving.server import running_server

CHROMIUM = "/usr/bin/chromium"
# In the page: the device's cut-out of each photo (ms), then the server's round trip for the same photos.
MEASURE = """async (photos) => {
  const alphaAt = async (blob, box, width, height) => {  // the cut-out's alpha placed in the whole photo
    const canvas = new OffscreenCanvas(width, height), context = canvas.getContext("2d");
    context.drawImage(await createImageBitmap(blob), box[0], box[1]);
    return context.getImageData(0, 0, width, height).data;
  };
  const device = window.prodsegDevice, blobs = [], cuts = [], agreement = [];
  for (const photo of photos) blobs.push(await (await fetch(photo.image_url)).blob());
  const first = performance.now();
  await device.cutout(blobs[0]);
  const firstMs = performance.now() - first;
  const deviceMs = [], inferenceMs = [], serverMs = [];
  for (const blob of blobs) {
    const cut = await device.cutout(blob);
    cuts.push(cut);
    deviceMs.push(cut.ms);
    inferenceMs.push(device.timings.last_inference_ms);
  }
  for (const [i, photo] of photos.entries()) {
    const started = performance.now();
    const response = await fetch(photo.cutout_url, {cache: "no-store"});
    const served = await response.blob();
    serverMs.push(performance.now() - started);
    // Mask agreement (alpha >= 128) of the device's and the server's cut-outs of this photo: IoU.
    const {width, height} = await createImageBitmap(blobs[i]);
    const box = response.headers.get("X-Crop-Box").split(",").map(Number);
    const a = await alphaAt(cuts[i].blob, cuts[i].cropBox, width, height);
    const b = await alphaAt(served, box, width, height);
    let both = 0, either = 0;
    for (let p = 3; p < a.length; p += 4) { both += a[p] >= 128 && b[p] >= 128; either += a[p] >= 128 || b[p] >= 128; }
    agreement.push(both / Math.max(1, either));
  }
  return {firstMs, deviceMs, inferenceMs, serverMs, agreement, timings: device.timings};
}"""


@contextmanager
def chromium_page(url: str) -> Iterator:
    """The page at ``url`` in headless /usr/bin/chromium, its gallery up (device.js, a module, ran before it)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        # No network of its own beside the page's (DESIGN.md's pitfalls): nothing outside 127.0.0.1 answers here.
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=[
            "--no-sandbox", "--disable-background-networking", "--disable-component-update"])
        try:
            page = browser.new_page()
            page.goto(url)
            page.locator(".product").first.wait_for()
            yield page
        finally:
            browser.close()


def measure(model: Path, data: Path, photos: int) -> dict:
    with tempfile.TemporaryDirectory() as var:
        settings = Settings.load({"paths": {"var": var, "data": str(data)}, "serve": {"model": str(model)}},
                                 environ={})
        with running_server(create_app(settings)) as url, chromium_page(url) as page:
            listing = page.evaluate("async () => (await (await fetch('/api/products')).json()).products")
            chosen = [p["photos"][0] for p in listing][:photos]
            if len(chosen) < 2:
                raise SystemExit(f"{data} has {len(chosen)} catalog photos; the benchmark needs 2 or more")
            found = page.evaluate(MEASURE, chosen)
    device, server = found["deviceMs"][1:], found["serverMs"][1:]
    timings = found["timings"]
    return {"model": str(model), "photos": len(chosen), "model_bytes": timings["model_bytes"],
            "model_download_ms": round(timings["download_ms"], 1), "runtime_start_ms": round(timings["runtime_ms"], 1),
            "compile_ms": round(timings["compile_ms"], 1), "first_cutout_ms": round(found["firstMs"], 1),
            "device_median_ms": round(statistics.median(device), 1),
            "device_inference_median_ms": round(statistics.median(found["inferenceMs"][1:]), 1),
            "server_round_trip_median_ms": round(statistics.median(server), 1),
            "device_vs_server_iou_min": round(min(found["agreement"]), 4),
            "device_vs_server_iou_median": round(statistics.median(found["agreement"]), 4)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, required=True, help="the served TFLite file (the champion's)")
    parser.add_argument("--data", type=Path, required=True, help="a data folder with raw/catalog.parquet")
    parser.add_argument("--photos", type=int, default=20)
    args = parser.parse_args()
    if not args.model.is_file():
        raise SystemExit(f"no model file {args.model}")
    print(json.dumps(measure(args.model, args.data, args.photos), indent=2))


if __name__ == "__main__":
    main()
