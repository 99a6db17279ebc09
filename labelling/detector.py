"""The COCO-80 detector (CenterNet, TFLite, ai_edge_litert): which boxes in a photo are of the catalog's class.

Its labels map to the shop's classes through ``label.detector.class_map``; a shop class nothing maps to is
one the detector does not know (the guided labeller then falls back to the class-agnostic cascade).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from labelling.detector_fetch import SIDE, fetch_detector, model_path
from labelling.teacher import TeacherUnavailable, weights_file
from prodseg.fileio import sha256_file
from prodseg.settings import DetectorConfig

NMS_IOU = 0.5   # boxes of one label overlapping more than this are one object
COCO = ("person", "bicycle", "car", "motorcycle", "airplane", "bus", "train", "truck", "boat", "traffic light",
        "fire hydrant", "stop sign", "parking meter", "bench", "bird", "cat", "dog", "horse", "sheep", "cow",
        "elephant", "bear", "zebra", "giraffe", "backpack", "umbrella", "handbag", "tie", "suitcase", "frisbee",
        "skis", "snowboard", "sports ball", "kite", "baseball bat", "baseball glove", "skateboard", "surfboard",
        "tennis racket", "bottle", "wine glass", "cup", "fork", "knife", "spoon", "bowl", "banana", "apple",
        "sandwich", "orange", "broccoli", "carrot", "hot dog", "pizza", "donut", "cake", "chair", "couch",
        "potted plant", "bed", "dining table", "toilet", "tv", "laptop", "mouse", "remote", "keyboard",
        "cell phone", "microwave", "oven", "toaster", "sink", "refrigerator", "book", "clock", "vase", "scissors",
        "teddy bear", "hair drier", "toothbrush")


@dataclass(frozen=True)
class Box:
    label: str                      # the detector's own label (COCO)
    score: float
    x0: float                       # pixels of the photo, x1/y1 exclusive
    y0: float
    x1: float
    y1: float

    @property
    def area(self) -> float:
        return max(self.x1 - self.x0, 0.0) * max(self.y1 - self.y0, 0.0)

    def as_tuple(self) -> tuple[float, float, float, float]:
        return self.x0, self.y0, self.x1, self.y1


def decode(raw: np.ndarray, width: int, height: int, min_score: float) -> list[Box]:
    """The model's 1 x N x 6 rows (x0, y0, x1, y1 in input pixels, score, COCO index) as boxes in the photo's
    pixels, best first, after per-label non-maximum suppression. Rows of unknown index are dropped."""
    rows = np.asarray(raw, np.float32).reshape(-1, 6)
    rows = rows[(rows[:, 4] >= min_score) & (rows[:, 5] >= 0) & (rows[:, 5] < len(COCO))]
    boxes = []
    for index in np.unique(rows[:, 5].astype(int)):
        group = rows[rows[:, 5].astype(int) == index]
        xywh = [[float(r[0]), float(r[1]), float(r[2] - r[0]), float(r[3] - r[1])] for r in group]
        keep = np.asarray(cv2.dnn.NMSBoxes(xywh, group[:, 4].tolist(), min_score, NMS_IOU)).reshape(-1)
        sx, sy = width / SIDE, height / SIDE
        for r in group[keep]:
            boxes.append(Box(COCO[index], round(float(r[4]), 4), float(np.clip(r[0] * sx, 0, width)),
                             float(np.clip(r[1] * sy, 0, height)), float(np.clip(r[2] * sx, 0, width)),
                             float(np.clip(r[3] * sy, 0, height))))
    return sorted(boxes, key=lambda b: -b.score)


def resolve_weights(config: DetectorConfig, teachers_dir: Path) -> Path:
    """The configured TFLite file, else the fetched one, fetched now when allowed; or TeacherUnavailable."""
    return weights_file(config.weights, model_path(teachers_dir), config.fetch, lambda: fetch_detector(teachers_dir),
                        key="label.detector", command="prodseg teacher fetch detector", what="the detector")


class Detector:
    """Boxes of the shop's classes in a photo; ``knows(class)`` says whether a shop class maps to any label."""

    def __init__(self, config: DetectorConfig, weights: Path):
        from ai_edge_litert.interpreter import Interpreter  # noqa: PLC0415  (only where the detector runs)

        self.config, self.weights = config, Path(weights)
        try:
            self.interpreter = Interpreter(model_path=str(self.weights), num_threads=config.threads)
            self.interpreter.allocate_tensors()
        except (ValueError, RuntimeError) as exc:
            raise TeacherUnavailable(f"{self.weights} is not a loadable TFLite model: {exc}") from exc
        self.input = self.interpreter.get_input_details()[0]["index"]
        self.output = self.interpreter.get_output_details()[0]["index"]
        self.digest = sha256_file(self.weights)[:12]
        unknown = set(config.class_map) - set(COCO)
        if unknown:
            raise TeacherUnavailable(f"label.detector.class_map: {sorted(unknown)} are not detector labels")

    def key(self) -> str:
        return f"centernet-{self.digest}-s{self.config.min_score}"

    def knows(self, shop_class: str | None) -> bool:
        return shop_class is not None and shop_class in self.config.class_map.values()

    def detect(self, image: np.ndarray) -> list[Box]:
        """Every box the detector sees at ``min_score`` (all labels), best first."""
        h, w = image.shape[:2]
        batch = cv2.resize(image, (SIDE, SIDE), interpolation=cv2.INTER_LINEAR).astype(np.float32)[None]
        self.interpreter.set_tensor(self.input, batch)
        self.interpreter.invoke()
        return decode(self.interpreter.get_tensor(self.output), w, h, self.config.min_score)

    def of_class(self, boxes: list[Box], shop_class: str) -> list[Box]:
        return [b for b in boxes if self.config.class_map.get(b.label) == shop_class]
