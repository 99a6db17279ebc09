"""Instances and the plain-numpy post-processing every labeller shares."""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np
from scipy import ndimage

from prodseg.instances import box_from_mask


@dataclass
class Instance:
    mask: np.ndarray           # bool, H x W
    class_name: str | None     # a product class, or None when the labeller has no opinion
    score: float               # confidence in [0, 1]
    source: str | None = None  # which teacher drew the mask (a cascade asks several)
    agreement: float | None = None  # mask IoU between two teachers, where both ran

    @property
    def area(self) -> int:
        return int(self.mask.sum())

    @property
    def box(self) -> tuple[int, int, int, int] | None:
        return box_from_mask(self.mask)


def mask_iou(a: np.ndarray, b: np.ndarray) -> float:
    """Intersection over union of two boolean masks; two empty masks agree fully."""
    union = np.logical_or(a, b).sum()
    return 1.0 if union == 0 else float(np.logical_and(a, b).sum() / union)


def keep_large_components(mask: np.ndarray, min_frac: float = 0.1) -> np.ndarray:
    """Drop specks: keep components at least ``min_frac`` of the largest one's area."""
    labels, n = ndimage.label(mask)
    if n <= 1:
        return mask.astype(bool)
    areas = ndimage.sum(mask, labels, index=np.arange(1, n + 1))
    keep = np.flatnonzero(areas >= min_frac * areas.max()) + 1
    return np.isin(labels, keep)


def fill_holes_where(mask: np.ndarray, fill: np.ndarray) -> np.ndarray:
    """Fill the enclosed holes of ``mask`` whose pixels are mostly ``fill``.

    Keeps real holes (a mug handle, the gap between chair legs, where background
    shows) while closing holes the labeller left inside the product (glass, highlights).
    """
    holes = ndimage.binary_fill_holes(mask) & ~mask
    labels, n = ndimage.label(holes)
    if n == 0:
        return mask.astype(bool)
    share = ndimage.mean(fill, labels, index=np.arange(1, n + 1))
    return mask | np.isin(labels, np.flatnonzero(share > 0.5) + 1)


def smooth_mask(mask: np.ndarray, radius: int) -> np.ndarray:
    """Morphological open then close with a disc: removes fringe pixels and nicks."""
    if radius <= 0:
        return mask.astype(bool)
    disc = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * radius + 1, 2 * radius + 1))
    m = mask.astype(np.uint8)
    m = cv2.morphologyEx(m, cv2.MORPH_OPEN, disc)
    return cv2.morphologyEx(m, cv2.MORPH_CLOSE, disc).astype(bool)


def select_product(instances: list[Instance], category: str | None, min_score: float) -> Instance | None:
    """*The* product instance: the most confident one of the catalog's category;
    else the largest confident one; None when there is neither."""
    matching = [i for i in instances if category is not None and i.class_name == category and i.area > 0]
    if matching:
        return max(matching, key=lambda i: (i.score, i.area))
    confident = [i for i in instances if i.score >= min_score and i.area > 0]
    return max(confident, key=lambda i: (i.area, i.score)) if confident else None


def class_index_mask(mask: np.ndarray, class_id: int) -> np.ndarray:
    """A boolean mask as the single-channel class-index image the PNGs hold."""
    return mask.astype(np.uint8) * np.uint8(class_id)
