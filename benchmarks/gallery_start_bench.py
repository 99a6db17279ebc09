"""Server start-up on a big catalog: a real `prodseg serve` over N catalog photos, each labelled.

    .venv/bin/python benchmarks/gallery_start_bench.py [--rows 100000] [--without-columns] [--model PATH]

Makes, in a temp folder, a catalog of ``--rows`` photos (two per product, eight classes) and a
labels.parquet with a 512x512 mask PNG per label, as the labelling stage writes them (every photo's file
and mask are hard links to one, so the folder stays small; the server still stats and opens each). Then
times a real server from its launch to its first /health, and the first /api/products, and reads the
server's RSS from /proc. ``--without-columns`` drops the ranking columns (labels.parquet from before
they were written): the server then opens every mask, as it did for every table before. Model as in
serve_bench.py (an int8 student cached under <var>/bench/).
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

import httpx
import numpy as np
import pandas as pd
from PIL import Image

from labelling.features import mask_features
from prodseg.settings import Settings
from scrapers.catalog import CATALOG_COLUMNS
from serve_bench import default_image, default_model, free_port, start_server  # the scripts beside this one
from serve_memory_bench import rss_mb

LINKS = 10_000
CLASSES = ["couch", "chair", "bed", "vase", "bowl", "cup", "wine-glass", "potted-plant"]


def make_data(settings: Settings, rows: int, with_columns: bool) -> None:
    """catalog.parquet and labels.parquet of ``rows`` photos, their files and masks."""
    images, masks = settings.images_dir, settings.labels_dir / "masks"
    images.mkdir(parents=True)
    masks.mkdir(parents=True)
    photo, mask = default_image(), np.zeros((512, 512), np.uint8)
    mask[180:450, 90:430] = 1
    shas = [f"{i:064x}" for i in range(rows)]
    for i, sha in enumerate(shas):
        if i % LINKS == 0:  # a file takes only so many hard links
            photo_file, mask_file = images / f"source{i}.jpg", masks / f"source{i}.png"
            photo_file.write_bytes(photo)
            Image.fromarray(mask).save(mask_file)
        os.link(photo_file, images / f"{sha}.jpg")
        os.link(mask_file, masks / f"{sha}.png")
    product = [f"p{i // 2:06d}" for i in range(rows)]
    classes = [CLASSES[(i // 2) % len(CLASSES)] for i in range(rows)]
    catalog = pd.DataFrame({
        "site": "bench", "product_id": product, "title": [f"Product {p}" for p in product],
        "category": [f"Home > {c}" for c in classes], "class_name": classes,
        "class_id": [CLASSES.index(c) + 1 for c in classes], "known_class": True, "price": 100.0,
        "currency": "EUR", "page_url": [f"http://shop/{p}" for p in product],
        "image_url": [f"http://shop/img/{s}.jpg" for s in shas], "image_sha256": shas,
        "image_path": [f"images/{s}.jpg" for s in shas], "width": 512, "height": 512,
        "bytes": len(photo), "format": "JPEG", "crawled_at": "2026-12-05T00:00:00Z",
    }).astype(CATALOG_COLUMNS)
    catalog.to_parquet(settings.catalog_path)
    rng = np.random.default_rng(0)
    labels = pd.DataFrame({"image_sha256": shas, "accepted": rng.uniform(size=rows) > 0.1,
                           "score": rng.uniform(0.5, 1.0, rows).round(4),
                           "teacher": rng.choice(["grabcut", "isnet"], rows),
                           "mask_path": [f"masks/{s}.png" for s in shas]})
    if with_columns:
        for name, value in mask_features(mask).items():
            labels[name] = value
    labels.to_parquet(settings.labels_path)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--without-columns", action="store_true", help="labels.parquet from before the columns")
    parser.add_argument("--model", type=Path, help="served model (default: a cached int8 student)")
    args = parser.parse_args()
    bench = Settings.load().var_dir / "bench"
    model = args.model or default_model(bench)
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "data"
        start = time.perf_counter()
        make_data(Settings.load({"paths": {"data": str(data)}}), args.rows, not args.without_columns)
        print(f"{args.rows} catalog rows and labels written in {time.perf_counter() - start:.1f} s")
        port = free_port()
        os.environ["PRODSEG_DATA"] = str(data)
        start = time.perf_counter()
        proc = start_server(model, port, 1, bench)
        try:
            started = time.perf_counter() - start
            start = time.perf_counter()
            response = httpx.get(f"http://127.0.0.1:{port}/api/products", timeout=600)
            first = time.perf_counter() - start
            response.raise_for_status()
            products = len(response.json()["products"])
            print(f"server up in {started:.1f} s; first /api/products {first:.2f} s ({products} products, "
                  f"{len(response.content) / 1e6:.0f} MB); server RSS {rss_mb(proc.pid, 'VmRSS'):.0f} MB "
                  f"(peak {rss_mb(proc.pid, 'VmHWM'):.0f} MB)")
        finally:
            proc.terminate()
            proc.wait(timeout=30)


if __name__ == "__main__":
    main()
