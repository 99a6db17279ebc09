"""``run_labelling``: the pseudo-label stage as one plain function (CLI, Dagster, DVC call it)."""

from __future__ import annotations

import io
import logging
import os
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from PIL import Image
from tqdm import tqdm

from labelling.audit import load_truth, per_image_iou, summarize
from labelling.choose import build_labeller, labeller_key, resolve_labeller
from labelling.coco import coco_document
from labelling.review import teacher_counts, write_review
from labelling.workers import label_many
from prodseg.classes import ClassList
from prodseg.fileio import all_or_nothing, atomic_write_bytes, atomic_write_json, atomic_write_parquet
from prodseg.journal import Journal
from prodseg.locks import writes_data
from prodseg.settings import LabelConfig, Settings
from scrapers.catalog import load_catalog

log = logging.getLogger(__name__)

LABEL_COLUMNS = ["image_sha256", "product_id", "image_path", "category", "class_name", "class_id", "score",
                 "area_frac", "border_frac", "box_x0", "box_y0", "box_x1", "box_y1", "width", "height", "mask_path",
                 "labeller", "teacher", "agreement", "labeller_key", "accepted", "reason", "detail"]


@dataclass
class LabelReport:
    labeller: str
    images: int
    labelled_now: int          # labelled in this run (the rest came from earlier runs)
    accepted: int
    rejected: dict[str, int]   # reason -> images
    labels_path: str
    review_path: str
    audit: dict | None         # label IoU vs truth, when the shop's truth is known
    teachers: dict[str, dict]  # teacher -> labels drawn, accepted (+ IoU vs truth of those, where known)
    engine: dict = field(default_factory=dict)  # where this run labelled: kind, address, workers, threads
    images_per_s: float = 0.0  # this run's labelling throughput (0 when nothing was labelled now)

    @property
    def accepted_share(self) -> float:
        return self.accepted / self.images if self.images else 0.0

    def summary(self) -> str:
        audit = f", mean IoU vs truth {self.audit['mean_iou_accepted']} (accepted)" if self.audit else ""
        return (f"labels ({self.labeller}): {self.accepted}/{self.images} accepted, rejected {self.rejected or 'none'}"
                f"{audit}; {self.labelled_now} labelled now -> {self.labels_path}")


def _write_mask(labels_dir: Path, sha: str, mask: np.ndarray, class_name: str | None, classes: ClassList) -> str:
    rel = f"masks/{sha}.png"
    buf = io.BytesIO()
    # 255 marks a product of no known class (VOC's "ignore"); such labels are rejected.
    value = classes.id(class_name) if class_name in classes else 255
    Image.fromarray(mask.astype(np.uint8) * np.uint8(value)).save(buf, format="PNG")
    atomic_write_bytes(labels_dir / rel, buf.getvalue())
    return rel


def fold_labels(records: list[dict], catalog: pd.DataFrame, key: str, min_score: float, classes: ClassList,
                trust_teacher_class: bool = False) -> pd.DataFrame:
    """The labels table: the latest record per catalog image under labeller ``key``.

    Acceptance is decided here, not when labelling, so changing ``min_score`` or
    ``trust_teacher_class`` re-decides without relabelling. A class ``classes`` does not hold (a
    teacher's, or one from an older class list) is ``unknown_class``.
    """
    latest = {r["image_sha256"]: r for r in records if r["labeller_key"] == key}
    rows = [latest[sha] for sha in catalog["image_sha256"] if sha in latest]
    table = pd.DataFrame(rows, columns=LABEL_COLUMNS)
    table["class_id"] = table["class_name"].map(lambda n: classes.id(n) if n in classes else None).astype("Int64")
    foreign = table["reason"].isna() & table["class_id"].isna()
    table.loc[foreign, "reason"] = "unknown_class"
    table.loc[foreign, "detail"] = [f"{n!r} is not a class of this catalog" for n in table.loc[foreign, "class_name"]]
    if not trust_teacher_class:  # a teacher's class other than the catalog's: a person decides
        catalog_class = table["image_sha256"].map(catalog.set_index("image_sha256")["class_name"])
        differs = table["reason"].isna() & catalog_class.notna() & (table["class_name"] != catalog_class)
        table.loc[differs, "reason"] = "class_disagreement"
        table.loc[differs, "detail"] = [f"teacher says {t}, catalog says {c}"
                                        for t, c in zip(table.loc[differs, "class_name"], catalog_class[differs])]
    low = table["reason"].isna() & (table["score"] < min_score)
    table.loc[low, "reason"] = "low_confidence"
    table.loc[low, "detail"] = table.loc[low, "score"].map(lambda s: f"score {s:.2f} < {min_score}")
    table["accepted"] = table["reason"].isna()
    return table


@dataclass(frozen=True)
class Progress:
    done: int
    total: int
    images_per_s: float
    eta_s: float | None  # None until the first image is back

    def line(self) -> str:
        eta = f"{self.eta_s:.0f} s" if self.eta_s is not None else "?"
        return f"labelled {self.done}/{self.total} images, {self.images_per_s:.2f} images/s, ETA {eta}"


class _Meter:
    """Done/total, images/s and ETA; reports every ``every_s`` seconds and at the end."""

    def __init__(self, total: int, every_s: float, report: Callable[[Progress], None]):
        self.total, self.every_s, self.report = total, every_s, report
        self.done, self.start = 0, time.monotonic()
        self.last = self.start

    def rate(self) -> float:
        elapsed = time.monotonic() - self.start
        return self.done / elapsed if elapsed > 0 else 0.0

    def tick(self) -> None:
        self.done += 1
        now = time.monotonic()
        if self.done == self.total or now - self.last >= self.every_s:
            self.last = now
            rate = self.rate()
            self.report(Progress(self.done, self.total, round(rate, 3),
                                 (self.total - self.done) / rate if rate else None))


@writes_data("label")
def run_labelling(settings: Settings, progress: bool = True,
                  on_progress: Callable[[Progress], None] | None = None) -> LabelReport:
    """Label every catalog image not yet labelled by the same labeller+config; write all outputs.

    ``label.workers`` processes (or the cluster at ``label.cluster.address``) label, this one alone
    reads images and writes masks and the journal (so a killed run resumes from the journal, whatever
    the workers were doing). ``on_progress`` gets a ``Progress`` every ``label.cluster.progress_every_s``;
    without it, and without a progress bar, the log does."""
    catalog = load_catalog(settings.catalog_path)
    classes = ClassList.load(settings.catalog_classes_path)
    cfg = resolve_labeller(teacher_classes(settings.config.label, classes), settings.teachers_dir)
    labeller = build_labeller(cfg)
    key = labeller_key(labeller)
    labels_dir = settings.labels_dir
    journal = Journal(settings.label_journal_path)
    records = journal.records()
    done = {r["image_sha256"] for r in records if r["labeller_key"] == key
            and (r["mask_path"] is None or (labels_dir / r["mask_path"]).exists())}
    todo = catalog[~catalog["image_sha256"].isin(done)].drop_duplicates("image_sha256")
    workers = min(cfg.workers or os.cpu_count() or 1, max(len(todo), 1))
    log.info("labelling %d images with %s in %s (%d already labelled)", len(todo), key,
             cfg.cluster.address or f"{workers} process(es)", len(catalog) - len(todo))
    if workers > 1 or cfg.cluster.address:
        labeller = None  # the workers load their own; free this one's model
    rows = {row.image_sha256: row for row in todo.itertuples()}
    tasks = ((sha, settings.raw_dir / row.image_path, row.class_name if isinstance(row.class_name, str) else None)
             for sha, row in rows.items())
    report = on_progress or (None if progress else (lambda p: log.info(p.line())))
    meter = _Meter(len(todo), cfg.cluster.progress_every_s, report or (lambda p: None))
    labelling = label_many(tasks, cfg, workers, labeller)
    try:
        with tqdm(total=len(todo), desc=f"label ({cfg.labeller})", unit="img", disable=not progress) as bar:
            # nothing to label: no cluster to start or connect to
            for sha, fields, mask in labelling if rows else ():
                row = rows[sha]
                mask_path = _write_mask(labels_dir, sha, mask, fields.get("class_name"), classes) if mask is not None else None
                # "accepted" is decided when folding (fold_labels), not journaled.
                record = {**dict.fromkeys(c for c in LABEL_COLUMNS if c != "accepted"), **fields,
                          "image_sha256": sha, "product_id": row.product_id, "image_path": row.image_path,
                          "category": row.category, "mask_path": mask_path, "labeller": cfg.labeller,
                          "labeller_key": key}
                journal.append(record)
                records.append(record)
                bar.update()  # the bar shows images/s and ETA itself
                meter.tick()
    finally:
        journal.close()
    labels = fold_labels(records, catalog, key, cfg.min_score, classes, cfg.trust_teacher_class)
    return write_outputs(settings, labels, classes, cfg.labeller, len(todo),
                         engine=asdict(labelling.engine) if labelling.engine else {}, images_per_s=round(meter.rate(), 3))


def teacher_classes(cfg: LabelConfig, classes: ClassList) -> LabelConfig:
    """``cfg`` with Detectron2's ``class_map`` cut to the catalog's classes: a COCO class mapped onto a
    class this shop lacks names nothing (the catalog's class is used), rather than a class no stage knows."""
    mapped = cfg.detectron2.class_map
    kept = {coco: name for coco, name in mapped.items() if name in classes}
    if kept == mapped:
        return cfg
    log.info("label.detectron2.class_map: %s not classes of this catalog; ignored",
             ", ".join(sorted(set(mapped.values()) - set(kept.values()))))
    return cfg.model_copy(update={"detectron2": cfg.detectron2.model_copy(update={"class_map": kept})})


def write_outputs(settings: Settings, labels: pd.DataFrame, classes: ClassList, labeller: str, labelled_now: int,
                  **run) -> LabelReport:
    # All or nothing: a full disk must not leave labels.parquet beside an older coco.json.
    with all_or_nothing():
        cfg, labels_dir = settings.config.label, settings.labels_dir
        truth = load_truth(settings.shop_truth_dir)
        audit = None
        if truth is not None:
            per_image = per_image_iou(labels, labels_dir, truth, settings.shop_truth_dir)
            if len(per_image):
                audit = summarize(per_image)
                labels = labels.merge(per_image[["image_sha256", "iou"]], on="image_sha256", how="left")
                atomic_write_parquet(labels_dir / "audit.parquet", per_image)
        atomic_write_json(settings.label_audit_path, audit or {"images": 0, "note": "no truth masks for this shop"})
        table = labels[LABEL_COLUMNS]
        classes.save(settings.label_classes_path)   # the list these labels' class ids index
        atomic_write_parquet(settings.labels_path, table)
        atomic_write_json(labels_dir / "coco.json", coco_document(table, labels_dir, classes))
        accepted = int(table["accepted"].sum())
        review = write_review(
            labels, settings.raw_dir, labels_dir, cfg.review_size,
            {"labeller": labeller, "min_score": cfg.min_score, "accepted": accepted,
             "rejected": len(table) - accepted, "audit": audit, "max_pixels": cfg.max_pixels})
        report = LabelReport(
            labeller=labeller, images=len(table), labelled_now=labelled_now, accepted=accepted,
            rejected=table.loc[~table["accepted"], "reason"].value_counts().sort_index().to_dict(),
            labels_path=str(settings.labels_path), review_path=str(review), audit=audit,
            teachers={t["teacher"]: {**t, **({"mean_iou_accepted": audit["per_teacher"].get(t["teacher"], {})
                                              .get("mean_iou_accepted")} if audit else {})}
                      for t in teacher_counts(table)}, **run)
        atomic_write_json(settings.label_report_path, asdict(report))
    log.info(report.summary())
    return report
