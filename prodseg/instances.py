"""Product instances from a predicted class map: connected components -> class tag, score, box, mask.

Shared by the evaluation (box mAP against the label instances), the export's scores, the server's
``/predict`` and the labellers' boxes: the base every stage stands on.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import ndimage



@dataclass
class Detection:
    class_id: int
    score: float                       # mean probability of the class over the instance's pixels
    box: tuple[int, int, int, int]     # x0, y0, x1, y1 (exclusive ends), pixels
    mask: np.ndarray                   # bool, H x W

    @property
    def area(self) -> int:
        return int(self.mask.sum())


def box_from_mask(mask: np.ndarray) -> tuple[int, int, int, int] | None:
    """``(x0, y0, x1, y1)`` with exclusive ends, or None for an empty mask."""
    ys, xs = np.nonzero(mask)
    if len(xs) == 0:
        return None
    return int(xs.min()), int(ys.min()), int(xs.max()) + 1, int(ys.max()) + 1


def softmax(logits: np.ndarray) -> np.ndarray:
    shifted = np.exp(logits - logits.max(-1, keepdims=True))
    return shifted / shifted.sum(-1, keepdims=True)


def detect(probs: np.ndarray, min_frac: float = 0.002, class_vote: bool = True) -> list[Detection]:
    """Instances of a (H, W, classes) probability map, largest first.

    ``class_vote``: each foreground blob is one product and takes its pixels' majority class
    (a photo shows one product, and a sofa's cushions should not become a bed); otherwise
    each class's own connected components are instances.
    """
    classes = probs.argmax(-1)
    min_area = max(1, int(min_frac * classes.size))
    found: list[Detection] = []
    groups = [(classes > 0, None)] if class_vote else [(classes == c, c) for c in np.unique(classes) if c > 0]
    for region, fixed_class in groups:
        components, n = ndimage.label(region)
        for index in range(1, n + 1):
            mask = components == index
            if mask.sum() < min_area:
                continue
            class_id = fixed_class if fixed_class is not None else int(np.bincount(classes[mask]).argmax())
            found.append(Detection(int(class_id), float(probs[..., class_id][mask].mean()),
                                   box_from_mask(mask), mask))
    return sorted(found, key=lambda d: d.area, reverse=True)


def class_map(detections: list[Detection], shape: tuple[int, int]) -> np.ndarray:
    """The cleaned class-index map the detections stand for (specks dropped, classes voted)."""
    out = np.zeros(shape, np.uint8)
    for det in sorted(detections, key=lambda d: d.area):  # larger instances win overlaps
        out[det.mask] = det.class_id
    return out
