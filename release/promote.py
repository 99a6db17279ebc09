"""``run_promote``: the evaluated version becomes ``challenger``, and ``champion`` if it wins.

It wins when there is no champion yet, or when its test mean IoU beats the champion's, scored
again now on the same test split, by ``promote.margin``. The version is tagged with its test
IoU, sizes, latency and data revision either way.
"""

from __future__ import annotations

import json
import logging

import mlflow
from mlflow import MlflowClient

from evaluation.candidates import keras_probs, served_mean_iou
from evaluation.data import label_set
from prodseg.settings import Settings
from release.registry import Promotion, promote
from training.tracking import data_revision, init_mlflow

log = logging.getLogger(__name__)


def test_mean_iou(settings: Settings, model) -> float:
    """A Keras student's test mean IoU against the pseudo-labels, post-processed as the server does."""
    test = label_set(settings, "test", int(model.input_shape[1]))
    return served_mean_iou(keras_probs(model, test.images), test.refs, settings.config.evaluate)


def version_tags(evaluation: dict, export: dict | None, revision: str | None) -> dict[str, object]:
    student = evaluation["student"]
    tags = {"test_mean_iou": student["test_mean_iou"], "test_box_map50": student["box_map50"],
            "size_mb.keras": student["size_mb"], "latency_ms.keras": student["latency_ms"],
            "data_revision": revision or "none"}
    if student.get("truth_mean_iou") is not None:
        tags["truth_mean_iou"] = student["truth_mean_iou"]
    for variant, d in (export or {}).get("variants", {}).items():
        tags[f"size_mb.{variant}"] = d["size_mb"]
    return tags


def version_description(trained: str | None, student: dict) -> str:
    """The training description with its "Test IoU" sentence replaced by the evaluation's figures."""
    head = (trained or "").split(" Test IoU:")[0]
    truth = f", {student['truth_mean_iou']:.3f} vs true masks" if student.get("truth_mean_iou") is not None else ""
    return (f"{head} Test IoU: {student['test_mean_iou']:.3f} vs pseudo-labels{truth}; box mAP@0.5 "
            f"{student['box_map50']}.").strip()


def run_promote(settings: Settings) -> Promotion:
    evaluation = json.loads((settings.evaluation_dir / "report.json").read_text())
    export_path = settings.tflite_dir / "export_report.json"
    export = json.loads(export_path.read_text()) if export_path.exists() else None
    name, version = evaluation["model_name"], evaluation["model_version"]
    if export is not None and export["model_version"] != version:
        raise ValueError(f"the TFLite export is of v{export['model_version']}, the evaluation of v{version}: "
                         "run `prodseg export` again")
    init_mlflow(settings)
    client = MlflowClient()

    def champion_score(champion: str) -> float:
        log.info("scoring the champion v%s on the same test split", champion)
        return test_mean_iou(settings, mlflow.tensorflow.load_model(f"models:/{name}/{champion}"))

    result = promote(client, name, version, evaluation["student"]["test_mean_iou"], settings.config.promote.margin,
                     champion_score, tags=version_tags(evaluation, export, data_revision(settings)))
    client.update_model_version(name, version, description=version_description(
        client.get_model_version(name, version).description, evaluation["student"]))
    log.info("v%s %s: %s", version, "is champion" if result.promoted else "stays challenger", result.reason)
    return result
