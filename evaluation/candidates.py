"""The models in the comparison table, each behind one shape: batch -> predictions, size, latency."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import keras
import numpy as np
import pandas as pd
import tensorflow as tf
from PIL import Image

from evaluation.latency import latency_ms
from evaluation.scores import Predictions
from prodseg.images import load_rgb
from prodseg.instances import Detection, box_from_mask, class_map, detect, softmax
from prodseg.classes import ClassList
from prodseg.settings import EvaluateConfig
from training.metrics import confusion, mean_iou

log = logging.getLogger(__name__)


@dataclass
class Candidate:
    name: str
    kind: str                                   # student | teacher | baseline
    size_bytes: int | None                      # weights on disk (None: no weights at all)
    predict: Callable[[np.ndarray], Predictions]
    time_one: Callable[[], object]              # one image, batch 1: what latency measures
    note: str = ""

    def latency(self, runs: int, warmup: int = 10) -> dict[str, float]:
        return latency_ms(self.time_one, warmup=warmup, runs=runs)


def limit_threads(threads: int) -> bool:
    """Fix TF's thread pools (only possible before TF runs anything); False when it is too late."""
    try:
        tf.config.threading.set_intra_op_parallelism_threads(threads)
        tf.config.threading.set_inter_op_parallelism_threads(threads)
        return True
    except RuntimeError:
        log.warning("TensorFlow already started: Keras latency runs with its existing thread pools, not %d", threads)
        return False


def from_probs(probs: np.ndarray, cfg: EvaluateConfig) -> Predictions:
    """What the server answers: blobs, their voted classes and scores, and the cleaned class map."""
    detections = [detect(p, cfg.min_component_frac, cfg.class_vote) for p in probs]
    return Predictions(np.stack([class_map(d, p.shape[:2]) for d, p in zip(detections, probs)]), detections)


def keras_probs(model: keras.Model, images: np.ndarray) -> np.ndarray:
    return softmax(model.predict(images, batch_size=16, verbose=0))


def served_mean_iou(probs: np.ndarray, refs: np.ndarray, cfg: EvaluateConfig) -> float:
    """Test mean IoU of probabilities post-processed as the server does."""
    # One more class than the outputs: reference pixels of a class the model does not know (evaluation.data.ref_id).
    return mean_iou(confusion(refs, from_probs(probs, cfg).class_maps, probs.shape[-1] + 1))


def raw_argmax(probs: np.ndarray) -> Predictions:
    """The network's bare per-pixel answer, no post-processing."""
    return Predictions(probs.argmax(-1).astype(np.uint8), [detect(p, 0.0, class_vote=False) for p in probs])


def keras_candidate(name: str, kind: str, model: keras.Model, size_bytes: int, cfg: EvaluateConfig,
                    sample: np.ndarray, raw: bool = False, note: str = "") -> Candidate:
    infer = tf.function(lambda x: model(x, training=False))
    one = tf.constant(sample[None])

    def predict(images: np.ndarray) -> Predictions:
        probs = keras_probs(model, images)
        return raw_argmax(probs) if raw else from_probs(probs, cfg)

    return Candidate(name, kind, size_bytes, predict, lambda: infer(one).numpy(), note)


def array_candidate(name: str, probs_fn: Callable[[np.ndarray], np.ndarray], size_bytes: int,
                    cfg: EvaluateConfig, sample: np.ndarray, note: str = "") -> Candidate:
    return Candidate(name, "baseline", size_bytes, lambda images: from_probs(probs_fn(images), cfg),
                     lambda: probs_fn(sample[None]), note)


def teacher_predictions(rows: pd.DataFrame, labels_dir: Path, size: int, classes: ClassList) -> Predictions:
    """The teacher's labels (accepted or not) as predictions at the evaluation size, in ``classes``' ids (the
    model's; a label of a class it does not know, or of none, gets ``len(classes)``: wrong class)."""
    maps, detections = [], []
    for row in rows.itertuples():
        if isinstance(row.mask_path, str):
            mask = np.asarray(Image.open(labels_dir / row.mask_path).resize((size, size), Image.NEAREST), np.uint8)
        else:
            mask = np.zeros((size, size), np.uint8)   # the teacher found nothing
        label = row.class_name if isinstance(row.class_name, str) else None
        mask = np.where(mask > 0, classes.id(label) if label in classes else len(classes), 0).astype(np.uint8)
        maps.append(mask)
        fg = mask > 0
        detections.append([Detection(int(np.bincount(mask[fg]).argmax()), float(row.score), box_from_mask(fg), fg)]
                          if fg.any() else [])
    return Predictions(np.stack(maps), detections)


def teacher_candidate(labeller, rows: pd.DataFrame, raw_dir: Path, labels_dir: Path, size: int,
                      classes: ClassList) -> Candidate:
    """The labeller that made the pseudo-labels; its latency is on full-size photos, as it labels them."""
    first = rows.iloc[0]
    image = load_rgb(raw_dir / first.image_path, min_side=1, max_pixels=200_000_000)
    weights = labeller.weights_path
    size_bytes = Path(weights).stat().st_size if weights and Path(weights).is_file() else None
    return Candidate(f"teacher ({labeller.name})", "teacher", size_bytes,
                     lambda images: teacher_predictions(rows, labels_dir, size, classes),
                     lambda: labeller.label(image, first.class_name),
                     note=f"full-size photos ({image.shape[1]}x{image.shape[0]})")
