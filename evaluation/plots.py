"""Pictures of the evaluation: per-class IoU bars, the per-image IoU histogram, best/worst gallery."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np

from training.plots import colorize, figure_png


def per_class_bars(per_class: dict[str, dict[str, float]]) -> bytes:
    """``{model: {class: iou}}`` as grouped bars."""
    classes = sorted({c for scores in per_class.values() for c in scores})
    fig, ax = plt.subplots(figsize=(max(6, 1.1 * len(classes)), 3.8))
    width = 0.8 / max(1, len(per_class))
    for k, (model, scores) in enumerate(per_class.items()):
        ax.bar(np.arange(len(classes)) + k * width, [scores.get(c, 0.0) for c in classes], width, label=model)
    ax.set_xticks(np.arange(len(classes)) + width * (len(per_class) - 1) / 2, classes, rotation=20)
    ax.set_ylim(0, 1)
    ax.set_ylabel("IoU (test split)")
    ax.set_title("per-class IoU")
    ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.0, 1.0))
    return figure_png(fig)


def iou_histogram(ious: dict[str, list[float]]) -> bytes:
    """Per-image product IoU, one histogram per reference."""
    fig, ax = plt.subplots(figsize=(6, 3.5))
    for name, values in ious.items():
        ax.hist(values, bins=np.linspace(0, 1, 21), alpha=0.6, label=f"{name} (n={len(values)})")
    ax.set_xlabel("product IoU per image")
    ax.set_ylabel("images")
    ax.set_title("student: per-image IoU")
    ax.legend()
    return figure_png(fig)


def cutout(image: np.ndarray, mask: np.ndarray, tile: int = 8) -> np.ndarray:
    """The product over a checkerboard: what the shopper would see."""
    yy, xx = np.indices(mask.shape)
    board = np.where(((yy // tile + xx // tile) % 2)[..., None] == 0, 200, 255).astype(np.uint8)
    return np.where(mask[..., None] > 0, image.astype(np.uint8), board)


def gallery(images: np.ndarray, labels: np.ndarray, predictions: np.ndarray, titles: list[str]) -> bytes:
    """Rows of image | label | prediction | cut-out, each row titled."""
    n = len(images)
    fig, axes = plt.subplots(n, 4, figsize=(9, 2.4 * n), squeeze=False)
    for i in range(n):
        pictures = (images[i].astype(np.uint8), colorize(labels[i]), colorize(predictions[i]),
                    cutout(images[i], predictions[i]))
        for ax, picture, column in zip(axes[i], pictures, ("image", "label", "prediction", "cut-out")):
            ax.imshow(picture)
            ax.set_axis_off()
            ax.set_title(f"{column}: {titles[i]}" if column == "image" else column, fontsize=8)
    return figure_png(fig)
