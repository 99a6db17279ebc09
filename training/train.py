"""``run_train``: fit the student in two phases, track it in MLflow, register it.

Phase 1 trains the decoder on a frozen pretrained encoder; phase 2 fine-tunes
everything at a lower learning rate. Without pretrained weights (offline)
freezing random features teaches nothing, so phase 1 trains the encoder too.
"""

from __future__ import annotations

import itertools
import json
import logging
import math
import random
from dataclasses import asdict, dataclass
from pathlib import Path

import keras
import mlflow
import numpy as np
import pandas as pd
from mlflow.models import infer_signature

from prodseg.classes import ClassList
from prodseg.fileio import atomic_write_bytes, atomic_write_json
from prodseg.locks import writes_data
from prodseg.settings import Settings, TrainConfig
from training.dataset import make_dataset
from training.encoder_weights import npm_encoder_or_none
from training.metrics import MeanIoUPresent, SegmentationLoss
from training.model import ENCODER_NAME, EncoderStart, build_student
from training.plots import learning_curves, prediction_grid
from training.tracking import (data_revision, describe_model, file_sha256, init_mlflow, label_teacher, log_classes,
                               start_run)

log = logging.getLogger(__name__)
PIP_REQUIREMENTS = ["tensorflow-cpu==2.21.0", "keras==3.15.1"]


def set_seeds(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed)
    keras.utils.set_random_seed(seed)  # Python, NumPy and TF at once


def make_optimizer(name: str, learning_rate: float) -> keras.optimizers.Optimizer:
    if name == "adam":
        return keras.optimizers.Adam(learning_rate)
    if name == "sgd":
        return keras.optimizers.SGD(learning_rate, momentum=0.9, nesterov=True)
    if name == "rmsprop":
        return keras.optimizers.RMSprop(learning_rate)
    raise ValueError(f"unknown optimizer {name!r}")


def compile_student(model: keras.Model, optimizer: str, learning_rate: float, dice_weight: float) -> None:
    # jit_compile off: XLA compilation costs more than it saves on a CPU for a few hundred images.
    model.compile(optimizer=make_optimizer(optimizer, learning_rate), loss=SegmentationLoss(dice_weight),
                  metrics=[keras.metrics.SparseCategoricalAccuracy(name="pixel_accuracy"),
                           MeanIoUPresent(model.output_shape[-1])],
                  jit_compile=False)


class MlflowEpochLogger(keras.callbacks.Callback):
    """Logs every epoch's metrics (train and val) to the active MLflow run, if there is one."""

    def on_epoch_end(self, epoch, logs=None):
        if mlflow.active_run() is None:  # fit_student outside run_train: log nowhere rather than to ./mlruns
            return
        mlflow.log_metrics({k: float(v) for k, v in (logs or {}).items()}, step=epoch + 1)


@dataclass
class FitResult:
    model: keras.Model
    history: dict[str, list[float]]
    phase_boundary: int
    encoder: EncoderStart           # what the encoder started from (truthy when pretrained)

    @property
    def best_val_iou(self) -> float:
        return max(self.history.get("val_mean_iou", [0.0]))


def fit_student(cfg: TrainConfig, train_ds, val_ds, optimizer: str, learning_rate: float,
                finetune_learning_rate: float, verbose: int = 2, encoders_dir: Path | None = None, *,
                num_classes: int) -> FitResult:
    """Two-phase fit of a student with ``num_classes`` outputs; the returned model holds the best weights by val
    mean IoU. ``encoders_dir`` keeps the npm encoder weights (``train.encoder_weights: npm``, and imagenet's
    offline fallback)."""

    def npm_weights() -> str:  # fetching builds a Keras model: re-seed so a first run trains like later ones
        if encoders_dir is None:
            raise ValueError("train.encoder_weights npm needs a folder to keep the weights in (encoders_dir)")
        path = npm_encoder_or_none(encoders_dir, cfg.width)
        set_seeds(cfg.seed)
        return path

    set_seeds(cfg.seed)
    weights = npm_weights() if cfg.encoder_weights == "npm" else cfg.encoder_weights
    model, encoder_start = build_student(cfg.image_size, cfg.width, tuple(cfg.decoder_filters), weights,
                                         cfg.bn_momentum, offline_weights=npm_weights if encoders_dir else None,
                                         num_classes=num_classes)
    history: dict[str, list[float]] = {}

    def run_phase(epochs: int, lr: float, start: int, anneal: bool = False) -> None:
        compile_student(model, optimizer, lr, cfg.dice_weight)
        if anneal:  # cosine to 0: the last epochs settle instead of bouncing around on a noisy val set
            schedule = keras.callbacks.LearningRateScheduler(
                lambda epoch: lr * 0.5 * (1.0 + math.cos(math.pi * (epoch - start) / epochs)))
        else:
            schedule = keras.callbacks.ReduceLROnPlateau("val_loss", factor=0.5, patience=max(1, cfg.patience // 2))
        callbacks = [
            # Random-init encoders need a while before val IoU moves at all: no stopping in phase 1.
            keras.callbacks.EarlyStopping("val_mean_iou", mode="max", patience=cfg.patience,
                                          restore_best_weights=True, start_from_epoch=cfg.epochs_frozen),
            schedule,
            MlflowEpochLogger(),
        ]
        fit = model.fit(train_ds, validation_data=val_ds, initial_epoch=start, epochs=start + epochs,
                        callbacks=callbacks, verbose=verbose)
        for key, values in fit.history.items():
            if key != "learning_rate":
                history.setdefault(key, []).extend(float(v) for v in values)

    encoder = model.get_layer(ENCODER_NAME)
    encoder.trainable = not encoder_start
    if not encoder_start:
        log.warning("no pretrained encoder weights: phase 1 trains the encoder too (frozen random features teach nothing)")
    run_phase(cfg.epochs_frozen, learning_rate, 0)
    boundary = len(history.get("loss", []))
    encoder.trainable = True
    run_phase(cfg.epochs_finetune, finetune_learning_rate, boundary, anneal=cfg.lr_schedule == "cosine")
    return FitResult(model, history, boundary, encoder_start)


@dataclass
class TrainReport:
    run_id: str
    model_name: str
    model_version: str
    model_path: str
    params: int
    best_val_mean_iou: float
    final: dict[str, float]           # last epoch's metrics
    pretrained_encoder: bool
    encoder_weights_used: str         # imagenet | npm | none | path: what the encoder started from
    encoder_weights_requested: str    # train.encoder_weights (imagenet falls back to npm, then none, offline)
    sweep: list[dict] | None = None   # one entry per grid point when --sweep ran
    experiment_id: str | None = None  # the MLflow experiment of run_id
    classes: list[str] | None = None  # the product classes of the head's outputs 1..N (data/models/classes.json)

    def summary(self) -> str:
        return (f"student: val mean IoU {self.best_val_mean_iou:.3f}, {self.params / 1e6:.2f} M params, encoder "
                f"weights {self.encoder_weights_used} (asked: {self.encoder_weights_requested}) -> "
                f"{self.model_path}; MLflow run {self.run_id}, registered {self.model_name} v{self.model_version}")


def _flat_params(cfg: TrainConfig, settings: Settings) -> dict:
    # The requested encoder weights get a name that says so: what was used is logged beside it after the fit.
    params = {f"train.{k}": v for k, v in cfg.model_dump(exclude={"sweep", "encoder_weights"}).items()}
    params["encoder.weights_requested"] = cfg.encoder_weights
    params.update({f"split.{k}": v for k, v in settings.config.split.model_dump().items()})
    return params


def _sample_predictions(model: keras.Model, rows: pd.DataFrame, settings: Settings, classes: ClassList,
                        n: int = 6) -> bytes:
    ds = make_dataset(rows.head(n), settings.raw_dir, settings.labels_dir, settings.config.train.image_size,
                      n, training=False, seed=0)
    images, masks = next(iter(ds))
    predictions = np.argmax(model.predict(images, verbose=0), axis=-1)
    return prediction_grid(images.numpy(), masks.numpy(), predictions, classes.names)


@writes_data("train")
def run_train(settings: Settings, sweep: bool = False, dagster_run_id: str | None = None) -> TrainReport:
    """Train (or sweep), log everything to MLflow, register the model, save ``data/models/student.keras``.
    ``dagster_run_id`` (the asset's run) tags the MLflow run."""
    cfg = settings.config.train
    classes = ClassList.load(settings.label_classes_path)
    manifest_path = settings.splits_path
    manifest = pd.read_parquet(manifest_path)
    train_rows, val_rows = manifest[manifest["split"] == "train"], manifest[manifest["split"] == "val"]
    if train_rows.empty or val_rows.empty:
        raise ValueError(f"need labelled images in both train and val splits, got {len(train_rows)} and "
                         f"{len(val_rows)} (crawl more products or lower label.min_score)")
    train_ds = make_dataset(train_rows, settings.raw_dir, settings.labels_dir, cfg.image_size, cfg.batch_size,
                            training=cfg.augment, seed=cfg.seed, copy_paste_p=cfg.copy_paste)
    val_ds = make_dataset(val_rows, settings.raw_dir, settings.labels_dir, cfg.image_size, cfg.batch_size,
                          training=False, seed=cfg.seed)

    init_mlflow(settings)
    models_dir = settings.models_dir
    with start_run(settings, "train sweep" if sweep else "train", dagster_run_id) as run:
        mlflow.log_params(_flat_params(cfg, settings))
        mlflow.log_params({"data.manifest_sha256": file_sha256(manifest_path)[:16], "data.train_images": len(train_rows),
                           "data.val_images": len(val_rows), "data.revision": data_revision(settings) or "none"})
        mlflow.set_tag("mlflow.note.content", f"prodseg student: MobileNetV2 encoder + U-Net decoder, "
                                              f"classes {', '.join(classes.products)}")
        log_classes(classes)
        grid = None
        if sweep:
            grid, best = [], None
            for optimizer, lr in itertools.product(cfg.sweep.optimizers, cfg.sweep.learning_rates):
                with mlflow.start_run(run_name=f"{optimizer}-lr{lr}", nested=True):
                    mlflow.log_params({"optimizer": optimizer, "learning_rate": lr, "finetune_learning_rate": lr / 4})
                    result = fit_student(cfg, train_ds, val_ds, optimizer, lr, lr / 4,
                                         encoders_dir=settings.encoders_dir, num_classes=len(classes))
                    mlflow.log_metric("best_val_mean_iou", result.best_val_iou)
                grid.append({"optimizer": optimizer, "learning_rate": lr, "best_val_mean_iou": result.best_val_iou})
                log.info("sweep %s lr=%g: val mean IoU %.3f", optimizer, lr, result.best_val_iou)
                if best is None or result.best_val_iou > best.best_val_iou:
                    best, best_params = result, (optimizer, lr)
            result = best
            mlflow.log_params({"best.optimizer": best_params[0], "best.learning_rate": best_params[1]})
        else:
            result = fit_student(cfg, train_ds, val_ds, cfg.optimizer, cfg.learning_rate, cfg.finetune_learning_rate,
                                 encoders_dir=settings.encoders_dir, num_classes=len(classes))

        model = result.model
        mlflow.log_params({"encoder.weights_used": result.encoder.used,
                           "encoder.weights_source": result.encoder.source or result.encoder.used})
        mlflow.log_metric("best_val_mean_iou", result.best_val_iou)
        curves = learning_curves(result.history, result.phase_boundary if cfg.epochs_frozen else None)
        samples = _sample_predictions(model, val_rows, settings, classes)
        atomic_write_bytes(models_dir / "learning_curves.png", curves)
        atomic_write_bytes(models_dir / "val_predictions.png", samples)
        mlflow.log_artifact(str(models_dir / "learning_curves.png"), "plots")
        mlflow.log_artifact(str(models_dir / "val_predictions.png"), "plots")

        model_path = settings.student_path
        tmp = model_path.with_suffix(".tmp.keras")
        model.save(tmp)
        classes.save(settings.model_classes_path)   # once the model is on disk: the two renames follow each other
        tmp.replace(model_path)
        example = np.zeros((1, cfg.image_size, cfg.image_size, 3), np.float32)
        signature = infer_signature(example, model.predict(example, verbose=0))
        info = mlflow.tensorflow.log_model(
            model, name="model", signature=signature, input_example=example,
            registered_model_name=settings.config.mlflow.registered_model,
            pip_requirements=PIP_REQUIREMENTS,
            custom_objects={"MeanIoUPresent": MeanIoUPresent, "SegmentationLoss": SegmentationLoss})
        report = TrainReport(
            run_id=run.info.run_id, model_name=settings.config.mlflow.registered_model,
            model_version=str(info.registered_model_version), model_path=str(model_path),
            params=model.count_params(), best_val_mean_iou=round(result.best_val_iou, 4),
            final={k: round(v[-1], 4) for k, v in result.history.items()},
            pretrained_encoder=bool(result.encoder), encoder_weights_used=result.encoder.used,
            encoder_weights_requested=cfg.encoder_weights, sweep=grid, experiment_id=run.info.experiment_id,
            classes=list(classes.products))
        describe_model(mlflow.MlflowClient(), report.model_name, report.model_version,
                       f"Trained on {len(train_rows)} images ({len(val_rows)} val) of pseudo-labels by "
                       f"{label_teacher(settings)}, data {data_revision(settings) or 'unknown'}; classes "
                       f"{', '.join(classes.products)}; encoder weights "
                       f"{result.encoder.used}; val mean IoU {report.best_val_mean_iou:.3f}. Test IoU: set by "
                       "`prodseg promote` after evaluation.", classes)
        atomic_write_json(settings.train_report_path, asdict(report))
        mlflow.log_dict(json.loads(json.dumps(asdict(report))), settings.train_report_path.name)
    log.info(report.summary())
    return report
