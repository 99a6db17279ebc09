"""The images an evaluation scores, at the model's input size, with their reference masks.

Two references: the pseudo-labels of the test split (what the student learned from), and, where
the demo shop kept true masks, the truth for every photo of the test products, room shots included
(the labeller rejected those, so the test split alone would hide how the student does on them).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from PIL import Image

from labelling.audit import load_truth
from prodseg.classes import class_id
from prodseg.settings import Settings
from training.dataset import load_pair


@dataclass
class EvalSet:
    name: str
    images: np.ndarray      # (N, S, S, 3) float32 0..255
    refs: np.ndarray        # (N, S, S) uint8 class indices
    rows: pd.DataFrame      # image_sha256, product_id, class_name, shot, image_path (+ mask_path for labels)

    def __len__(self) -> int:
        return len(self.rows)


def _stack(pairs: list[tuple[np.ndarray, np.ndarray]], size: int) -> tuple[np.ndarray, np.ndarray]:
    if not pairs:
        return np.zeros((0, size, size, 3), np.float32), np.zeros((0, size, size), np.uint8)
    images, masks = zip(*pairs)
    return np.stack(images), np.stack(masks)


def split_rows(settings: Settings, split: str) -> pd.DataFrame:
    manifest = pd.read_parquet(settings.splits_dir / "splits.parquet")
    return manifest[manifest["split"] == split].reset_index(drop=True)


def label_set(settings: Settings, split: str, size: int) -> EvalSet:
    """The split's accepted images against their pseudo-labels."""
    rows = split_rows(settings, split)
    truth = load_truth(settings.shop_truth_dir)
    rows["shot"] = rows["image_sha256"].map(truth.set_index("image_sha256")["shot"]) if truth is not None else None
    pairs = [load_pair(str(settings.raw_dir / r.image_path), str(settings.labels_dir / r.mask_path), size)
             for r in rows.itertuples()]
    return EvalSet("labels", *_stack(pairs, size), rows)


def _truth_pair(image_path: Path, mask_path: Path, class_name: str, size: int) -> tuple[np.ndarray, np.ndarray]:
    image, _ = load_pair(str(image_path), str(mask_path), size)
    mask = np.asarray(Image.open(mask_path).resize((size, size), Image.NEAREST)) > 0
    return image, (mask * class_id(class_name)).astype(np.uint8)


def truth_rows(settings: Settings, split: str) -> pd.DataFrame | None:
    """Every labelled photo (accepted or not) of the split's products with its true mask and shot; None without truth."""
    truth = load_truth(settings.shop_truth_dir)
    if truth is None:
        return None
    products = split_rows(settings, split)[["product_id"]].drop_duplicates()
    labels = pd.read_parquet(settings.labels_dir / "labels.parquet")
    rows = (labels.merge(products, on="product_id").merge(truth, on="image_sha256")
            .dropna(subset=["image_path"]).sort_values("image_sha256").reset_index(drop=True))
    rows["class_name"] = rows["true_class"]
    return rows


def truth_set(settings: Settings, split: str, size: int) -> EvalSet | None:
    """Every labelled photo (accepted or not) of the split's products against the true masks; None without truth."""
    rows = truth_rows(settings, split)
    if rows is None:
        return None
    pairs = [_truth_pair(settings.raw_dir / r.image_path, settings.shop_truth_dir / r.true_mask, r.true_class, size)
             for r in rows.itertuples()]
    return EvalSet("truth", *_stack(pairs, size), rows)
