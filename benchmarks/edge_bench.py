"""Cut-out edges against the demo shop's true masks: boundary F, soft edge IoU, halo error, bleed, ms.

    PRODSEG_DATA=... PRODSEG_VAR=... .venv/bin/python benchmarks/edge_bench.py [--model PATH.tflite]
        [--split test] [--repeat 9]

Runs the served path (``Predictor.segment`` as ``/cutouts/<sha>.png`` calls it: largest product,
cropped) on every photo of the split's products that has a true mask, once with the edges as
they were (the mask upsampled and blurred, photo colours) and once as configured, and prints
medians per image overall and by shot and class. Without --model: the data folder's int8 export
(the demo's champion file). Time: median ms of one ``segment`` call on a 512 px demo photo and on
that photo enlarged to 4 MP (2000x2000), ``--repeat`` calls each.
"""

from __future__ import annotations

import argparse
import io
import statistics
import time
from pathlib import Path

import numpy as np
import pandas as pd
from PIL import Image

from evaluation.boundary import bleed, boundary_f, edge_band, halo_error, soft_edge_iou
from evaluation.data import truth_rows
from prodseg.settings import Settings
from release.tflite import tflite_name
from serving.images import UploadError
from serving.model_source import from_path
from serving.predictor import Predictor

# The cut-outs as served before issue 13 item 8.
BEFORE = {"edge_subpixel": False, "edge_sharpness": 1.0, "edge_decontaminate": False}
BAND_PX = 3          # the judged band: this far either side of the true boundary
TOLERANCES = (2, "1%")  # boundary F tolerances: px, or a share of the image diagonal


def full_frame(png: bytes, crop_box: tuple[int, int, int, int], size: tuple[int, int]) -> np.ndarray:
    """The cropped RGBA PNG pasted back at its place in a transparent (height, width, 4) frame."""
    width, height = size
    frame = np.zeros((height, width, 4), np.uint8)
    x0, y0, x1, y1 = crop_box
    frame[y0:y1, x0:x1] = np.asarray(Image.open(io.BytesIO(png)).convert("RGBA"))
    return frame


def scores(rgba: np.ndarray, photo: np.ndarray, true: np.ndarray) -> dict[str, float]:
    alpha = rgba[..., 3].astype(np.float32) / 255
    band = edge_band(true, BAND_PX)
    diagonal = float(np.hypot(*true.shape))
    out = {}
    for tol in TOLERANCES:
        px = diagonal * float(tol[:-1]) / 100 if isinstance(tol, str) else tol
        out[f"F@{tol}{'' if isinstance(tol, str) else 'px'}"] = boundary_f(rgba[..., 3] >= 128, true, px)
    out["edge IoU"] = soft_edge_iou(alpha, true, band)
    out["halo err"] = halo_error(rgba, photo, true, band)
    out["bleed"] = bleed(alpha, true, band)
    return out


def cut(predictor: Predictor, data: bytes, size: tuple[int, int]) -> np.ndarray:
    """The served cut-out as a full-frame RGBA; fully transparent when the model finds no product."""
    try:
        found = predictor.segment(data, None, crop=True)
    except UploadError:
        return np.zeros((size[1], size[0], 4), np.uint8)
    return full_frame(found.png, found.crop_box, size)


def median_ms(predictors: dict[str, Predictor], data: bytes, repeat: int) -> dict[str, float]:
    """Median ms of one ``segment`` call per predictor, calls interleaved so a busy moment hits both alike."""
    times: dict[str, list[float]] = {name: [] for name in predictors}
    for _ in range(repeat):
        for name, predictor in predictors.items():
            start = time.perf_counter()
            predictor.segment(data, None, crop=True)
            times[name].append((time.perf_counter() - start) * 1000)
    return {name: statistics.median(values) for name, values in times.items()}


def enlarged(path: Path, side: int = 2000) -> bytes:
    buffer = io.BytesIO()
    Image.open(path).convert("RGB").resize((side, side), Image.BICUBIC).save(buffer, "JPEG", quality=90)
    return buffer.getvalue()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, help="a .tflite or .keras file (default: <data>/tflite's int8)")
    parser.add_argument("--split", default="test")
    parser.add_argument("--repeat", type=int, default=9, help="timed calls per photo size")
    args = parser.parse_args()

    settings = Settings.load()
    rows = truth_rows(settings, args.split)
    if rows is None or rows.empty:
        raise SystemExit(f"no true masks for the {args.split} split under {settings.shop_truth_dir}")
    source = from_path(args.model or settings.tflite_dir / tflite_name("int8"))
    predictors = {"before": Predictor(source, Settings.load({"serve": BEFORE}), workers=1),
                  "after": Predictor(source, settings, workers=1)}
    records = []
    for row in rows.itertuples():
        path = settings.raw_dir / row.image_path
        data = path.read_bytes()
        photo = np.asarray(Image.open(path).convert("RGB"))
        true = np.asarray(Image.open(settings.shop_truth_dir / row.true_mask)) > 0
        for name, predictor in predictors.items():
            rgba = cut(predictor, data, (photo.shape[1], photo.shape[0]))
            records.append({"edges": name, "shot": row.shot, "class": row.class_name, **scores(rgba, photo, true)})
    table = pd.DataFrame(records)
    metrics = [c for c in table.columns if c not in ("edges", "shot", "class")]
    print(f"model {source.path} ({source.variant}); {len(rows)} {args.split} photos with true masks; "
          f"band {BAND_PX} px either side of the true boundary; medians per image")
    print(table.groupby("edges", sort=False)[metrics].median().round(3).to_string())
    for by in ("shot", "class"):
        print()
        print(table.pivot_table(index=by, columns="edges", values=["F@2px", "halo err"], aggfunc="median")
              .round(3).to_string())

    sample = settings.raw_dir / rows[rows["shot"] == "studio"].iloc[0].image_path
    photos = {"512 px": sample.read_bytes(), "4 MP": enlarged(sample)}
    print(f"\nms per segment call (median of {args.repeat}, interleaved; {sample.name})")
    for label, data in photos.items():
        timed = median_ms(predictors, data, args.repeat)
        print(f"{label:>7}: " + ", ".join(f"{name} {ms:.1f}" for name, ms in timed.items()))


if __name__ == "__main__":
    main()
