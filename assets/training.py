"""``dataset_splits`` and ``student_model``: the manifest and the trained, registered student.

(No ``from __future__ import annotations``: Dagster reads config and resource types from the signature.)
"""

from typing import Optional

import dagster as dg
import pandas as pd

from assets import versions
from assets.metadata import mlflow_run_url, picture
from assets.resources import SettingsResource, section
from training.split import run_split


@dg.asset(
    deps=["pseudo_labels", "review_corrections"],
    group_name="train",
    kinds={"parquet"},
    code_version=versions.code_version("split"),
    description="Train/val/test manifest of the accepted labels: grouped by product, stratified by class.",
)
def dataset_splits(context: dg.AssetExecutionContext, settings: SettingsResource) -> dg.MaterializeResult:
    resolved = settings.load()
    report = run_split(resolved)
    context.log.info(report.summary())
    table = pd.DataFrame(report.counts).fillna(0).astype(int)
    table.loc["products"] = pd.Series(report.products)
    return dg.MaterializeResult(metadata={
        **{f"{split}_images": int(sum(c.values())) for split, c in report.counts.items()},
        "counts_per_class": dg.MetadataValue.md(table.to_markdown()),
        "manifest": dg.MetadataValue.path(report.manifest_path),
        "corrected_images": report.corrected,              # labels people decided, in the manifest
        "corrections_counted": report.decisions,           # the corrections sensor counts new ones from here
        **versions.stage_metadata(resolved, "split"),
    }, data_version=dg.DataVersion(versions.data_version(report.manifest_path)))


class TrainRunConfig(dg.Config):
    sweep: bool = False                      # optimizer x learning-rate grid as nested MLflow runs; keeps the best
    epochs_frozen: Optional[int] = None      # unset: train.epochs_frozen
    epochs_finetune: Optional[int] = None    # unset: train.epochs_finetune
    force: bool = False                      # train even when code, params and the splits are unchanged


@dg.asset(
    deps=["dataset_splits"],
    group_name="train",
    kinds={"tensorflow", "mlflow"},
    code_version=versions.code_version("train"),
    description="The MobileNetV2 U-Net student, tracked in MLflow and registered as a new model version.",
)
def student_model(context: dg.AssetExecutionContext, config: TrainRunConfig,
                  settings: SettingsResource) -> dg.MaterializeResult:
    resolved = settings.load(section("train", epochs_frozen=config.epochs_frozen,
                                     epochs_finetune=config.epochs_finetune))
    model_path = resolved.student_path
    # Training is the expensive step: with the same code, params and splits, keep the model we have.
    reused = versions.reuse_previous(context, resolved, "train", versions.data_version(model_path),
                                     force=config.force or config.sweep)
    if reused is not None:
        return reused
    # Imported here: TensorFlow takes seconds to import, and every step process of a run (the crawl's,
    # each check's) and the code server load this module.
    from training.train import run_train

    report = run_train(resolved, sweep=config.sweep, dagster_run_id=context.run_id)
    context.log.info(report.summary())
    return dg.MaterializeResult(metadata={
        "mlflow_run_id": report.run_id,
        "mlflow_run": mlflow_run_url(resolved, report.experiment_id, report.run_id),
        "mlflow_tracking_uri": resolved.mlflow_tracking_uri,
        "registered_model": f"models:/{report.model_name}/{report.model_version}",
        "best_val_mean_iou": report.best_val_mean_iou,
        "classes": dg.MetadataValue.json(report.classes),   # the head's outputs 1..N (data/models/classes.json)
        "params": report.params,
        "encoder_weights_used": report.encoder_weights_used,
        "encoder_weights_requested": report.encoder_weights_requested,
        "final_epoch": dg.MetadataValue.json(report.final),
        **{name: picture(resolved, resolved.models_dir / f"{name}.png", title, report.run_id, f"plots/{name}.png")
           for name, title in (("learning_curves", "learning curves"), ("val_predictions", "val predictions"))},
        "model": dg.MetadataValue.path(report.model_path),
        **versions.stage_metadata(resolved, "train"),
    }, data_version=dg.DataVersion(versions.data_version(model_path)))
