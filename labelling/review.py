"""The review gallery: the least certain and the rejected labels drawn over their images."""

from __future__ import annotations

import io
from pathlib import Path

import cv2
import jinja2
import numpy as np
import pandas as pd
from PIL import Image

from prodseg.images import ImageRejected, load_rgb
from prodseg.fileio import atomic_write_bytes, atomic_write_text

THUMB = 256
_templates = jinja2.Environment(loader=jinja2.PackageLoader("labelling", "templates"), autoescape=True)


def overlay(image: np.ndarray, mask: np.ndarray | None, size: int = THUMB) -> Image.Image:
    """The image with the mask tinted and its outline drawn, scaled to ``size`` on the long side."""
    h, w = image.shape[:2]
    scale = size / max(h, w)
    small = cv2.resize(image, (round(w * scale), round(h * scale)), interpolation=cv2.INTER_AREA)
    if mask is None:
        return Image.fromarray(small)
    m = cv2.resize(mask.astype(np.uint8), small.shape[1::-1], interpolation=cv2.INTER_NEAREST).astype(bool)
    tinted = small.copy()
    tinted[m] = (0.55 * small[m] + 0.45 * np.array([255, 40, 90])).astype(np.uint8)
    contours, _ = cv2.findContours(m.astype(np.uint8), cv2.RETR_LIST, cv2.CHAIN_APPROX_SIMPLE)
    cv2.drawContours(tinted, contours, -1, (255, 230, 0), 1)
    return Image.fromarray(tinted)


def _number(value) -> float | None:
    return None if value is None or pd.isna(value) else float(value)


def pick_for_review(labels: pd.DataFrame, n: int) -> pd.DataFrame:
    """Up to ``n`` labels: the lowest-scoring rejected ones and, for at least half (when there
    are that many), the lowest-scoring accepted ones: the borderline labels training will use."""
    accepted = labels[labels["accepted"]].sort_values("score")
    rejected = labels[~labels["accepted"]].sort_values("score")
    n_accepted = min(len(accepted), max(n // 2, n - len(rejected)))
    return pd.concat([rejected.head(n - n_accepted), accepted.head(n_accepted)])


def teacher_counts(labels: pd.DataFrame) -> list[dict]:
    """Which teacher drew how many labels, and how many of those were accepted."""
    drawn = labels[labels["teacher"].notna()]
    return [{"teacher": t, "labels": len(g), "accepted": int(g["accepted"].sum())}
            for t, g in drawn.groupby("teacher")]


def write_review(labels: pd.DataFrame, raw_dir: Path, labels_dir: Path, n: int, summary: dict) -> Path:
    """Write ``review.html`` (+ ``review/*.jpg`` overlays) and return its path."""
    items = []
    for row in pick_for_review(labels, n).itertuples():
        thumb = None
        try:
            image = load_rgb(raw_dir / row.image_path, min_side=1, max_pixels=summary["max_pixels"])
            mask = (np.asarray(Image.open(labels_dir / row.mask_path)) > 0) if isinstance(row.mask_path, str) else None
            buf = io.BytesIO()
            overlay(image, mask).save(buf, format="JPEG", quality=85)
            thumb = f"review/{row.image_sha256}.jpg"
            atomic_write_bytes(labels_dir / thumb, buf.getvalue())
        except ImageRejected:
            pass  # listed with its reason, without a picture
        items.append({"thumb": thumb, "product_id": row.product_id, "class_name": row.class_name,
                      "score": row.score, "accepted": row.accepted, "reason": row.reason,
                      "detail": row.detail, "iou": _number(getattr(row, "iou", None)),
                      "teacher": row.teacher if isinstance(row.teacher, str) else None,
                      "agreement": _number(row.agreement)})
    html = _templates.get_template("review.html").render(items=items, shown=len(items), total=len(labels),
                                                         teachers=teacher_counts(labels), **summary)
    return atomic_write_text(labels_dir / "review.html", html)
