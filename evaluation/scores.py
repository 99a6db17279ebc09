"""Scores of one model's predictions against one reference: the numbers in the comparison table."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from evaluation.coco_map import box_map50
from labelling.instances import mask_iou
from prodseg.classes import ClassList
from prodseg.instances import Detection, box_from_mask
from training.metrics import confusion, foreground_dice, iou_per_class, mean_iou, pixel_accuracy


@dataclass
class Predictions:
    class_maps: np.ndarray                 # (N, S, S) uint8
    detections: list[list[Detection]]      # per image


def product_iou(ref: np.ndarray, pred: np.ndarray) -> float:
    """IoU of the photo's product class (the reference's majority foreground class): a right
    shape with the wrong tag scores 0."""
    fg = ref[ref > 0]
    if fg.size == 0:
        return mask_iou(pred > 0, ref > 0)
    product = np.bincount(fg).argmax()
    return mask_iou(pred == product, ref == product)


def reference_boxes(refs: np.ndarray) -> list[list[tuple[int, tuple]]]:
    """One box per reference class present in each image (a photo holds one product)."""
    out = []
    for ref in refs:
        out.append([(int(c), box_from_mask(ref == c)) for c in np.unique(ref) if c > 0])
    return out


def score(preds: Predictions, refs: np.ndarray, classes: ClassList, subset: np.ndarray | None = None) -> dict:
    """mean IoU (classes present), per-class IoU, pixel accuracy, foreground Dice and IoU,
    per-image product IoU, and box mAP@0.5 over the images in ``subset`` (a boolean mask).

    Class ids are the model's (``classes``); reference pixels of a class it does not know hold
    ``len(classes)`` (see ``evaluation.data.ref_id``): no prediction matches them, so they count as wrong class."""
    keep = np.ones(len(refs), bool) if subset is None else subset
    if not keep.any():
        return {"images": 0}
    maps, truth = preds.class_maps[keep], refs[keep]
    cm = confusion(truth, maps, len(classes) + 1)
    per_class = iou_per_class(cm)
    detections = [[(d.class_id, d.box, d.score) for d in dets]
                  for dets, k in zip(preds.detections, keep) if k]
    return {
        "images": int(keep.sum()),
        "mean_iou": round(mean_iou(cm), 4),
        "per_class_iou": {classes.name(c): round(float(v), 4) for c, v in enumerate(per_class[:len(classes)])
                          if c > 0 and not np.isnan(v)},
        "pixel_accuracy": round(pixel_accuracy(cm), 4),
        "dice": round(float(np.mean([foreground_dice(t, p) for t, p in zip(truth, maps)])), 4),
        "foreground_iou": round(float(np.mean([mask_iou(t > 0, p > 0) for t, p in zip(truth, maps)])), 4),
        "box_map50": _round(box_map50(reference_boxes(truth), detections, truth.shape[1:])),
        "per_image_iou": [round(product_iou(t, p), 4) for t, p in zip(truth, maps)],
    }


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 4)
