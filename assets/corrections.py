"""``review_corrections``: people's decisions (data/corrections), counted; the split reads them.

(No ``from __future__ import annotations``: Dagster reads the resource types from the signature.)
"""

import dagster as dg

from assets import versions
from assets.resources import SettingsResource
from corrections.store import corrections_path, corrections_summary

STAGE = "review"


@dg.asset(
    deps=["pseudo_labels"],
    group_name="label",
    kinds={"parquet"},
    code_version=versions.code_version(STAGE),
    description="People's review decisions (prodseg review, Label Studio imports): they win over the teacher's "
                "labels in the split. The corrections sensor retrains once enough new ones arrived.",
)
def review_corrections(context: dg.AssetExecutionContext, settings: SettingsResource) -> dg.MaterializeResult:
    resolved = settings.load()
    summary = corrections_summary(resolved)
    context.log.info(f"{summary['decisions']} decisions on {summary['images']} images")
    return dg.MaterializeResult(metadata={
        **{k: v for k, v in summary.items() if k != "path"},
        "corrections": dg.MetadataValue.path(summary["path"]),
        **versions.stage_metadata(resolved, STAGE),
    }, data_version=dg.DataVersion(versions.data_version(corrections_path(resolved))))
