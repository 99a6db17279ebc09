"""``evaluation``, ``tflite_models`` and ``champion``: score, export and promote the trained student.

(No ``from __future__ import annotations``: Dagster reads resource types from the signature.)
"""

import dagster as dg

from evaluation.evaluate import run_evaluate
from evaluation.report import table
from pipelines.resources import SettingsResource
from training.export_stage import run_export
from training.promote import run_promote


@dg.asset(
    deps=["student_model"],
    group_name="evaluate",
    kinds={"tensorflow", "mlflow"},
    code_version="1",
    description="Student vs teacher vs baselines on the test split: IoU, Dice, box mAP@0.5, size, latency.",
)
def evaluation(context: dg.AssetExecutionContext, settings: SettingsResource) -> dg.MaterializeResult:
    resolved = settings.load()
    report = run_evaluate(resolved)
    context.log.info(report.summary())
    out = resolved.evaluation_dir
    return dg.MaterializeResult(metadata={
        **{k: v for k, v in report.student.items() if v is not None},
        "model_version": report.model_version,
        "test_images": report.test_images,
        "comparison": dg.MetadataValue.md(table(report.models).to_markdown(index=False)),
        "report": dg.MetadataValue.path(str(out / "report.html")),
        "per_class_iou": dg.MetadataValue.path(str(out / "per_class.png")),
        "iou_histogram": dg.MetadataValue.path(str(out / "iou_histogram.png")),
        "gallery": dg.MetadataValue.path(str(out / "gallery.png")),
    })


@dg.asset(
    deps=["evaluation"],
    group_name="evaluate",
    kinds={"tflite", "mlflow"},
    code_version="1",
    description="TFLite fp32 / fp16 / int8 of the student, each sized, timed and scored; unfit ones marked.",
)
def tflite_models(context: dg.AssetExecutionContext, settings: SettingsResource) -> dg.MaterializeResult:
    report = run_export(settings.load())
    context.log.info(report.summary())
    metadata = {}
    for variant, d in report.variants.items():
        metadata.update({f"{variant}_size_mb": d["size_mb"], f"{variant}_latency_ms": d["latency_ms"]["median"],
                         f"{variant}_mean_iou": d["mean_iou"], f"{variant}_fit": d["fit"]})
    return dg.MaterializeResult(metadata={**metadata, "keras_mean_iou": report.keras_mean_iou,
                                          "fit_variants": ", ".join(report.fit_variants) or "none"})


@dg.asset(
    deps=["tflite_models"],
    group_name="evaluate",
    kinds={"mlflow"},
    code_version="1",
    description="The registry's `champion` alias: the new version takes it only when it beats the current one.",
)
def champion(context: dg.AssetExecutionContext, settings: SettingsResource) -> dg.MaterializeResult:
    result = run_promote(settings.load())
    context.log.info(f"v{result.version}: {result.reason}")
    return dg.MaterializeResult(metadata={
        "version": result.version, "promoted": result.promoted, "reason": result.reason,
        "previous_champion": result.previous_champion or "none", "test_mean_iou": result.score,
        "champion_test_mean_iou": result.champion_score if result.champion_score is not None else result.score,
    })
