"""Label quality against known truth (the demo shop writes its true masks)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from PIL import Image

from labelling.instances import mask_iou


def load_truth(truth_dir: Path) -> pd.DataFrame | None:
    """The demo shop's truth table (image hash -> true mask, shot), or None for real shops."""
    table = Path(truth_dir) / "images.parquet"
    if not table.exists():
        return None
    truth = pd.read_parquet(table)[["image_sha256", "mask", "shot", "class_name"]]
    return truth.drop_duplicates("image_sha256").rename(columns={"mask": "true_mask", "class_name": "true_class"})


def per_image_iou(labels: pd.DataFrame, labels_dir: Path, truth: pd.DataFrame, truth_dir: Path) -> pd.DataFrame:
    """One row per labelled image that has truth: foreground IoU and whether the class is right."""
    rows = labels.dropna(subset=["mask_path"]).merge(truth, on="image_sha256")
    ious = []
    for row in rows.itertuples():
        predicted = np.asarray(Image.open(labels_dir / row.mask_path)) > 0
        true = np.asarray(Image.open(Path(truth_dir) / row.true_mask)) > 0
        ious.append(mask_iou(predicted, true) if predicted.shape == true.shape else 0.0)
    rows["iou"] = ious
    rows["class_correct"] = rows["class_name"] == rows["true_class"]
    return rows[["image_sha256", "class_name", "shot", "teacher", "agreement", "score", "accepted", "iou",
                 "class_correct"]]


GOOD_IOU = 0.9  # a label this close to the truth is good enough to train on


def _mean(frame: pd.DataFrame) -> float | None:
    return round(float(frame["iou"].mean()), 4) if len(frame) else None


def _good_share(frame: pd.DataFrame) -> float | None:
    return round(float((frame["iou"] >= GOOD_IOU).mean()), 4) if len(frame) else None


def _group(frame: pd.DataFrame) -> dict:
    accepted = frame[frame["accepted"]]
    return {"images": len(frame), "accepted": len(accepted), "mean_iou_accepted": _mean(accepted),
            "accepted_good_share": _good_share(accepted)}


def summarize(audit: pd.DataFrame) -> dict:
    """Mean IoUs overall, of accepted labels, per class, per shot type and per teacher; how well acceptance
    separates good labels from bad ones."""
    accepted = audit[audit["accepted"]]
    studio, lifestyle = audit[audit["shot"] == "studio"], audit[audit["shot"] == "lifestyle"]
    return {
        "images": len(audit),
        "mean_iou": _mean(audit),
        "mean_iou_accepted": _mean(accepted),
        "class_accuracy": round(float(audit["class_correct"].mean()), 4) if len(audit) else None,
        "per_class": {c: _mean(g) for c, g in audit.groupby("class_name")},
        "per_class_accepted": {c: _mean(g) for c, g in accepted.groupby("class_name")},
        "per_shot": {s: _mean(g) for s, g in audit.groupby("shot")},
        "studio_mean_iou": _mean(studio),
        "studio_accepted_share": round(float(studio["accepted"].mean()), 4) if len(studio) else None,
        "lifestyle_flagged_share": round(float((~lifestyle["accepted"]).mean()), 4) if len(lifestyle) else None,
        # How well acceptance works: accepted labels that are good, and rejected labels that were good after all.
        "good_iou": GOOD_IOU,
        "accepted_good_share": _good_share(accepted),
        "rejected_good_share": _good_share(audit[~audit["accepted"]]),
        "per_teacher": {t: _group(g) for t, g in audit.groupby(audit["teacher"].fillna("none"))},
        "per_shot_accepted": {s: _group(g) for s, g in audit.groupby("shot")},
    }
