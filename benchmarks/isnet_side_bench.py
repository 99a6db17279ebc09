"""The cascade labeller with IS-Net at its own 1024x1024 input and at smaller sides (``label.isnet.side``),
side by side on the same photos: share accepted, IoU vs truth of the accepted labels, IS-Net's seconds per
image (1 onnxruntime thread, the sides alternating photo by photo), and how closely the masks match 1024's.

    nice .venv/bin/python benchmarks/isnet_side_bench.py [--sides 1024,640,512] [--demo 40] [--real 40]

``--demo N``: N room shots of a generated demo shop (its true masks; studio shots are GrabCut's in the
cascade); ``--real N``: N of ``../shared/realphotos`` spread over the classes (measured only, never trained on).
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

import numpy as np
import pandas as pd

from label_bench import config_for, photos, true_mask
from labelling.choose import build_labeller
from labelling.instances import mask_iou, select_product
from prodseg.images import load_rgb
from prodseg.settings import Settings
from teacher_bench import real_photos


def timed(labeller):
    """Wrap the cascade's IS-Net so each call's seconds are recorded (GrabCut's are the same at every side)."""
    deep, spent = labeller.second, []

    def label(image, category):
        start = time.perf_counter()
        try:
            return deep_label(image, category)
        finally:
            spent.append(time.perf_counter() - start)

    deep_label, deep.label = deep.label, label
    return spent


def compare(settings: Settings, rows: pd.DataFrame, sides: list[int]) -> pd.DataFrame:
    labellers, spent = {}, {}
    for side in sides:
        labellers[side] = build_labeller(config_for(settings, {"labeller": "cascade", "isnet": {"side": side}}))
        spent[side] = timed(labellers[side])
    min_score = settings.config.label.min_score
    out = []
    for i, row in enumerate(rows.itertuples()):
        image, truth = load_rgb(Path(row.path), 32, 20_000_000), true_mask(row)
        masks, got = {}, {}
        for side in sides if i % 2 else sides[::-1]:
            before = len(spent[side])
            chosen = select_product(labellers[side].label(image, row.class_name), row.class_name, 0.0)
            masks[side] = chosen.mask if chosen is not None else np.zeros_like(truth)
            got[side] = {"side": side, "photo": i, "iou": mask_iou(masks[side], truth),
                         "accepted": chosen is not None and chosen.score >= min_score,
                         "source": chosen.source if chosen is not None else "-",
                         "isnet_s": spent[side][-1] if len(spent[side]) > before else np.nan}
        out += [{**got[side], "vs_native": mask_iou(masks[side], masks[sides[0]])} for side in sides]
    return pd.DataFrame(out)


def report(name: str, table: pd.DataFrame) -> None:
    print(f"\n{name}: {table['photo'].nunique()} photos")
    print(f"{'side':>6}{'accepted':>10}{'IoU accepted':>14}{'IoU all':>9}{'by IS-Net':>10}{'IS-Net s/img':>13}"
          f"{'vs 1st side':>12}")
    for side, got in table.groupby("side", sort=False):
        accepted = got[got["accepted"]]
        print(f"{side:>6}{len(accepted) / len(got):>10.1%}{accepted['iou'].mean():>14.4f}{got['iou'].mean():>9.4f}"
              f"{(got['source'] == 'isnet').sum():>10d}{statistics.median(got['isnet_s'].dropna()):>13.2f}"
              f"{got['vs_native'].mean():>12.4f}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sides", default="1024,640,512", help="the first is the reference ('vs 1st side')")
    parser.add_argument("--demo", type=int, default=40)
    parser.add_argument("--real", type=int, default=40)
    parser.add_argument("--photos", type=Path, default=Path(__file__).resolve().parents[2] / "shared" / "realphotos")
    args = parser.parse_args()
    settings = Settings.load()
    sides = [int(s) for s in args.sides.split(",")]
    if args.demo:
        rows = photos(settings, 2 * args.demo)
        report("demo shop, room shots", compare(settings, rows[rows["shot"] == "lifestyle"], sides))
    if args.real and args.photos.is_dir():
        rows = real_photos(args.photos, None)
        rows = rows.iloc[np.linspace(0, len(rows) - 1, min(args.real, len(rows))).astype(int)]
        report("real photos", compare(settings, rows.dropna(subset=["class_name"]), sides))


if __name__ == "__main__":
    main()
