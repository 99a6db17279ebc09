"""The catalog table: one row per stored image, folded from the crawl journals."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from prodseg.classes import CLASS_IDS

CATALOG_COLUMNS = {
    "site": "string",
    "product_id": "string",
    "title": "string",
    "category": "string",         # the shop's own category text
    "class_name": "string",       # normalized product class; <NA> when the category is unknown
    "class_id": "Int64",          # 1..8; <NA> when unknown
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


def fold_records(records: list[dict]) -> tuple[pd.DataFrame, FoldStats]:
    """Catalog rows from journal records: each image once (first seen wins), in crawl order.

    A product page crawled again (a resumed run) replaces nothing and adds
    nothing: rows are keyed by the image's content hash.
    """
    stats = FoldStats()
    rows: dict[str, dict] = {}
    owners: dict[str, tuple[str, str]] = {}
    products: set[tuple[str, str]] = set()
    latest_drops: dict[tuple[str, str], dict] = {}
    for rec in records:
        key = (rec["site"], rec["product_id"])
        latest_drops[key] = {d["url"]: d["reason"] for d in rec.get("drops", [])}
        for img in rec.get("images", []):
            sha = img["sha256"]
            if sha in rows:
                if owners[sha] != (key[1], img["url"]):
                    stats.duplicate_images += 1
                continue
            owners[sha] = (key[1], img["url"])
            products.add(key)
            rows[sha] = {
                "site": rec["site"], "product_id": rec["product_id"], "title": rec["title"],
                "category": rec.get("category"), "class_name": rec.get("class_name"),
                "class_id": CLASS_IDS.get(rec.get("class_name") or "", None),
                "known_class": rec.get("class_name") is not None,
                "price": rec.get("price"), "currency": rec.get("currency"),
                "page_url": rec["page_url"], "image_url": img["url"], "image_sha256": sha,
                "image_path": f"images/{img['file']}", "width": img["width"], "height": img["height"],
                "bytes": img["bytes"], "format": img["format"], "crawled_at": rec["crawled_at"],
            }
    for drops in latest_drops.values():
        stats.drops.update(drops.values())
    stats.products, stats.images = len(products), len(rows)
    frame = pd.DataFrame(list(rows.values()), columns=list(CATALOG_COLUMNS)) if rows else empty_catalog()
    return frame.astype(CATALOG_COLUMNS), stats


def load_catalog(path: Path) -> pd.DataFrame:
    return pd.read_parquet(path) if Path(path).exists() else empty_catalog()
