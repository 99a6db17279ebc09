"""Simple baselines for the comparison table: the average training mask, and a tiny 3-layer CNN."""

from __future__ import annotations

import keras
import numpy as np
from keras import layers

from training.metrics import SegmentationLoss


class AverageMask:
    """Every photo gets the same answer: pixels that are product in most training masks, tagged
    with the most common training class. It scores what "products sit in the middle" is worth."""

    def __init__(self, train_masks: np.ndarray, num_classes: int):
        self.num_classes = num_classes
        self.foreground = (train_masks > 0).mean(0)                       # (S, S) share of product
        fg = train_masks[(train_masks > 0) & (train_masks < num_classes)]
        self.class_id = int(np.bincount(fg, minlength=num_classes).argmax()) if fg.size else 1

    @property
    def size_bytes(self) -> int:
        return self.foreground.astype(np.float32).nbytes

    def probs(self, images: np.ndarray) -> np.ndarray:
        one = np.zeros((*self.foreground.shape, self.num_classes), np.float32)
        one[..., 0] = 1 - self.foreground
        one[..., self.class_id] = self.foreground
        return np.repeat(one[None], len(images), axis=0)


def tiny_cnn(size: int, num_classes: int) -> keras.Model:
    """Three convolutions at full resolution: colour and texture, no context."""
    return keras.Sequential([
        keras.Input((size, size, 3)),
        layers.Rescaling(1 / 127.5, offset=-1),
        layers.Conv2D(16, 3, padding="same", activation="relu"),
        layers.Conv2D(32, 3, padding="same", activation="relu", dilation_rate=2),
        layers.Conv2D(num_classes, 1),
    ], name="tiny_cnn")


def train_tiny_cnn(train_ds, size: int, epochs: int, seed: int, num_classes: int) -> keras.Model:
    keras.utils.set_random_seed(seed)
    model = tiny_cnn(size, num_classes)
    model.compile(optimizer=keras.optimizers.Adam(3e-3), loss=SegmentationLoss(0.5), jit_compile=False)
    model.fit(train_ds, epochs=epochs, verbose=2)
    return model
