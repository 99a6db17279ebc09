"""What the server ranks a label's photo by, computed from the product mask when the labelling stage
writes it: labels.parquet carries these columns, so the server reads a column instead of opening every
mask PNG at start (serving/gallery.py)."""

from __future__ import annotations

import numpy as np


def border_share(mask: np.ndarray) -> float:
    """Share of the image's outermost ring of pixels that ``mask`` (bool, h x w) covers."""
    if mask.ndim != 2 or min(mask.shape) < 2:
        raise ValueError(f"border_share needs a 2-D mask at least 2x2, got shape {mask.shape}")
    ring = np.concatenate([mask[0], mask[-1], mask[1:-1, 0], mask[1:-1, -1]])
    return float(ring.mean())


def mask_features(mask: np.ndarray) -> dict[str, float]:
    """labels.parquet's columns from one product mask (bool or class-index, h x w), beside area_frac."""
    return {"border_frac": border_share(np.asarray(mask) > 0)}
