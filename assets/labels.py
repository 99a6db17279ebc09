"""``pseudo_labels``: the teacher's product mask for every crawled image, audited where truth is known.

(No ``from __future__ import annotations``: Dagster reads the resource types from the signature.)
"""

import dagster as dg
import pandas as pd

from assets import versions
from assets.resources import SettingsResource
from corrections.store import read_corrections
from labelling.review import pick_for_review
from labelling.run import run_labelling

STAGE = "label"


@dg.asset(
    deps=["raw_catalog"],
    group_name="label",
    kinds={"opencv", "onnx", "parquet"},
    code_version=versions.code_version(STAGE),
    description="Class-index PNG masks, coco.json, labels.parquet, a review gallery and the label audit.",
)
def pseudo_labels(context: dg.AssetExecutionContext, settings: SettingsResource) -> dg.MaterializeResult:
    # No reuse of the previous result needed: labelling is journaled per image and labeller, so a
    # re-run labels only new images (and re-decides acceptance when min_score changed).
    resolved = settings.load()
    # Progress (done/total, images/s, ETA) in the run log every label.cluster.progress_every_s seconds.
    report = run_labelling(resolved, progress=False, on_progress=lambda p: context.log.info(p.line()))
    context.log.info(report.summary())
    audit = report.audit or {}
    labels = pd.read_parquet(report.labels_path)
    least_certain = pick_for_review(labels, 10)[["product_id", "class_name", "teacher", "score", "agreement",
                                                 "accepted", "reason"]]
    return dg.MaterializeResult(metadata={
        "labeller": report.labeller,
        "teachers": dg.MetadataValue.json(report.teachers),
        "accepted_good_share": audit.get("accepted_good_share") or 0.0,
        "rejected_good_share": audit.get("rejected_good_share") or 0.0,
        "images": report.images,
        "accepted": report.accepted,
        "accepted_share": round(report.accepted_share, 4),
        "rejected": dg.MetadataValue.json(report.rejected),
        "labelled_now": report.labelled_now,
        "label_engine": dg.MetadataValue.json(report.engine),
        "label_workers": report.engine.get("workers", 0),
        "label_images_per_s": report.images_per_s,
        "label_iou_accepted": audit.get("mean_iou_accepted") or 0.0,
        "label_iou_studio": audit.get("studio_mean_iou") or 0.0,
        "lifestyle_flagged_share": audit.get("lifestyle_flagged_share") or 0.0,
        "audit": dg.MetadataValue.json(audit),
        "review_gallery": dg.MetadataValue.path(report.review_path),
        "least_certain": dg.MetadataValue.md(least_certain.to_markdown(index=False)),
        "review_decisions": len(read_corrections(resolved)),  # people's, which the split applies over these labels
        "labels": dg.MetadataValue.path(report.labels_path),
        **versions.stage_metadata(resolved, STAGE),
    # labels.parquet holds each label's class, score, decision and labeller key: its bytes stand for the masks.
    }, data_version=dg.DataVersion(versions.data_version(report.labels_path)))
