"""Pictures of training: learning curves and sample predictions next to their labels."""

from __future__ import annotations

import io

import matplotlib

matplotlib.use("Agg")  # files only, no display
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

# One colour per class index (background black); classes past these take matplotlib's tab20 colours.
PALETTE = np.array([(0, 0, 0), (230, 25, 75), (60, 180, 75), (255, 225, 25), (0, 130, 200),
                    (245, 130, 48), (145, 30, 180), (70, 240, 240), (240, 50, 230)], np.uint8)


def palette(n: int) -> np.ndarray:
    """``n`` RGB colours, one per class index (index 0, background, black)."""
    extra = (np.array(plt.get_cmap("tab20").colors) * 255).astype(np.uint8)
    colours = np.concatenate([PALETTE, np.resize(extra, (max(n - len(PALETTE), 0), 3))])
    return colours[:max(n, 1)]


def colorize(mask: np.ndarray, n: int | None = None) -> np.ndarray:
    """Class indices as colours (``n`` classes; default: enough for the largest index)."""
    colours = palette(n or int(mask.max()) + 1)
    return colours[np.clip(mask, 0, len(colours) - 1)]


def figure_png(fig) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=100, bbox_inches="tight")
    plt.close(fig)
    return buf.getvalue()


def learning_curves(history: dict[str, list[float]], phase_boundary: int | None = None) -> bytes:
    """Loss, pixel accuracy and mean IoU per epoch, train vs val, as a PNG."""
    fig, axes = plt.subplots(1, 3, figsize=(14, 3.8))
    for ax, key, title in zip(axes, ("loss", "pixel_accuracy", "mean_iou"), ("loss", "pixel accuracy", "mean IoU")):
        for prefix, style in (("", "-"), ("val_", "--")):
            values = history.get(prefix + key)
            if values:
                ax.plot(range(1, len(values) + 1), values, style, marker="o", ms=3, label=(prefix or "train_").rstrip("_"))
        if phase_boundary:
            ax.axvline(phase_boundary + 0.5, color="grey", lw=0.8, ls=":")
        ax.set_title(title)
        ax.set_xlabel("epoch")
        ax.legend()
    fig.suptitle("student learning curves (dotted line: encoder unfrozen)" if phase_boundary else "student learning curves")
    return figure_png(fig)


def prediction_grid(images: np.ndarray, labels: np.ndarray, predictions: np.ndarray,
                    class_names: tuple[str, ...]) -> bytes:
    """Rows of image | label | prediction, as a PNG (``class_names``: background first, in index order)."""
    n_classes = len(class_names)
    n = len(images)
    fig, axes = plt.subplots(n, 3, figsize=(7.5, 2.5 * n), squeeze=False)
    for i in range(n):
        pictures = (images[i].astype(np.uint8), colorize(labels[i], n_classes), colorize(predictions[i], n_classes))
        for ax, picture, title in zip(axes[i], pictures, ("image", "label", "prediction")):
            ax.imshow(picture)
            ax.set_axis_off()
            if i == 0:
                ax.set_title(title)
    colours = palette(n_classes)
    handles = [plt.Rectangle((0, 0), 1, 1, color=colours[k] / 255) for k in range(1, n_classes)]
    fig.legend(handles, class_names[1:], loc="lower center", ncol=4, fontsize=8)
    return figure_png(fig)
