"""``evaluation``, ``tflite_models`` and ``champion``: score, export and promote the trained student.

(No ``from __future__ import annotations``: Dagster reads config and resource types from the signature.
The stage functions are imported inside the assets: they load TensorFlow, which takes seconds, and
every step process of a run imports this module.)
"""

import dagster as dg

from assets import versions
from assets.metadata import mlflow_run_url, picture
from assets.resources import SettingsResource


class RecomputeConfig(dg.Config):
    force: bool = False     # recompute even when code, params and the student are unchanged


@dg.asset(
    deps=["student_model"],
    group_name="evaluate",
    kinds={"tensorflow", "mlflow"},
    code_version=versions.code_version("evaluate"),
    description="Student vs teacher vs baselines on the test split: IoU, Dice, box mAP@0.5, size, latency.",
)
def evaluation(context: dg.AssetExecutionContext, config: RecomputeConfig,
               settings: SettingsResource) -> dg.MaterializeResult:
    resolved = settings.load()
    out, report_path = resolved.evaluation_dir, resolved.evaluation_report_path
    reused = versions.reuse_previous(context, resolved, "evaluate", versions.data_version(report_path),
                                     force=config.force)
    if reused is not None:
        return reused
    from evaluation.evaluate import run_evaluate
    from evaluation.report import table

    report = run_evaluate(resolved, dagster_run_id=context.run_id)
    context.log.info(report.summary())
    return dg.MaterializeResult(metadata={
        **{k: v for k, v in report.student.items() if v is not None},
        "model_version": report.model_version,
        "mlflow_run": mlflow_run_url(resolved, report.experiment_id, report.evaluation_run_id),
        "test_images": report.test_images,
        "comparison": dg.MetadataValue.md(table(report.models).to_markdown(index=False)),
        "report": dg.MetadataValue.path(str(resolved.evaluation_html_path)),
        **{name: picture(resolved, out / file, title, report.evaluation_run_id, f"evaluation/{file}")
           for name, file, title in (("per_class_iou", "per_class.png", "per-class IoU"),
                                     ("iou_histogram", "iou_histogram.png", "per-image IoU"),
                                     ("gallery", "gallery.png", "best and worst predictions"))},
        **versions.stage_metadata(resolved, "evaluate"),
    }, data_version=dg.DataVersion(versions.data_version(report_path)))


@dg.asset(
    deps=["evaluation"],
    group_name="evaluate",
    kinds={"tflite", "mlflow"},
    code_version=versions.code_version("export"),
    description="TFLite fp32 / fp16 / int8 of the student, each sized, timed and scored; unfit ones marked.",
)
def tflite_models(context: dg.AssetExecutionContext, config: RecomputeConfig,
                  settings: SettingsResource) -> dg.MaterializeResult:
    resolved = settings.load()
    report_path = resolved.export_report_path
    reused = versions.reuse_previous(context, resolved, "export", versions.data_version(report_path),
                                     force=config.force)
    if reused is not None:
        return reused
    from release.export import run_export

    report = run_export(resolved)
    context.log.info(report.summary())
    metadata = {}
    for variant, d in report.variants.items():
        metadata.update({f"{variant}_size_mb": d["size_mb"], f"{variant}_latency_ms": d["latency_ms"]["median"],
                         f"{variant}_mean_iou": d["mean_iou"], f"{variant}_fit": d["fit"]})
    return dg.MaterializeResult(metadata={
        **metadata, "keras_mean_iou": report.keras_mean_iou, "fit_variants": ", ".join(report.fit_variants) or "none",
        **versions.stage_metadata(resolved, "export"),
    }, data_version=dg.DataVersion(versions.data_version(report_path)))


@dg.asset(
    deps=["tflite_models"],
    group_name="evaluate",
    kinds={"mlflow"},
    description="The registry's `champion` alias: the new version takes it only when it beats the current one.",
)
def champion(context: dg.AssetExecutionContext, settings: SettingsResource) -> dg.MaterializeResult:
    from release.notify import notify_servers
    from release.promote import run_promote

    resolved = settings.load()
    result = run_promote(resolved)
    context.log.info(f"v{result.version}: {result.reason}")
    notices = notify_servers(resolved, result.moved)
    for notice in notices:
        (context.log.info if notice.ok else context.log.warning)(f"notified {notice}")
    return dg.MaterializeResult(metadata={
        "version": result.version, "promoted": result.promoted, "reason": result.reason,
        "comparison": result.comparison,
        "previous_champion": result.previous_champion or "none", "test_mean_iou": result.score,
        "champion_test_mean_iou": result.champion_score if result.champion_score is not None else result.score,
        "servers_notified": dg.MetadataValue.md("\n".join(f"- {n}" for n in notices) or "none"),
        "notify_warnings": sum(not n.ok for n in notices),  # a server down is a warning, not a failed asset
    })
