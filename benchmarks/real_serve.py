"""The serve step of benchmarks/real_bench.py (issue 23): the student trained on the real photos, exported to
TFLite by the export stage (its class list beside the file), served by `prodseg serve --model` on 127.0.0.1, and
the class each test photo is named through three doors:

- ``predict``: ``POST /predict``, its largest product (what the API names);
- ``page``: the web page in Chromium, the photo uploaded with "on the server" chosen (the page's text, from /segment);
- ``device``: the same page with "on this device" (LiteRT.js runs the served TFLite file in the browser).

/predict and the device run the same TFLite file; each resizes the photo to the model's input its own way, so the
two can differ where two classes are close: ``agree`` counts the photos on which all three give the same answer
(one class, or none found).
"""

from __future__ import annotations

import logging
import re
import shutil
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import httpx
import pandas as pd

from benchmarks.device_bench import CHROMIUM, chromium_page
from benchmarks.serve_bench import free_port, start_server, stop_server
from prodseg.settings import Settings
from release.export import run_export
from serving.device import VENDOR

log = logging.getLogger("real_bench")
DOORS = ("predict", "page", "device")
WHERE = {"page": "server", "device": "device"}   # the page's "#where" choice for each of its two doors
COMPUTED = {"page": "by the server", "device": "on this device"}   # what its status line then says
UPLOAD_TIMEOUT_MS = 120_000   # the device's first cut-out starts the runtime and compiles the model: slow on 2 cores


@contextmanager
def served(settings: Settings, model: Path) -> Iterator[str]:
    """`prodseg serve --model` over the bench's own var/ and catalog; its base URL; stopped on exit."""
    port = free_port()
    server = start_server(model, port, None, settings.var_dir, settings.data_dir, log_name="real_bench_serve.log")
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        stop_server(server)


def browser_missing() -> dict[str, str]:
    """Why the page (and the device) cannot be driven here, per door; empty when both can."""
    try:
        import playwright.sync_api  # noqa: F401, PLC0415
    except ImportError:
        why = "playwright is not installed (`make install`)"
        return {"page": why, "device": why}
    if not Path(CHROMIUM).exists():
        why = f"no {CHROMIUM} (`sudo apt-get install chromium`)"
        return {"page": why, "device": why}
    return {} if VENDOR.is_dir() else {"device": "no LiteRT.js in node_modules (`make install` runs npm ci)"}


def predict_names(url: str, photos: list[Path]) -> list[str | None]:
    """The class /predict names for each photo (its largest product), None where it finds none."""
    names = []
    with httpx.Client(base_url=url, timeout=120) as client:
        for i, photo in enumerate(photos, 1):
            response = client.post("/predict", files={"image": (photo.name, photo.read_bytes())})
            response.raise_for_status()
            found = response.json()["predictions"]
            names.append(found[0]["label"] if found else None)
            if i % 10 == 0 or i == len(photos):
                log.info("real bench: /predict %d of %d photos", i, len(photos))
    return names


def page_names(url: str, photos: list[Path], labels: dict[str, str], doors: list[str]) -> dict[str, list]:
    """What the page shows for each photo uploaded through ``doors`` (``page``, ``device``): ``{door: [(class
    named or None, the page's text where it names none)]}``; ``labels``: /model's class -> people's word."""
    by_label = {label: name for name, label in labels.items()}
    shown: dict[str, list] = {door: [] for door in doors}
    with tempfile.TemporaryDirectory() as tmp, chromium_page(url) as page:
        page.locator("#model-classes").filter(has_text=re.compile(".")).wait_for()
        for i, photo in enumerate(photos, 1):
            for door in doors:
                upload = Path(tmp) / f"{door}-{photo.name}"   # the page's status line starts with the file's name
                shutil.copyfile(photo, upload)
                page.select_option("#where", WHERE[door])
                page.set_input_files("#product-upload", str(upload))
                page.wait_for_function("(prefix) => document.getElementById('cutout-status').textContent"
                                       ".startsWith(prefix)", arg=f"{upload.name}: ", timeout=UPLOAD_TIMEOUT_MS)
                text = page.locator("#cutout-status").text_content()[len(upload.name) + 2:]
                named = re.match(rf"(.+) \(score [\d.]+\), computed {COMPUTED[door]} in \d+ ms$", text)
                shown[door].append((by_label.get(named[1], named[1]), None) if named else (None, text))
            log.info("real bench: page %d of %d photos (%s)", i, len(photos), ", ".join(doors))
    return shown


def named_right(truth: list[str], names: list) -> dict:
    """``right`` of ``n`` photos named their true class, in all and per class."""
    def count(pairs):
        pairs = list(pairs)
        return {"right": sum(t == n for t, n in pairs), "n": len(pairs)}

    pairs = list(zip(truth, names))
    return {**count(pairs), "per_class": {c: count(p for p in pairs if p[0] == c) for c in sorted(set(truth))}}


def interleaved(test: pd.DataFrame, cap: int) -> list[int]:
    """Up to ``cap`` test photos for the browser, one class after another, so a cap leaves each class some."""
    order = test.assign(turn=test.groupby("true_class").cumcount()).sort_values(["turn", "true_class"], kind="stable")
    return list(order.index[:cap])


def run_serve_step(settings: Settings, test: pd.DataFrame, page_photos: int) -> dict:
    """Export, serve, and name the test photos through every door (page and device: up to ``page_photos``)."""
    export = run_export(settings)
    variant = next((v for v in settings.config.serve.prefer if v in export.fit_variants), next(iter(export.variants)))
    model = Path(export.variants[variant]["file"])
    test = test.reset_index(drop=True)
    photos = [settings.raw_dir / p for p in test["image_path"]]
    chosen = interleaved(test, page_photos)
    missing = browser_missing() if page_photos > 0 else {door: "--page-photos 0" for door in WHERE}
    doors = [door for door in WHERE if door not in missing]
    with served(settings, model) as url:
        info = httpx.get(f"{url}/model", timeout=30).json()
        names = {"predict": predict_names(url, photos)}
        if doors:
            from playwright.sync_api import Error as BrowserError  # noqa: PLC0415 - there: browser_missing() said so

            try:
                names |= page_names(url, [photos[i] for i in chosen], info["class_labels"], doors)
            except BrowserError as exc:   # the browser's doors say why; /predict's figures stand
                missing |= {door: f"the browser failed: {str(exc).splitlines()[0]}" for door in doors}
    rows = []
    for i, row in test.iterrows():
        rows.append({"photo": row["image_path"], "class": row["true_class"], "shot": row["shot"],
                     "predict": names["predict"][i]})
        for door in (d for d in WHERE if d in names and i in chosen):
            rows[-1][door], why = names[door][chosen.index(i)]
            if why:
                rows[-1][f"{door}_shown"] = why   # e.g. "no product found in the image"
    doors_figures = {}
    for door in DOORS:
        if door in missing:
            doors_figures[door] = {"absent": missing[door]}
            continue
        named = [r for r in rows if door in r]
        doors_figures[door] = named_right([r["class"] for r in named], [r[door] for r in named])
    both = [r for r in rows if all(door in r for door in DOORS)]
    return {"file": model.name, "variant": variant, "fit": export.variants[variant]["fit"], "classes": info["classes"],
            "classes_from": info["classes_from"], **doors_figures,
            "agree": {"same": sum(len({r[d] for d in DOORS}) == 1 for r in both), "n": len(both)},
            "photos": rows}
