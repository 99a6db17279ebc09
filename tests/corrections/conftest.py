"""A tiny labelled data folder (no teacher run): photos, a catalog, labels with masks, one rejected."""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from PIL import Image

from prodseg.classes import ClassList
from prodseg.settings import Settings

W, H = 48, 40
# product id, class, accepted by the teacher (the last: a low-confidence reject)
LABELS = [("P1", "chair", True), ("P2", "vase", True), ("P3", "couch", True), ("P4", "bowl", False)]
TOKEN = "test-review-token-0123456789"
CLASSES = ClassList(("couch", "chair", "bed", "vase", "bowl", "cup"))   # the labels' own list (not the demo's eight)


def make_data(data: Path) -> None:
    (data / "raw" / "images").mkdir(parents=True)
    (data / "labels" / "masks").mkdir(parents=True)
    catalog, labels = [], []
    for i, (product, name, accepted) in enumerate(LABELS):
        rgb = np.full((H, W, 3), 230, np.uint8)
        rgb[10:30, 8 + i:30 + i] = (40 * i, 90, 160)
        path = data / "raw" / "images" / "tmp.png"
        Image.fromarray(rgb).save(path)
        sha = hashlib.sha256(path.read_bytes()).hexdigest()
        path.rename(data / "raw" / "images" / f"{sha}.png")
        mask = np.zeros((H, W), np.uint8)
        mask[12:28, 10 + i:28 + i] = CLASSES.id(name)
        Image.fromarray(mask).save(data / "labels" / "masks" / f"{sha}.png")
        catalog.append({"image_sha256": sha, "site": "test", "product_id": product, "class_name": name,
                        "image_path": f"images/{sha}.png"})
        labels.append({"image_sha256": sha, "product_id": product, "image_path": f"images/{sha}.png",
                       "class_name": name, "class_id": CLASSES.id(name), "score": 0.9 - 0.2 * i, "width": W,
                       "height": H, "mask_path": f"masks/{sha}.png", "labeller": "grabcut",
                       "labeller_key": "grabcut-test", "accepted": accepted,
                       "reason": None if accepted else "low_confidence"})
    pd.DataFrame(catalog).to_parquet(data / "raw" / "catalog.parquet")
    CLASSES.save(data / "labels" / "classes.json")
    pd.DataFrame(labels).astype({"class_id": "Int64"}).to_parquet(data / "labels" / "labels.parquet")


@pytest.fixture(scope="session")
def labelled_template(tmp_path_factory) -> Path:
    data = tmp_path_factory.mktemp("labelled") / "data"
    make_data(data)
    return data


@pytest.fixture
def settings(tmp_path, labelled_template) -> Settings:
    """Settings over a fresh copy of the labelled data folder."""
    import shutil

    shutil.copytree(labelled_template, tmp_path / "data")
    return Settings.load({"paths": {"var": str(tmp_path / "var"), "data": str(tmp_path / "data")},
                          "review": {"token": TOKEN}}, environ={})


def labels(settings: Settings) -> pd.DataFrame:
    return pd.read_parquet(settings.labels_dir / "labels.parquet")
