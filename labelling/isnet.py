"""The IS-Net teacher: a pretrained salient-object segmenter (ONNX, onnxruntime), class-agnostic.

It finds the photo's salient object, in a studio or in a room; the class comes from the catalog, as
with GrabCut. Any IS-Net ONNX file works (the npm package's models, rembg's isnet-general-use):
RGB resized to the model's fixed input (1x3x1024x1024, or ``label.isnet.side``: labelling/isnet_resize.py),
(pixel - 128) / 256, NCHW; the output ``output`` is a soft mask, min-max scaled to 0..1.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
from scipy import ndimage

from labelling.instances import Instance, keep_large_components
from labelling.isnet_fetch import fetch_isnet, model_path
from labelling.isnet_resize import resize_model
from labelling.teacher import TeacherUnavailable, weights_file
from prodseg.fileio import sha256_file
from prodseg.settings import IsNetConfig

log = logging.getLogger(__name__)

DEFAULT_SIDE = 1024    # when the model's input size is dynamic
SPECK = 0.01           # mask pieces smaller than this share of the largest are dropped
FEATURE_SIDE = 256     # the soft mask is scored at this size
# The score from the soft mask (see ``mask_score``): how unsure the soft mask is around the product, how much
# of the image border the mask covers, how many separate pieces it has (products are whole objects inside the
# frame). A logistic fit of "IoU vs truth >= 0.9" on the demo shop's audit: 189 photos, 129 of them room
# shots (`benchmarks/label_bench.py --calibrate` refits and prints these; in-sample AUC 0.94).
W_UNSURE, W_BORDER, W_PIECES, BIAS = -5.34, -10.16, -2.71, 3.28


@dataclass
class MaskFeatures:
    unsure: float      # soft-mask pixels between 0.1 and 0.9, per mask pixel
    border: float      # share of the image border inside the mask
    pieces: int        # connected components of at least SPECK of the largest
    area: float        # mask share of the image

    def as_row(self) -> dict:
        return {"unsure": self.unsure, "border": self.border, "pieces": self.pieces, "area": self.area}


def preprocess(image: np.ndarray, side: int) -> np.ndarray:
    """H x W x 3 uint8 RGB -> 1 x 3 x side x side float32, (pixel - 128) / 256."""
    resized = cv2.resize(image, (side, side), interpolation=cv2.INTER_LINEAR).astype(np.float32)
    return ((resized - 128.0) / 256.0).transpose(2, 0, 1)[None]


def postprocess(raw: np.ndarray, height: int, width: int) -> np.ndarray:
    """The model's output (1 x 1 x s x s, any range) -> soft mask H x W float32 in 0..1."""
    soft = np.asarray(raw, np.float32).reshape(raw.shape[-2:])
    low, high = float(soft.min()), float(soft.max())
    soft = (soft - low) / (high - low) if high - low > 1e-6 else np.zeros_like(soft)
    return cv2.resize(soft, (width, height), interpolation=cv2.INTER_LINEAR)


def mask_features(soft: np.ndarray, threshold: float) -> MaskFeatures:
    h, w = soft.shape
    scale = FEATURE_SIDE / max(h, w)
    small = cv2.resize(soft, (max(1, round(w * scale)), max(1, round(h * scale))), interpolation=cv2.INTER_AREA)
    mask = small >= threshold
    area = int(mask.sum())
    unsure = float(((small > 0.1) & (small < 0.9)).sum() / max(area, 1))
    border = np.concatenate([mask[0], mask[-1], mask[1:-1, 0], mask[1:-1, -1]])
    pieces = keep_large_components(mask, SPECK)
    return MaskFeatures(unsure=round(unsure, 4), border=round(float(border.mean()), 4),
                        pieces=int(ndimage.label(pieces)[1]), area=round(area / mask.size, 5))


def mask_score(f: MaskFeatures) -> float:
    """Confidence in 0..1 that the mask is the product (a logistic fit on the audit, see above)."""
    if f.area < 0.002 or f.area > 0.95:  # nothing found, or everything
        return 0.0
    z = BIAS + W_UNSURE * f.unsure + W_BORDER * f.border + W_PIECES * (f.pieces - 1)
    return float(1.0 / (1.0 + np.exp(-z)))


def resolve_weights(config: IsNetConfig, teachers_dir: Path) -> Path:
    """The ONNX file to load: the configured or fetched one (fetched now when allowed), at ``config.side``
    when that is set (a copy made once into ``teachers_dir``); or TeacherUnavailable."""
    path = _source_weights(config, teachers_dir)
    if config.side is None:
        return path
    try:
        return resize_model(path, config.side, Path(teachers_dir))
    except ValueError as exc:
        raise TeacherUnavailable(f"label.isnet.side {config.side}: {exc}") from exc


def _source_weights(config: IsNetConfig, teachers_dir: Path) -> Path:
    return weights_file(config.weights, model_path(teachers_dir, config.variant), config.fetch,
                        lambda: fetch_isnet(teachers_dir, config.variant), key="label.isnet",
                        command=f"prodseg teacher fetch isnet --variant {config.variant}", what="IS-Net weights")


def _session(weights: Path, threads: int):
    import onnxruntime as ort  # noqa: PLC0415  (only where IS-Net runs)

    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    providers = [p for p in ("CUDAExecutionProvider", "CPUExecutionProvider") if p in ort.get_available_providers()]
    try:
        return ort.InferenceSession(str(weights), options, providers=providers)
    except Exception as exc:  # onnxruntime raises its own Fail/InvalidGraph types for a bad file
        raise TeacherUnavailable(f"{weights} is not a loadable ONNX model: {exc}") from exc


class IsNetLabeller:
    name = "isnet"

    def __init__(self, config: IsNetConfig, weights: Path):
        self.config = config
        self.weights = Path(weights)
        self.session = _session(self.weights, config.threads)
        model_input = self.session.get_inputs()[0]
        self.input_name = model_input.name
        side = model_input.shape[-1]
        self.side = side if isinstance(side, int) else DEFAULT_SIDE
        names = [o.name for o in self.session.get_outputs()]
        self.output_name = "output" if "output" in names else names[0]
        self._digest = sha256_file(self.weights)[:12]

    @property
    def weights_path(self) -> Path:
        return self.weights

    def key(self) -> str:
        return f"isnet-{self._digest}-t{self.config.threshold}" + ("-flip" if self.config.flip else "")

    def _soft_once(self, image: np.ndarray) -> np.ndarray:
        (raw,) = self.session.run([self.output_name], {self.input_name: preprocess(image, self.side)})
        return postprocess(raw, *image.shape[:2])

    def soft_mask(self, image: np.ndarray) -> np.ndarray:
        soft = self._soft_once(image)
        if self.config.flip:  # the network is not mirror-symmetric: averaging both views steadies unsure edges
            soft = (soft + self._soft_once(np.ascontiguousarray(image[:, ::-1]))[:, ::-1]) / 2
        return soft

    def label(self, image: np.ndarray, category: str | None) -> list[Instance]:
        soft = self.soft_mask(image)
        mask = keep_large_components(soft >= self.config.threshold, SPECK)
        features = mask_features(soft, self.config.threshold)
        return [Instance(mask=mask, class_name=category, score=round(mask_score(features), 4), source=self.name)]
