"""Serving fixtures: tiny real models converted to int8 TFLite, and a tiny crawled catalog."""

from __future__ import annotations

import hashlib
from pathlib import Path

import keras
import pandas as pd
import pytest

from release.tflite import tflite_name
from scrapers.catalog import CATALOG_COLUMNS
from release.tflite import classes_beside
from tests.serving.helpers import DEMO, PRODUCTS, SIZE, dark_model, encoded, int8, photo


@pytest.fixture(scope="session")
def models_dir(tmp_path_factory) -> Path:
    """``dark-int8.tflite`` and ``dark.keras``, with their class list (the demo's) beside them."""
    folder = tmp_path_factory.mktemp("models")
    keras.utils.set_random_seed(0)
    model = dark_model()
    (folder / "dark-int8.tflite").write_bytes(int8(model))
    model.save(folder / "dark.keras")
    DEMO.save(folder / "classes.json")
    return folder


@pytest.fixture(scope="session")
def student_int8(tmp_path_factory) -> Path:
    """The real student architecture, tiny and untrained, as int8 (named the way the export stage names it)."""
    from training.model import build_student

    keras.utils.set_random_seed(1)
    model, _ = build_student(SIZE, width=0.35, decoder_filters=(16, 16, 8, 8), encoder_weights="none",
                             num_classes=9)
    path = tmp_path_factory.mktemp("student") / tflite_name("int8")
    path.write_bytes(int8(model))
    DEMO.save(classes_beside(path))
    return path


@pytest.fixture(scope="session")
def catalog_data(tmp_path_factory) -> Path:
    """A data folder with ``raw/images/<sha256>.jpg`` and ``raw/catalog.parquet`` for PRODUCTS."""
    data = tmp_path_factory.mktemp("data")
    images = data / "raw" / "images"
    images.mkdir(parents=True)
    rows = []
    for product_id, title, class_name, box in PRODUCTS:
        blob = encoded(photo(box=box), "JPEG", quality=95)
        sha = hashlib.sha256(blob).hexdigest()
        (images / f"{sha}.jpg").write_bytes(blob)
        rows.append({"site": "test", "product_id": product_id, "title": title, "category": f"Home > {class_name}",
                     "class_name": class_name, "class_id": DEMO.id(class_name), "known_class": True, "price": 10.0,
                     "currency": "EUR", "page_url": f"http://shop/{product_id}", "image_url": f"http://shop/{sha}.jpg",
                     "image_sha256": sha, "image_path": f"images/{sha}.jpg", "width": 160, "height": 120,
                     "bytes": len(blob), "format": "JPEG", "crawled_at": "2026-01-01T00:00:00Z"})
    catalog = pd.DataFrame(rows, columns=list(CATALOG_COLUMNS)).astype(CATALOG_COLUMNS)
    catalog.to_parquet(data / "raw" / "catalog.parquet")
    DEMO.save(data / "raw" / "classes.json")
    return data
