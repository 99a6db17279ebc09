"""Dagster asset checks: the quality floors each stage's output must clear (floors from config).

Checks name their asset by key, not by importing it: the Definitions load every asset module of the
``assets`` package and every check of this module on their own.
"""

import json

import dagster as dg

from assets.resources import SettingsResource


@dg.asset_check(asset="pseudo_labels", description="Enough labels are accepted to train on.")
def accepted_share_check(settings: SettingsResource) -> dg.AssetCheckResult:
    resolved = settings.load()
    report = json.loads(resolved.label_report_path.read_text())
    share = report["accepted"] / max(report["images"], 1)
    floor = resolved.config.label.checks.min_accepted_share
    return dg.AssetCheckResult(passed=share >= floor, metadata={"accepted_share": share, "floor": floor})


@dg.asset_check(asset="pseudo_labels", description="Accepted labels agree with the true masks (where the shop has truth).")
def label_iou_check(settings: SettingsResource) -> dg.AssetCheckResult:
    resolved = settings.load()
    audit = json.loads(resolved.label_audit_path.read_text())
    floor = resolved.config.label.checks.min_label_iou
    iou = audit.get("mean_iou_accepted")
    if iou is None:
        return dg.AssetCheckResult(passed=True, metadata={"note": "no truth masks: nothing to audit"})
    return dg.AssetCheckResult(passed=iou >= floor, metadata={"mean_iou_accepted": iou, "floor": floor})


@dg.asset_check(asset="dataset_splits", blocking=True,
                description="Train, val and test each hold images: training and evaluation need all three.")
def splits_filled_check(settings: SettingsResource) -> dg.AssetCheckResult:
    report = json.loads(settings.load().split_report_path.read_text())
    images = {split: sum(counts.values()) for split, counts in report["counts"].items()}
    empty = sorted(s for s in ("train", "val", "test") if not images.get(s))
    return dg.AssetCheckResult(
        passed=not empty,
        severity=dg.AssetCheckSeverity.ERROR,
        metadata={**{f"{s}_images": images.get(s, 0) for s in ("train", "val", "test")},
                  "empty": ", ".join(empty) or "none"},
        description=(f"empty split(s): {', '.join(empty)}; crawl more products or lower label.min_score"
                     if empty else None),
    )


@dg.asset_check(asset="tflite_models", blocking=True,
                description="Guards promotion: the student clears the test IoU floor and has a fit TFLite variant.")
def champion_floor_check(settings: SettingsResource) -> dg.AssetCheckResult:
    resolved = settings.load()
    evaluation = json.loads(resolved.evaluation_report_path.read_text())
    export = json.loads(resolved.export_report_path.read_text())
    iou, floor = evaluation["student"]["test_mean_iou"], resolved.config.promote.min_test_iou
    fit = [v for v, d in export["variants"].items() if d["fit"]]
    return dg.AssetCheckResult(passed=iou >= floor and bool(fit),
                               metadata={"test_mean_iou": iou, "floor": floor, "fit_variants": ", ".join(fit) or "none"})
