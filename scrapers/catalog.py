"""The catalog table: one row per stored image, folded from the crawl journals."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from prodseg.classes import ClassList

CATALOG_COLUMNS = {
    "site": "string",
    "product_id": "string",
    "title": "string",
    "category": "string",         # the shop's own category text
    "class_name": "string",       # the product's class in the catalog's ClassList; <NA> when it has none
    "class_id": "Int64",          # its index in that list (1..N); <NA> when none
    "known_class": "bool",
    "price": "float64",
    "currency": "string",
    "page_url": "string",
    "image_url": "string",
    "image_sha256": "string",
    "image_path": "string",       # relative to the raw data folder: images/<sha256>.<ext>
    "width": "int64",
    "height": "int64",
    "bytes": "int64",
    "format": "string",
    "crawled_at": "string",       # ISO 8601, UTC
}


@dataclass
class FoldStats:
    products: int = 0
    images: int = 0
    duplicate_images: int = 0      # same bytes already stored for another product or URL
    drops: Counter = field(default_factory=Counter)  # reason -> image URLs that yielded no image


def empty_catalog() -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype=t) for c, t in CATALOG_COLUMNS.items()})


def fold_records(records: list[dict], classes: ClassList) -> tuple[pd.DataFrame, FoldStats]:
    """Catalog rows from journal records: each image once, keyed by its content hash.

    Class ids come from ``classes`` (the catalog's list); a record whose class it does not hold has none.

    A product page crawled again (a resumed run) adds nothing. When the same bytes
    appear under several products, the smallest (site, product id, image URL)
    owns the row, so the catalog does not depend on the order pages were crawled.
    Rows come sorted by site, product id and image URL.
    """
    stats = FoldStats()
    claims: dict[str, dict[tuple[str, str, str], dict]] = {}
    latest_drops: dict[tuple[str, str], dict] = {}
    for rec in records:
        latest_drops[(rec["site"], rec["product_id"])] = {d["url"]: d["reason"] for d in rec.get("drops", [])}
        for img in rec.get("images", []):
            claims.setdefault(img["sha256"], {}).setdefault((rec["site"], rec["product_id"], img["url"]),
                                                            _row(rec, img, classes))
    rows = []
    for by_owner in claims.values():
        rows.append(by_owner[min(by_owner)])
        stats.duplicate_images += len(by_owner) - 1
    for drops in latest_drops.values():
        stats.drops.update(drops.values())
    stats.products = len({(r["site"], r["product_id"]) for r in rows})
    stats.images = len(rows)
    if not rows:
        return empty_catalog(), stats
    frame = pd.DataFrame(rows, columns=list(CATALOG_COLUMNS)).astype(CATALOG_COLUMNS)
    return frame.sort_values(["site", "product_id", "image_url"], ignore_index=True), stats


def _row(rec: dict, img: dict, classes: ClassList) -> dict:
    class_name = rec.get("class_name") if rec.get("class_name") in classes else None
    return {
        "site": rec["site"], "product_id": rec["product_id"], "title": rec["title"],
        "category": rec.get("category"), "class_name": class_name,
        "class_id": classes.id(class_name) if class_name else None, "known_class": class_name is not None,
        "price": rec.get("price"), "currency": rec.get("currency"),
        "page_url": rec["page_url"], "image_url": img["url"], "image_sha256": img["sha256"],
        "image_path": f"images/{img['file']}", "width": img["width"], "height": img["height"],
        "bytes": img["bytes"], "format": img["format"], "crawled_at": rec["crawled_at"],
    }


def load_catalog(path: Path) -> pd.DataFrame:
    return pd.read_parquet(path) if Path(path).exists() else empty_catalog()
