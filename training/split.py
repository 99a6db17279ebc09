"""Train/val/test split: grouped by product, stratified by class, stable as the catalog grows.

Products are taken in the order of a seeded hash of their id (not a shuffle of
the list), and each goes to the split furthest below its target share within
its class. Products already in the previous manifest keep their split, so a
re-crawl that adds products never moves old ones.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass

import pandas as pd

from corrections.store import apply_corrections, read_corrections
from prodseg.classes import ClassList
from prodseg.fileio import all_or_nothing, atomic_write_json, atomic_write_parquet
from prodseg.locks import writes_data
from prodseg.settings import Settings, SplitConfig

log = logging.getLogger(__name__)

SPLITS = ("train", "val", "test")
MANIFEST_COLUMNS = ["image_sha256", "site", "product_id", "class_name", "class_id", "split",
                    "image_path", "mask_path"]


def product_hash(seed: int, site: str, product_id: str) -> str:
    return hashlib.sha256(f"{seed}:{site}:{product_id}".encode()).hexdigest()


def product_classes(images: pd.DataFrame) -> pd.DataFrame:
    """One row per product: its class is the most common class among its images (ties: by name)."""
    counts = images.groupby(["site", "product_id", "class_name"]).size().rename("n").reset_index()
    counts = counts.sort_values(["site", "product_id", "n", "class_name"], ascending=[True, True, False, True])
    return counts.drop_duplicates(["site", "product_id"])[["site", "product_id", "class_name"]]


def assign_splits(products: pd.DataFrame, cfg: SplitConfig, previous: dict[tuple[str, str], str]) -> dict:
    """(site, product_id) -> split, for every product of ``products`` (columns site, product_id, class_name)."""
    targets = {"train": cfg.train, "val": cfg.val, "test": cfg.test}
    total = sum(targets.values())
    if total <= 0 or min(targets.values()) < 0:
        raise ValueError(f"split fractions must be non-negative with a positive sum, got {targets}")
    targets = {k: v / total for k, v in targets.items()}
    out: dict[tuple[str, str], str] = {}
    for _, group in products.groupby("class_name"):
        keys = [(r.site, r.product_id) for r in group.itertuples()]
        counts = dict.fromkeys(SPLITS, 0)
        for key in keys:
            if key in previous:
                out[key] = previous[key]
                counts[previous[key]] += 1
        for key in sorted((k for k in keys if k not in previous), key=lambda k: product_hash(cfg.seed, *k)):
            n = sum(counts.values()) + 1
            # The split furthest below its target after this product; ties go in SPLITS order.
            split = max(SPLITS, key=lambda s: (targets[s] * n - counts[s], -SPLITS.index(s)))
            out[key] = split
            counts[split] += 1
    return out


@dataclass
class SplitReport:
    manifest_path: str
    counts: dict[str, dict[str, int]]   # split -> class -> images
    products: dict[str, int]            # split -> products
    corrected: int = 0                  # images whose label a person decided
    decisions: int = 0                  # rows of corrections.parquet read (all decisions so far)

    def summary(self) -> str:
        images = {s: sum(c.values()) for s, c in self.counts.items()}
        return (f"splits: images {images}, products {self.products}, {self.corrected} corrected by people"
                f" -> {self.manifest_path}")


@writes_data("split")
def run_split(settings: Settings) -> SplitReport:
    """Write the split manifest of the accepted labels (``data/splits/splits.parquet``).

    People's decisions (``data/corrections``) win over the teacher's: a corrected or accepted photo
    the teacher rejected joins its product's split; a rejected one leaves it.
    """
    decisions = read_corrections(settings)
    labels = apply_corrections(pd.read_parquet(settings.labels_path), decisions)
    catalog = pd.read_parquet(settings.catalog_path)[["image_sha256", "site"]]
    classes = ClassList.load(settings.label_classes_path)
    known = labels["class_name"].isin(classes.products)
    if (labels["accepted"] & ~known).any():
        log.warning("split: %d accepted labels of classes not in %s left out: %s", (labels["accepted"] & ~known).sum(),
                    settings.label_classes_path, sorted(set(labels.loc[labels["accepted"] & ~known, "class_name"])))
    accepted = labels[labels["accepted"] & known].merge(catalog, on="image_sha256")
    # Ids from the labels' list by name: a decision recorded under an older list keeps its class, not its id.
    accepted["class_id"] = accepted["class_name"].map(classes.id).astype("Int64")
    manifest_path = settings.splits_path
    previous: dict[tuple[str, str], str] = {}
    if manifest_path.exists():
        old = pd.read_parquet(manifest_path)
        previous = {(r.site, r.product_id): r.split for r in old.itertuples()}
    assignment = assign_splits(product_classes(accepted), settings.config.split, previous)
    accepted["split"] = [assignment[(r.site, r.product_id)] for r in accepted.itertuples()]
    manifest = accepted[MANIFEST_COLUMNS].sort_values(["split", "site", "product_id", "image_sha256"],
                                                      ignore_index=True)
    counts = {s: manifest[manifest["split"] == s]["class_name"].value_counts().sort_index().to_dict() for s in SPLITS}
    products = {s: int(manifest[manifest["split"] == s][["site", "product_id"]].drop_duplicates().shape[0])
                for s in SPLITS}
    corrected = int(accepted["corrected"].sum())
    report = SplitReport(str(manifest_path), counts, products, corrected, len(decisions))
    with all_or_nothing():
        atomic_write_parquet(manifest_path, manifest)
        atomic_write_json(settings.split_report_path,
                          {"counts": counts, "products": products, "manifest": str(manifest_path),
                           "corrected_images": corrected, "corrections_counted": len(decisions)})
    return report
