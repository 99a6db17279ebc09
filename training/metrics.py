"""Segmentation metrics: numpy functions for reports, Keras metric and loss for training."""

from __future__ import annotations

import keras
import numpy as np
import tensorflow as tf


# --- numpy (evaluation, reports) -------------------------------------------------------
def confusion(true: np.ndarray, pred: np.ndarray, n: int) -> np.ndarray:
    """n x n counts, rows = true class, columns = predicted class."""
    return np.bincount(n * true.astype(np.int64).ravel() + pred.astype(np.int64).ravel(),
                       minlength=n * n).reshape(n, n)


def iou_per_class(cm: np.ndarray) -> np.ndarray:
    """IoU of each class; NaN where the class appears in neither truth nor prediction."""
    tp = np.diag(cm).astype(np.float64)
    union = cm.sum(0) + cm.sum(1) - tp
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(union > 0, tp / union, np.nan)


def mean_iou(cm: np.ndarray) -> float:
    """Mean IoU over the classes present (in truth or prediction)."""
    return float(np.nanmean(iou_per_class(cm)))


def pixel_accuracy(cm: np.ndarray) -> float:
    return float(np.diag(cm).sum() / max(cm.sum(), 1))


def foreground_dice(true: np.ndarray, pred: np.ndarray) -> float:
    """Dice of product-vs-background, whatever the classes."""
    t, p = true > 0, pred > 0
    total = t.sum() + p.sum()
    return 1.0 if total == 0 else float(2 * np.logical_and(t, p).sum() / total)


# --- Keras (training) ------------------------------------------------------------------
@keras.saving.register_keras_serializable(package="prodseg")
class MeanIoUPresent(keras.metrics.Metric):
    """Mean IoU over the classes present, from logits and integer masks, accumulated per epoch."""

    def __init__(self, num_classes: int, name: str = "mean_iou", **kwargs):
        super().__init__(name=name, **kwargs)
        self.num_classes = num_classes
        self.cm = self.add_weight(shape=(num_classes, num_classes), initializer="zeros", name="cm", dtype="float64")

    def update_state(self, y_true, y_pred, sample_weight=None):
        true = tf.reshape(tf.cast(y_true, tf.int32), [-1])
        pred = tf.reshape(tf.argmax(y_pred, axis=-1, output_type=tf.int32), [-1])
        cm = tf.math.confusion_matrix(true, pred, self.num_classes, dtype=tf.float64)
        self.cm.assign_add(cm)

    def result(self):
        tp = tf.linalg.diag_part(self.cm)
        union = tf.reduce_sum(self.cm, 0) + tf.reduce_sum(self.cm, 1) - tp
        present = union > 0
        return tf.reduce_mean(tf.boolean_mask(tp / tf.where(present, union, 1.0), present))

    def reset_state(self):
        self.cm.assign(tf.zeros_like(self.cm))

    def get_config(self):
        return {**super().get_config(), "num_classes": self.num_classes}


@keras.saving.register_keras_serializable(package="prodseg")
class SegmentationLoss(keras.losses.Loss):
    """Sparse categorical cross-entropy on logits, plus ``dice_weight`` x (1 - soft foreground Dice)."""

    def __init__(self, dice_weight: float = 0.0, name: str = "seg_loss", **kwargs):
        super().__init__(name=name, **kwargs)
        self.dice_weight = dice_weight
        self.ce = keras.losses.SparseCategoricalCrossentropy(from_logits=True)

    def call(self, y_true, y_pred):
        loss = self.ce(y_true, y_pred)
        if self.dice_weight:
            fg_prob = 1.0 - tf.nn.softmax(y_pred, axis=-1)[..., 0]
            fg_true = tf.cast(y_true > 0, fg_prob.dtype)
            inter = tf.reduce_sum(fg_prob * fg_true)
            dice = (2.0 * inter + 1.0) / (tf.reduce_sum(fg_prob) + tf.reduce_sum(fg_true) + 1.0)
            loss = loss + self.dice_weight * (1.0 - dice)
        return loss

    def get_config(self):
        return {**super().get_config(), "dice_weight": self.dice_weight}
