"""The web page's product gallery: each crawled product shown by its photo that cuts out best.

A product's photos are ranked from what the labelling stage already knows about each (no model runs
here): first those whose label raises no warning (``serving.quality``: the teacher's score, how much of
the photo's edge its mask covers), then those whose label was accepted, then studio-like shots, then
by the teacher's score. The other photos stay listed, so the page can offer them.

Files are only ever served from catalog rows, never from a path a request names.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from itertools import groupby
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
from PIL import Image

from labelling.features import mask_features
from prodseg.settings import Settings
from scrapers.catalog import load_catalog
from serving.quality import CutoutWarning, Thresholds, class_label, cutout_warnings, thresholds

log = logging.getLogger(__name__)
UNKNOWN = "unknown"
# The labelling cascade's first teacher, GrabCut, keeps a label alone only when it is confident, which it
# is on a plain background: a label it made marks a studio-like shot (on the demo shop: 280 of 280 such
# labels are studio shots, and none of the 129 room shots).
STUDIO_TEACHERS = frozenset({"grabcut"})
LABEL_COLUMNS = ["image_sha256", "accepted", "score", "teacher", "mask_path"]
CATALOG_FIELDS = ["site", "product_id", "title", "category", "class_name", "image_sha256", "image_path"]
BORDER = "border_frac"  # written by the labelling stage (labelling/features.py); older tables lack it


@dataclass(frozen=True)
class PhotoLabel:
    """What the labelling stage says about one photo."""
    accepted: bool
    score: float
    studio: bool
    border: float        # share of the photo's edge pixels the label's mask covers


@dataclass(frozen=True)
class Photo:
    sha256: str
    path: Path
    label: PhotoLabel | None
    warnings: tuple[CutoutWarning, ...]

    def rank(self) -> tuple:
        """Sort key, best first."""
        if self.label is None:
            return (1, 1, 1, 0.0)
        return (len(self.warnings) > 0, not self.label.accepted, not self.label.studio, -self.label.score)

    def as_json(self) -> dict:
        return {"sha256": self.sha256, "image_url": f"/images/{self.sha256}", "cutout_url": f"/cutouts/{self.sha256}.png",
                "warnings": [w.as_json() for w in self.warnings]}


@dataclass(frozen=True)
class Product:
    product_id: str
    title: str
    category: str        # the shop's own category text, e.g. "Living room > Sofas & Couches"
    class_name: str      # the product class, or "unknown"
    photos: tuple[Photo, ...]  # best first; never empty

    @property
    def sha256(self) -> str:
        return self.photos[0].sha256

    @property
    def path(self) -> Path:
        return self.photos[0].path

    @property
    def shelf(self) -> str:
        """The shop's own category in short (its last part), or the class in people's words."""
        last = self.category.split(">")[-1].strip()
        return last or (class_label(self.class_name) if self.class_name != UNKNOWN else "Other")

    def as_json(self) -> dict:
        best = self.photos[0].as_json()
        return {"id": self.product_id, "title": self.title, "category": self.category, "shelf": self.shelf,
                "class_name": self.class_name, "class_label": class_label(self.class_name), **best,
                "photos": [p.as_json() for p in self.photos]}


class Gallery:
    def __init__(self, products: list[Product]):
        self.products = products
        self._by_sha = {photo.sha256: (product, photo) for product in products for photo in product.photos}

    @classmethod
    def load(cls, settings: Settings) -> "Gallery":
        """Every product with at least one stored photo, its photos ranked; rows whose file is gone are left out."""
        catalog = load_catalog(settings.catalog_path)
        labels = _photo_labels(settings)
        limits = thresholds(settings.config.serve)
        root, folders = os.path.realpath(settings.raw_dir), {}
        products = []
        # Plain rows, grouped in one pass (pandas' per-group frames cost seconds on 100,000 photos); sorted
        # stably by product, so a product's photos keep the shop's order.
        catalog = catalog.dropna(subset=["site", "product_id"]).sort_values(["site", "product_id"], kind="stable")
        rows = zip(*(catalog[c].astype(object).tolist() for c in CATALOG_FIELDS))
        for _, group in groupby(rows, key=lambda row: row[:2]):
            group = list(group)
            photos = []
            for *_, sha, image_path in group:
                path = _stored_file(root, str(image_path), folders)
                if path is not None:
                    label = labels.get(str(sha))
                    photos.append(Photo(str(sha), path, label, _label_warnings(label, limits)))
            if photos:
                _, product_id, title, category, class_name, *_ = group[0]
                photos.sort(key=Photo.rank)  # stable: the shop's order among equals
                products.append(Product(str(product_id), str(title), _text(category, ""),
                                        _text(class_name, UNKNOWN), tuple(photos)))
        log.info("gallery: %d products from %s", len(products), settings.catalog_path)
        return cls(products)

    def categories(self) -> list[str]:
        return sorted({p.class_name for p in self.products})

    def listing(self, category: str | None = None) -> list[dict]:
        return [p.as_json() for p in self.products if category in (None, "", p.class_name)]

    def get(self, sha256: str) -> tuple[Product, Photo] | None:
        """The product and its photo with this sha256 (any of a product's photos)."""
        return self._by_sha.get(sha256)


def _stored_file(root: str, image_path: str, folders: dict[str, str]) -> Path | None:
    """A catalog row's file, or None where it is gone or resolves outside ``root`` (resolved). Each folder
    is resolved once (``folders`` caches it), then only the file itself: a full resolve per photo costs
    seconds on 100,000 of them."""
    folder, name = os.path.split(os.path.join(root, image_path))
    if folder not in folders:
        folders[folder] = os.path.realpath(folder)
    path = os.path.join(folders[folder], name)
    if os.path.islink(path):
        path = os.path.realpath(path)
    return Path(path) if path.startswith(root + os.sep) and os.path.isfile(path) else None


def _label_warnings(label: PhotoLabel | None, limits: Thresholds) -> tuple[CutoutWarning, ...]:
    if label is None:
        return ()
    # The teacher was told the catalog's class, so there is no class to disagree about here.
    return tuple(cutout_warnings(label.score, label.border, "", None, limits, judge="the labelling teacher"))


def _photo_labels(settings: Settings) -> dict[str, PhotoLabel]:
    """Only the columns ranking needs: a 100,000-photo table reads in a fraction of a second."""
    path, labels_dir = settings.labels_path, settings.labels_dir
    if not path.exists():
        return {}
    have = pq.read_schema(path).names
    labels = pd.read_parquet(path, columns=LABEL_COLUMNS + [BORDER] * (BORDER in have))
    if BORDER not in labels:
        labels[BORDER] = np.nan
    # No mask: nothing reaches the edge. A mask without the column: a table from before it was written.
    labels.loc[labels["mask_path"].isna(), BORDER] = 0.0
    missing = labels[BORDER].isna()
    if missing.any():
        log.info("gallery: %d labels in %s predate its %s column: reading their masks (`prodseg label` writes it)",
                 int(missing.sum()), path, BORDER)
        labels.loc[missing, BORDER] = [_mask_border(labels_dir, m) for m in labels.loc[missing, "mask_path"]]
    return {str(r.image_sha256): PhotoLabel(bool(r.accepted), float(r.score), r.teacher in STUDIO_TEACHERS,
                                            float(r.border_frac))
            for r in labels.itertuples()}


def _mask_border(labels_dir: Path, mask_path: str) -> float:
    """Border share of a label's class-index mask; 0 where its file is gone."""
    if not (labels_dir / mask_path).is_file():
        return 0.0
    with Image.open(labels_dir / mask_path) as mask:
        return mask_features(np.asarray(mask))[BORDER]


def _text(value, default: str) -> str:
    return default if value is None or pd.isna(value) else str(value)
