"""``run_promote``: the evaluated version becomes ``challenger``, and ``champion`` if it wins.

It wins when there is no champion yet, or when its test mean IoU beats the champion's, scored
again now on the same test split, by ``promote.margin``. The version is tagged with its test
IoU, sizes, latency, class list and data revision either way.

Class lists (issue 23): a version that cannot name every class of the served catalog (the labels' list, else
the crawl's) is never made champion. When the champion's list differs from the challenger's, the two are
compared only on what both can answer: the mean of the foreground IoU and the IoU of each class both name
(the challenger's figures from the evaluation's report.json, the champion's scored now the same way).
"""

from __future__ import annotations

import json
import logging

import mlflow
import numpy as np
from mlflow import MlflowClient

from evaluation.interface import from_probs, keras_probs, label_set, served_mean_iou
from labelling.instances import mask_iou
from prodseg.classes import ClassList
from prodseg.settings import Settings
from release.model_classes import CLASSES_TAG, classes_tag, legacy_classes, version_classes
from release.registry import Comparison, Promotion, promote
from training.metrics import confusion, iou_per_class
from training.tracking import data_revision, init_mlflow

log = logging.getLogger(__name__)


def test_mean_iou(settings: Settings, model) -> float:
    """A Keras student's test mean IoU against the pseudo-labels, post-processed as the server does."""
    test = label_set(settings, "test", int(model.input_shape[1]))
    return served_mean_iou(keras_probs(model, test.images), test.refs, settings.config.evaluate)


def catalog_classes(settings: Settings) -> ClassList | None:
    """The served catalog's class list: the labels' list, else the crawl's; None for data from before either."""
    for path in (settings.label_classes_path, settings.catalog_classes_path):
        if path.exists():
            return ClassList.load(path)
    return None


def cannot_name(version: str, classes: ClassList | None, catalog: ClassList | None) -> str | None:
    """Why ``version`` may not serve the catalog (classes it cannot name), or None when it can."""
    if catalog is None:
        return None
    missing = [name for name in catalog.products if classes is None or name not in classes]
    if not missing:
        return None
    why = " (it carries no class list)" if classes is None else ""
    return f"refused: v{version} cannot name the catalog's classes {', '.join(missing)}{why}"


def shared_scores(class_maps: np.ndarray, model: ClassList, refs: np.ndarray, labels: ClassList) -> dict:
    """Foreground IoU and per-class IoU (the classes both lists name) of a model's class maps against label refs
    drawn with another list: its classes are renamed into the labels' ids; one the labels lack stays foreground."""
    foreign = len(labels)
    to_labels = np.array([0] + [labels.id(n) if n in labels else foreign for n in model.products])
    maps = to_labels[class_maps]
    per_class = iou_per_class(confusion(refs, maps, foreign + 1))
    return {"foreground_iou": float(np.mean([mask_iou(t > 0, p > 0) for t, p in zip(refs, maps)])),
            "per_class_iou": {n: float(per_class[labels.id(n)]) for n in labels.products
                              if n in model and not np.isnan(per_class[labels.id(n)])}}


def shared_comparison(ours: dict, theirs: dict) -> Comparison:
    """Both on the mean of foreground IoU and the IoU of each class both name (and both were scored on)."""
    shared = sorted(set(ours["per_class_iou"]) & set(theirs["per_class_iou"]))

    def mean(scores: dict) -> float:
        return round(float(np.mean([scores["foreground_iou"], *(scores["per_class_iou"][c] for c in shared)])), 4)

    basis = (f"foreground IoU and the shared classes' IoU ({', '.join(shared)})" if shared
             else "foreground IoU (no class in common)")
    return Comparison(mean(ours), mean(theirs), f"{basis}, as the class lists differ")


def version_tags(evaluation: dict, export: dict | None, revision: str | None,
                 classes: ClassList | None = None) -> dict[str, object]:
    student = evaluation["student"]
    tags = {"test_mean_iou": student["test_mean_iou"], "test_box_map50": student["box_map50"],
            "size_mb.keras": student["size_mb"], "latency_ms.keras": student["latency_ms"],
            "data_revision": revision or "none"}
    if classes is not None:
        tags[CLASSES_TAG] = classes_tag(classes)
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
    evaluation = json.loads(settings.evaluation_report_path.read_text())
    export_path = settings.export_report_path
    export = json.loads(export_path.read_text()) if export_path.exists() else None
    name, version = evaluation["model_name"], evaluation["model_version"]
    if export is not None and export["model_version"] != version:
        raise ValueError(f"the TFLite export is of v{export['model_version']}, the evaluation of v{version}: "
                         "run `prodseg export` again")
    init_mlflow(settings)
    client = MlflowClient()

    path = settings.model_classes_path
    ours = ClassList.load(path) if path.exists() else None
    labels = ClassList.load(settings.label_classes_path) if settings.label_classes_path.exists() else ours

    def champion_score(champion: str) -> float | Comparison:
        log.info("scoring the champion v%s on the same test split", champion)
        model = mlflow.tensorflow.load_model(f"models:/{name}/{champion}")
        theirs = version_classes(client, client.get_model_version(name, champion))
        if theirs == ours:
            return test_mean_iou(settings, model)
        if ours is None:
            return Comparison(evaluation["student"]["test_mean_iou"], None, refused=(
                f"refused: v{version} carries no class list, the champion v{champion} does"))
        theirs = theirs or legacy_classes(int(model.output_shape[-1]))
        test = label_set(settings, "test", int(model.input_shape[1]))
        maps = from_probs(keras_probs(model, test.images), settings.config.evaluate).class_maps
        student = {"foreground_iou": evaluation["student"]["test_foreground_iou"],
                   "per_class_iou": evaluation["models"][0]["labels"]["per_class_iou"]}
        return shared_comparison(student, shared_scores(maps, theirs, test.refs, labels))

    result = promote(client, name, version, evaluation["student"]["test_mean_iou"], settings.config.promote.margin,
                     champion_score, tags=version_tags(evaluation, export, data_revision(settings), ours),
                     refused=cannot_name(version, ours, catalog_classes(settings)))
    client.update_model_version(name, version, description=version_description(
        client.get_model_version(name, version).description, evaluation["student"]))
    log.info("v%s %s: %s (compared on %s)", version, "is champion" if result.promoted else "stays challenger",
             result.reason, result.comparison)
    return result
