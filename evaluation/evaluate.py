"""``run_evaluate``: the student, the teacher and two baselines on the same test images, one table.

Every model is scored against the pseudo-labels of the test split and, on the demo shop, against
the true masks of every photo of the test products (studio and lifestyle shots apart); sizes and
latencies (batch 1, after warm-up, one thread) are measured in the same run.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from pathlib import Path

import keras
import mlflow
import tensorflow as tf
from mlflow.entities import Metric

from corrections.agreement import teacher_people_agreement
from evaluation import report as report_files
from evaluation.baselines import AverageMask, train_tiny_cnn
from evaluation.candidates import (Candidate, array_candidate, keras_candidate, limit_threads,
                                   teacher_candidate)
from evaluation.data import EvalSet, label_set, truth_set
from evaluation.scores import Predictions, score
from labelling.choose import make_labeller
from prodseg.fileio import all_or_nothing
from prodseg.locks import writes_data
from prodseg.settings import Settings
from training.tracking import init_mlflow, start_run
from training.trained import load_trained, trained_classes

log = logging.getLogger(__name__)
SHOTS = ("studio", "lifestyle")


@dataclass
class EvalReport:
    model_name: str
    model_version: str
    run_id: str
    image_size: int
    test_images: int
    truth_images: int
    threads_limited: bool
    models: list[dict]                     # one row per model: size, latency, scores per reference
    student: dict                          # the headline numbers
    report_dir: str
    per_image_iou: dict[str, list[float]] = field(default_factory=dict)
    teacher_vs_people: dict | None = None   # mask IoU per class of the teacher against people's decisions
    evaluation_run_id: str | None = None    # the MLflow run holding the report (a child of the training run)
    experiment_id: str | None = None

    def summary(self) -> str:
        s = self.student
        truth = f", vs truth {s['truth_mean_iou']:.3f}" if s.get("truth_mean_iou") is not None else ""
        return (f"evaluation of {self.model_name} v{self.model_version} on {self.test_images} test images: "
                f"mean IoU vs labels {s['test_mean_iou']:.3f}{truth}, box mAP@0.5 {s['box_map50']}, "
                f"{s['latency_ms']:.2f} ms/image -> {self.report_dir}/report.html")


def _scores(candidate: Candidate, data: EvalSet | None) -> tuple[dict | None, Predictions | None]:
    if data is None or len(data) == 0:
        return None, None
    preds = candidate.predict(data.images)
    scores = score(preds, data.refs, data.classes)
    subsets = {}
    if "shot" in data.rows:
        subsets = {shot: data.rows["shot"].to_numpy() == shot for shot in SHOTS}
    if "accepted" in data.rows:   # truth rows: the photos that made the test split (accepted labels)
        subsets["test_split"] = data.rows["accepted"].to_numpy(bool)
    scores["subsets"] = {name: _strip(score(preds, data.refs, data.classes, keep))
                         for name, keep in subsets.items() if keep.any()}
    return scores, preds


def build_candidates(settings: Settings, student: keras.Model, labels: EvalSet, truth: EvalSet | None) -> list[Candidate]:
    cfg, size, classes = settings.config.evaluate, labels.images.shape[1], labels.classes
    sample = labels.images[0]
    train = label_set(settings, "train", size, classes)
    average = AverageMask(train.refs, len(classes))
    train_ds = (tf.data.Dataset.from_tensor_slices((train.images, train.refs))
                .shuffle(len(train), seed=settings.config.train.seed).batch(8))
    tiny = train_tiny_cnn(train_ds, size, cfg.baseline_epochs, settings.config.train.seed, len(classes))
    candidates = [
        keras_candidate("student", "student", student, weight_bytes(student), cfg, sample,
                        note="blobs, class vote per blob (what the server answers)"),
        keras_candidate("student, raw argmax", "student", student, weight_bytes(student), cfg, sample, raw=True,
                        note="per-pixel argmax, no post-processing"),
        array_candidate("average mask", average.probs, average.size_bytes, cfg, sample,
                        note=f"mean training mask > 0.5, tagged {classes.name(average.class_id)}"),
        keras_candidate("tiny 3-layer CNN", "baseline", tiny, weight_bytes(tiny), cfg, sample,
                        note=f"trained {cfg.baseline_epochs} epochs"),
    ]
    if truth is not None and len(truth):
        labeller = make_labeller(settings.config.label, settings.teachers_dir)
        candidates.append(teacher_candidate(labeller, truth.rows, settings.raw_dir, settings.labels_dir, size,
                                            classes))
    return candidates


def weight_bytes(model: keras.Model) -> int:
    """The model's weights as stored for inference (the .keras file also holds the optimizer's state)."""
    return int(sum(w.numpy().nbytes for w in model.weights))


def _strip(scores: dict | None) -> dict | None:
    return None if scores is None else {k: v for k, v in scores.items() if k != "per_image_iou"}


def _subset(row: dict, name: str) -> float | None:
    return (row["truth"] or {}).get("subsets", {}).get(name, {}).get("mean_iou")


@writes_data("evaluate")
def run_evaluate(settings: Settings, dagster_run_id: str | None = None) -> EvalReport:
    """Score the trained student and its baselines on the test split; write and log the report.
    ``dagster_run_id`` (the asset's run) tags the MLflow run."""
    limited = limit_threads(1)
    train_report, student = load_trained(settings)
    classes = trained_classes(settings, student)    # scored by the model's classes, not the labels' or a constant
    size = int(student.input_shape[1])
    labels = label_set(settings, "test", size, classes)
    if len(labels) == 0:
        raise ValueError("the test split is empty: crawl more products or change split fractions")
    truth = truth_set(settings, "test", size, classes)

    rows, student_preds, per_image = [], None, {}
    for candidate in build_candidates(settings, student, labels, truth):
        log.info("evaluating %s", candidate.name)
        on_labels, preds = _scores(candidate, labels) if candidate.kind != "teacher" else (None, None)
        on_truth, _ = _scores(candidate, truth)
        timing = candidate.latency(settings.config.evaluate.latency_runs if candidate.kind != "teacher" else 5,
                                   warmup=10 if candidate.kind != "teacher" else 1)
        if candidate.name == "student":
            student_preds = preds
            per_image = {"vs labels": on_labels["per_image_iou"]}
            if on_truth:
                per_image["vs truth"] = on_truth["per_image_iou"]
        rows.append({"name": candidate.name, "kind": candidate.kind, "note": candidate.note,
                     "size_mb": None if candidate.size_bytes is None else round(candidate.size_bytes / 1e6, 3),
                     "latency_ms": timing, "labels": _strip(on_labels), "truth": _strip(on_truth)})

    head = rows[0]
    teacher = next((r for r in rows if r["kind"] == "teacher"), None)
    student_summary = {
        "test_mean_iou": head["labels"]["mean_iou"],
        "test_foreground_iou": head["labels"]["foreground_iou"],
        "box_map50": head["labels"]["box_map50"],
        "truth_mean_iou": _subset(head, "test_split"),          # the test split's photos vs their true masks
        "truth_all_photos_mean_iou": head["truth"]["mean_iou"] if head["truth"] else None,
        "truth_studio_mean_iou": _subset(head, "studio"),
        "truth_lifestyle_mean_iou": _subset(head, "lifestyle"),
        "size_mb": head["size_mb"],
        "latency_ms": head["latency_ms"]["median"],
        "teacher_student_speed_ratio": (round(teacher["latency_ms"]["median"] / head["latency_ms"]["median"], 1)
                                        if teacher else None),
    }
    report = EvalReport(
        model_name=train_report["model_name"], model_version=train_report["model_version"],
        run_id=train_report["run_id"], image_size=size, test_images=len(labels),
        truth_images=0 if truth is None else len(truth), threads_limited=limited, models=rows,
        student=student_summary, report_dir=str(settings.evaluation_dir), per_image_iou=per_image,
        teacher_vs_people=teacher_people_agreement(settings))
    report.experiment_id = init_mlflow(settings)
    # Its own run, so it is named, tagged and linked as what it is; shown under the training run it scores.
    with start_run(settings, "evaluate", dagster_run_id, tags={"mlflow.parentRunId": report.run_id,
                                                               "model.version": report.model_version}) as run:
        report.evaluation_run_id = run.info.run_id
        with all_or_nothing():  # the report's files describe one evaluation: swapped in together
            files = report_files.write(settings, report, labels, student_preds,
                                       settings.config.evaluate.gallery_size)
        _log_to_mlflow(report, files)
    log.info(report.summary())
    return report


def _log_to_mlflow(report: EvalReport, files: list[Path]) -> None:
    """Test metrics and report files go to the active evaluation run; the metrics to the training run too,
    so runs and model versions compare by test IoU."""
    metrics = {f"eval.{k}": v for k, v in report.student.items() if isinstance(v, (int, float))}
    mlflow.log_metrics(metrics)
    for path in files:
        mlflow.log_artifact(str(path), "evaluation")
    mlflow.MlflowClient().log_batch(report.run_id, metrics=[
        Metric(k, v, int(time.time() * 1000), 0) for k, v in metrics.items()])
