"""``run_export``: the student as TFLite fp32, fp16 and int8, each sized, timed and scored on the test split.

A variant that loses more test mean IoU than ``export.iou_tolerance`` against the Keras model is
marked unfit (the server skips it). The files go to ``data/tflite`` and to the model version's
MLflow run, under ``tflite/``, with the figures as version tags. Each file's class list goes beside it
(``student-<variant>.classes.json``, from ``data/models/classes.json``) and into ``export_report.json``.
"""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass

import mlflow
import numpy as np
from mlflow import MlflowClient

from evaluation.interface import keras_probs, label_set, latency_ms, limit_threads, served_mean_iou
from prodseg.classes import ClassList
from prodseg.fileio import atomic_write_bytes, atomic_write_json
from prodseg.instances import softmax
from prodseg.locks import writes_data
from prodseg.settings import Settings
from release.model_classes import CLASSES_TAG, classes_tag
from release.tflite import ARTIFACT_DIR, TfliteSegmenter, classes_name, convert, tflite_name
from training.tracking import init_mlflow
from training.trained import load_trained

log = logging.getLogger(__name__)


@dataclass
class ExportReport:
    model_name: str
    model_version: str
    run_id: str
    keras_mean_iou: float
    tolerance: float
    variants: dict[str, dict]      # variant -> file, classes_file, size_mb, latency_ms, mean_iou, iou_drop, agreement, fit
    classes: list[str] | None = None   # the model's class list, background first; None: a model without one

    def summary(self) -> str:
        parts = [f"{v} {d['size_mb']:.2f} MB {d['latency_ms']['median']:.2f} ms IoU {d['mean_iou']:.3f}"
                 f"{'' if d['fit'] else ' UNFIT'}" for v, d in self.variants.items()]
        named = ", ".join(self.classes[1:]) if self.classes else "none (class-1..N)"
        return f"TFLite export of {self.model_name} v{self.model_version} (classes: {named}): " + "; ".join(parts)

    @property
    def fit_variants(self) -> list[str]:
        return [v for v, d in self.variants.items() if d["fit"]]


@writes_data("export")
def run_export(settings: Settings) -> ExportReport:
    limit_threads(1)
    cfg, eval_cfg = settings.config.export, settings.config.evaluate
    train_report, model = load_trained(settings)
    classes = trained_classes(settings, int(model.output_shape[-1]))
    size = int(model.input_shape[1])
    test = label_set(settings, "test", size)
    calibration = label_set(settings, "train", size).images[: cfg.representative_images]
    if len(test) == 0 or len(calibration) == 0:
        raise ValueError("export needs train images (int8 calibration) and test images (scoring)")

    reference = keras_probs(model, test.images)
    keras_iou = served_mean_iou(reference, test.refs, eval_cfg)

    def representative():
        for image in calibration:
            yield [image[None]]

    variants = {}
    for variant in cfg.variants:
        log.info("exporting %s", variant)
        path = atomic_write_bytes(settings.tflite_dir / tflite_name(variant), convert(model, variant, representative))
        classes_file = classes.save(settings.tflite_dir / classes_name(variant)) if classes else None
        segmenter = TfliteSegmenter(path, threads=1)
        probs = softmax(np.stack([segmenter.logits(image) for image in test.images]))
        iou = served_mean_iou(probs, test.refs, eval_cfg)
        one = test.images[0]
        variants[variant] = {
            "file": str(path), "classes_file": classes_file and str(classes_file), "size_mb": round(path.stat().st_size / 1e6, 3),
            "latency_ms": latency_ms(lambda: segmenter.logits(one), runs=eval_cfg.latency_runs),
            "mean_iou": iou, "iou_drop": round(keras_iou - iou, 4),
            "agreement": round(float((probs.argmax(-1) == reference.argmax(-1)).mean()), 4),
            "fit": keras_iou - iou <= cfg.iou_tolerance,
        }
    report = ExportReport(train_report["model_name"], train_report["model_version"], train_report["run_id"],
                          keras_iou, cfg.iou_tolerance, variants, list(classes.names) if classes else None)
    atomic_write_json(settings.export_report_path, asdict(report))
    _log_to_mlflow(settings, report)
    log.info(report.summary())
    return report


def trained_classes(settings: Settings, outputs: int) -> ClassList | None:
    """The trained model's class list; None (with a warning) for a model trained before models carried one."""
    path = settings.model_classes_path
    if not path.exists():
        log.warning("no class list at %s: exporting without one (served as class-1..%d); train again to name them",
                    path, outputs - 1)
        return None
    classes = ClassList.load(path)
    if len(classes) != outputs:
        raise ValueError(f"{path} lists {len(classes)} classes (background included), the model has {outputs} "
                         "outputs: the class list is not this model's; train again")
    return classes


def _log_to_mlflow(settings: Settings, report: ExportReport) -> None:
    init_mlflow(settings)
    client = MlflowClient()
    if report.classes:
        client.set_model_version_tag(report.model_name, report.model_version, CLASSES_TAG,
                                     classes_tag(ClassList.from_json(report.classes)))
    with mlflow.start_run(run_id=report.run_id):
        for variant, d in report.variants.items():
            mlflow.log_artifact(d["file"], ARTIFACT_DIR)
            if d["classes_file"]:
                mlflow.log_artifact(d["classes_file"], ARTIFACT_DIR)
            mlflow.log_metrics({f"tflite_{variant}_mean_iou": d["mean_iou"], f"tflite_{variant}_size_mb": d["size_mb"],
                                f"tflite_{variant}_latency_ms": d["latency_ms"]["median"]})
            for key, value in ((f"tflite.{variant}.fit", str(d["fit"]).lower()), (f"size_mb.{variant}", d["size_mb"]),
                               (f"latency_ms.{variant}", d["latency_ms"]["median"])):
                client.set_model_version_tag(report.model_name, report.model_version, key, str(value))
        mlflow.log_artifact(str(settings.export_report_path), ARTIFACT_DIR)
