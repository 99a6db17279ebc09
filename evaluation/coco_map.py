"""Box mAP@0.5 with pycocotools' own evaluation, so it compares with detection projects' figures."""

from __future__ import annotations

import contextlib
import io

import numpy as np
from pycocotools.coco import COCO
from pycocotools.cocoeval import COCOeval

Box = tuple[int, int, int, int]   # x0, y0, x1, y1, exclusive ends


def _xywh(box: Box) -> list[float]:
    x0, y0, x1, y1 = box
    return [float(x0), float(y0), float(x1 - x0), float(y1 - y0)]


def box_map50(truth: list[list[tuple[int, Box]]], detections: list[list[tuple[int, Box, float]]],
              image_size: tuple[int, int]) -> float | None:
    """COCO AP at IoU 0.5, averaged over the classes present in ``truth``.

    ``truth[i]``: (class id, box) of image i; ``detections[i]``: (class id, box, score).
    None when there is no ground-truth box at all.
    """
    h, w = image_size
    images = [{"id": i + 1, "width": w, "height": h} for i in range(len(truth))]
    annotations = [{"id": len(images) + k, "image_id": i + 1, "category_id": c, "bbox": _xywh(b),
                    "area": float((b[2] - b[0]) * (b[3] - b[1])), "iscrowd": 0}
                   for k, (i, (c, b)) in enumerate((i, t) for i, ts in enumerate(truth) for t in ts)]
    if not annotations:
        return None
    results = [{"image_id": i + 1, "category_id": c, "bbox": _xywh(b), "score": float(s)}
               for i, ds in enumerate(detections) for c, b, s in ds]
    if not results:
        return 0.0
    with contextlib.redirect_stdout(io.StringIO()):  # pycocotools prints its progress
        gt = COCO()
        ids = sorted({a["category_id"] for a in annotations} | {r["category_id"] for r in results})
        gt.dataset = {"images": images, "annotations": annotations,
                      "categories": [{"id": i, "name": str(i)} for i in ids]}
        gt.createIndex()
        evaluation = COCOeval(gt, gt.loadRes(results), "bbox")
        evaluation.params.iouThrs = np.array([0.5])
        evaluation.params.areaRng, evaluation.params.areaRngLbl = [[0, 1e10]], ["all"]
        evaluation.params.maxDets = [100]
        evaluation.evaluate()
        evaluation.accumulate()
    precision = evaluation.eval["precision"][0, :, :, 0, 0]   # recall thresholds x classes
    per_class = [precision[:, k][precision[:, k] > -1].mean() for k in range(precision.shape[1])
                 if (precision[:, k] > -1).any()]
    return float(np.mean(per_class)) if per_class else 0.0
