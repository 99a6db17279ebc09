"""Labelling speed: ms/image for each labeller available here, on 512x512 demo-shop photos.

    .venv/bin/python benchmarks/label_bench.py [--images 60]

Detectron2 is timed only where it is installed with its weights (see labelling/).
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np

from demo_shop.generate import generate_shop
from labelling.choose import make_labeller
from labelling.load import load_rgb
from prodseg.settings import Settings


def time_labeller(labeller, images: list[np.ndarray]) -> list[float]:
    labeller.label(images[0], None)  # warm-up
    times = []
    for image in images:
        start = time.perf_counter()
        labeller.label(image, None)
        times.append((time.perf_counter() - start) * 1000)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=60)
    args = parser.parse_args()
    settings = Settings.load()
    shop_dir = settings.var_dir / "bench" / "label-shop"
    generate_shop(shop_dir, settings.config.shop.model_copy(update={"products": max(8, args.images // 2)}))
    paths = sorted((shop_dir / "site" / "img" / "p").glob("*.jpg"))[: args.images]
    images = [load_rgb(p, 32, 20_000_000) for p in paths]

    print(f"{len(images)} images of {images[0].shape[1]}x{images[0].shape[0]}, 1 process")
    print(f"{'labeller':<14}{'median ms':>11}{'p90 ms':>9}{'min':>8}{'max':>8}")
    for name in ("grabcut", "detectron2"):
        try:
            labeller = make_labeller(settings.config.label.model_copy(update={"labeller": name}))
        except Exception as exc:  # detectron2 absent or without weights here
            print(f"{name:<14}  unavailable: {exc}")
            continue
        t = time_labeller(labeller, images)
        p90 = statistics.quantiles(t, n=10)[-1]
        print(f"{name:<14}{statistics.median(t):>11.1f}{p90:>9.1f}{min(t):>8.1f}{max(t):>8.1f}")


if __name__ == "__main__":
    main()
