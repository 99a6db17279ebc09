"""The images an evaluation scores, at the model's input size, with their reference masks.

Two references: the pseudo-labels of the test split (what the student learned from), and, where
the demo shop kept true masks, the truth for every photo of the test products, room shots included
(the labeller rejected those, so the test split alone would hide how the student does on them).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from labelling.audit import load_truth
from prodseg.classes import ClassList
from prodseg.settings import Settings
from training.dataset import load_pair


@dataclass
class EvalSet:
    name: str
    images: np.ndarray      # (N, S, S, 3) float32 0..255
    refs: np.ndarray        # (N, S, S) uint8 class indices
    rows: pd.DataFrame      # image_sha256, product_id, class_name, shot, image_path (+ mask_path for labels)
    classes: ClassList      # the model's list: ``refs`` hold its ids (``len(classes)``: a class it does not know)

    def __len__(self) -> int:
        return len(self.rows)


def _stack(pairs: list[tuple[np.ndarray, np.ndarray]], size: int) -> tuple[np.ndarray, np.ndarray]:
    if not pairs:
        return np.zeros((0, size, size, 3), np.float32), np.zeros((0, size, size), np.uint8)
    images, masks = zip(*pairs)
    return np.stack(images), np.stack(masks)


def ref_id(classes: ClassList, class_name: str) -> int:
    """A reference class as the model's id; a class the model does not know gets ``len(classes)``, an id it
    never predicts (its pixels count as wrong class)."""
    return classes.id(class_name) if class_name in classes else len(classes)


def split_rows(settings: Settings, split: str) -> pd.DataFrame:
    manifest = pd.read_parquet(settings.splits_path)
    return manifest[manifest["split"] == split].reset_index(drop=True)


def label_set(settings: Settings, split: str, size: int, classes: ClassList | None = None) -> EvalSet:
    """The split's accepted images against their pseudo-labels, in ``classes``' ids (the model's; default: the
    trained student's list, ``data/models/classes.json``)."""
    classes = classes or ClassList.load(settings.model_classes_path)
    rows = split_rows(settings, split)
    truth = load_truth(settings.shop_truth_dir)
    rows["shot"] = rows["image_sha256"].map(truth.set_index("image_sha256")["shot"]) if truth is not None else None
    pairs = [load_pair(str(settings.raw_dir / r.image_path), str(settings.labels_dir / r.mask_path), size,
                       ref_id(classes, r.class_name)) for r in rows.itertuples()]
    return EvalSet("labels", *_stack(pairs, size), rows, classes)


def truth_rows(settings: Settings, split: str) -> pd.DataFrame | None:
    """Every labelled photo (accepted or not) of the split's products with its true mask and shot; None without truth."""
    truth = load_truth(settings.shop_truth_dir)
    if truth is None:
        return None
    products = split_rows(settings, split)[["product_id"]].drop_duplicates()
    labels = pd.read_parquet(settings.labels_path)
    rows = (labels.merge(products, on="product_id").merge(truth, on="image_sha256")
            .dropna(subset=["image_path"]).sort_values("image_sha256").reset_index(drop=True))
    rows["class_name"] = rows["true_class"]
    return rows


def truth_set(settings: Settings, split: str, size: int, classes: ClassList) -> EvalSet | None:
    """Every labelled photo (accepted or not) of the split's products against the true masks, in ``classes``' ids;
    None without truth."""
    rows = truth_rows(settings, split)
    if rows is None:
        return None
    pairs = [load_pair(str(settings.raw_dir / r.image_path), str(settings.shop_truth_dir / r.true_mask), size,
                       ref_id(classes, r.true_class)) for r in rows.itertuples()]
    return EvalSet("truth", *_stack(pairs, size), rows, classes)
