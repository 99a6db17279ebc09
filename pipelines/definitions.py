"""The prodseg Definitions: assets, their checks, and the resources they use."""

from __future__ import annotations

import dagster as dg

from assets.crawl import raw_catalog
from assets.labels import pseudo_labels
from assets.training import dataset_splits, student_model
from pipelines.checks import accepted_share_check, label_iou_check
from pipelines.resources import SettingsResource

defs = dg.Definitions(
    assets=[raw_catalog, pseudo_labels, dataset_splits, student_model],
    asset_checks=[accepted_share_check, label_iou_check],
    resources={"settings": SettingsResource()},
)
