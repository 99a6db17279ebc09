"""Dagster asset checks: the quality floors each stage's output must clear (floors from config)."""

import json

import dagster as dg

from assets.labels import pseudo_labels
from pipelines.resources import SettingsResource


@dg.asset_check(asset=pseudo_labels, description="Enough labels are accepted to train on.")
def accepted_share_check(settings: SettingsResource) -> dg.AssetCheckResult:
    resolved = settings.load()
    report = json.loads((resolved.labels_dir / "label_report.json").read_text())
    share = report["accepted"] / max(report["images"], 1)
    floor = resolved.config.label.checks.min_accepted_share
    return dg.AssetCheckResult(passed=share >= floor, metadata={"accepted_share": share, "floor": floor})


@dg.asset_check(asset=pseudo_labels, description="Accepted labels agree with the true masks (where the shop has truth).")
def label_iou_check(settings: SettingsResource) -> dg.AssetCheckResult:
    resolved = settings.load()
    audit = json.loads((resolved.labels_dir / "audit.json").read_text())
    floor = resolved.config.label.checks.min_label_iou
    iou = audit.get("mean_iou_accepted")
    if iou is None:
        return dg.AssetCheckResult(passed=True, metadata={"note": "no truth masks: nothing to audit"})
    return dg.AssetCheckResult(passed=iou >= floor, metadata={"mean_iou_accepted": iou, "floor": floor})
