"""The web page's product gallery: one photo per crawled product, looked up by the photo's sha256.

Files are only ever served from catalog rows, never from a path a request names.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from prodseg.settings import Settings
from scrapers.catalog import load_catalog

log = logging.getLogger(__name__)
UNKNOWN = "unknown"


@dataclass(frozen=True)
class Product:
    product_id: str
    title: str
    category: str        # the shop's own category text
    class_name: str      # the product class, or "unknown"
    sha256: str
    path: Path

    def as_json(self) -> dict:
        return {"id": self.product_id, "title": self.title, "category": self.category,
                "class_name": self.class_name, "sha256": self.sha256, "image_url": f"/images/{self.sha256}",
                "cutout_url": f"/cutouts/{self.sha256}.png"}


class Gallery:
    def __init__(self, products: list[Product]):
        self.products = products
        self._by_sha = {p.sha256: p for p in products}

    @classmethod
    def load(cls, settings: Settings) -> "Gallery":
        """One stored photo per product: one whose label was accepted (a clean studio shot, what the
        model learned from) when there is one, else the first; rows whose file is gone are left out."""
        catalog = load_catalog(settings.catalog_path)
        accepted = _accepted_images(settings.labels_dir / "labels.parquet")
        catalog = catalog.assign(_plain=~catalog["image_sha256"].isin(accepted)).sort_values("_plain", kind="stable")
        catalog_path, root = settings.catalog_path, Path(settings.raw_dir).resolve()
        products = []
        for _, rows in catalog.groupby(["site", "product_id"], sort=True):
            for row in rows.itertuples():
                path = (root / str(row.image_path)).resolve()
                if path.is_relative_to(root) and path.is_file():
                    products.append(Product(str(row.product_id), str(row.title), _text(row.category, ""),
                                            _text(row.class_name, UNKNOWN), str(row.image_sha256), path))
                    break
        log.info("gallery: %d products from %s", len(products), catalog_path)
        return cls(products)

    def categories(self) -> list[str]:
        return sorted({p.class_name for p in self.products})

    def listing(self, category: str | None = None) -> list[dict]:
        return [p.as_json() for p in self.products if category in (None, "", p.class_name)]

    def get(self, sha256: str) -> Product | None:
        return self._by_sha.get(sha256)


def _accepted_images(labels_path: Path) -> set[str]:
    if not labels_path.exists():
        return set()
    labels = pd.read_parquet(labels_path, columns=["image_sha256", "accepted"])
    return set(labels.loc[labels["accepted"], "image_sha256"])


def _text(value, default: str) -> str:
    return default if value is None or pd.isna(value) else str(value)
