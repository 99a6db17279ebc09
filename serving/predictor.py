"""Image bytes -> product instances (``predict``) or a product cut-out (``segment``) with one loaded model.

The image is resized to the model's own input size the way training resized it,
instances come from ``prodseg.instances.detect`` at model resolution, and each
mask is upsampled and smoothed to the output resolution: the input's, or for an input
over ``serve.max_output_pixels`` the input reduced by a whole factor to fit. So the
memory a request takes follows the model and that cap, not the upload.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import numpy as np
from PIL import Image

from prodseg.rle import encode_rle
from labelling.features import border_share
from prodseg.instances import Detection, detect, softmax
from prodseg.settings import Settings
from serving.budget import PixelBudget
from serving.images import Upload, UploadError, decode, open_image, reduced_size, reduction
from serving.masks import binary, box_of, cutout, png_bytes, soft_mask
from serving.model_source import ModelSource, served_classes
from serving.quality import cutout_warnings, thresholds
from serving.segmenter import Segmenter, SegmenterPool


def default_workers() -> int:
    return max(1, min(4, os.cpu_count() or 1))


def model_input(rgb: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """Float pixels 0..255 at the model's (height, width): the resize of ``training.dataset.load_pair``."""
    height, width = size
    return np.asarray(Image.fromarray(rgb).resize((width, height), Image.BILINEAR, reducing_gap=2.0), np.float32)


@dataclass
class Cutout:
    png: bytes
    label: str
    score: float
    box: tuple[int, int, int, int]        # the product in output pixels
    crop_box: tuple[int, int, int, int]   # the part of the output the PNG covers
    input_size: tuple[int, int]           # (width, height) of the upload; the output is this reduced to fit
    border: float                         # share of the output's edge pixels the product covers


class Predictor:
    def __init__(self, source: ModelSource, settings: Settings, workers: int | None = None):
        serve, evaluate = settings.config.serve, settings.config.evaluate
        self.source = source
        self.pool = SegmenterPool(source, workers or default_workers(), serve.threads, serve.queue_timeout_s)
        self.budget = PixelBudget(serve.decode_pixels, serve.queue_timeout_s)
        self.size = self.pool.size
        self.classes = served_classes(source, self.pool.outputs)
        self.max_pixels, self.max_output_pixels = serve.max_pixels, serve.max_output_pixels
        self.min_frac, self.class_vote = evaluate.min_component_frac, evaluate.class_vote
        self.limits = thresholds(serve)
        self.edge_subpixel, self.edge_sharpness = serve.edge_subpixel, serve.edge_sharpness
        self.edge_decontaminate = serve.edge_decontaminate

    def model_info(self) -> dict:
        return {"name": self.source.name, "version": self.source.version, "variant": self.source.variant}

    def _detect(self, runner: Segmenter, rgb: np.ndarray) -> tuple[list[Detection], np.ndarray | None]:
        """The instances, and the foreground probability their edges follow (None: ``serve.edge_subpixel`` off)."""
        probs = softmax(runner.logits(model_input(rgb, self.size)))
        return detect(probs, self.min_frac, self.class_vote), (1 - probs[..., 0]) if self.edge_subpixel else None

    def _output_factor(self, upload: Upload) -> int:
        return reduction(upload.width, upload.height, self.max_output_pixels)

    def predict(self, data: bytes) -> dict:
        """The /predict body: every product instance with its label, score, box, area and RLE mask."""
        upload = open_image(data, self.max_pixels)
        height, width = self.size
        out_width, out_height = reduced_size(upload, self._output_factor(upload))
        # The pool slot covers decoding too: at most `workers` decoded images are in memory at once.
        with self.pool.acquire() as runner:
            at_model_size = max(1, min(upload.width // (2 * width), upload.height // (2 * height)))
            detections, foreground = self._detect(runner, decode(upload, at_model_size, self.budget))
            predictions = []
            for det in detections:
                mask = binary(soft_mask(det.mask, out_width, out_height, self.edge_sharpness, foreground))
                box = box_of(mask)
                if box is None:  # a sliver that vanished at the output resolution
                    continue
                score = round(det.score, 4)
                label = self.classes.name(det.class_id)
                warnings = cutout_warnings(score, border_share(mask), label, None, self.limits)
                predictions.append({"label": label, "class_id": det.class_id, "score": score,
                                    "box": list(box), "area": int(mask.sum()), "mask": encode_rle(mask),
                                    "warnings": [w.as_json() for w in warnings]})
        return {"success": True, "model": self.model_info(), "image": {"width": upload.width, "height": upload.height},
                "output": {"width": out_width, "height": out_height}, "predictions": predictions}

    def segment(self, data: bytes, label: str | None = None, crop: bool = False) -> Cutout:
        """The largest product (or every instance of ``label``) cut out as RGBA PNG at the output resolution."""
        if label is not None and label not in self.classes:
            raise UploadError(400, f"unknown label {label!r}; the model's classes are {', '.join(self.classes.products)}")
        upload = open_image(data, self.max_pixels)
        with self.pool.acquire() as runner:
            rgb = decode(upload, self._output_factor(upload), self.budget)
            detections, foreground = self._detect(runner, rgb)
            chosen = [d for d in detections if label in (None, self.classes.name(d.class_id))]
            if not chosen:
                found = ", ".join(sorted({self.classes.name(d.class_id) for d in detections})) or "nothing"
                raise UploadError(422, f"no {label or 'product'} found in the image (found: {found})")
            if label is None:
                chosen = chosen[:1]  # detections come largest first: the product
            mask = np.logical_or.reduce([d.mask for d in chosen])
            score = sum(d.score * d.area for d in chosen) / sum(d.area for d in chosen)
            alpha = soft_mask(mask, rgb.shape[1], rgb.shape[0], self.edge_sharpness, foreground)
            scale = max(rgb.shape[0] / self.size[0], rgb.shape[1] / self.size[1])
            rgba, crop_box = cutout(rgb, alpha, crop, scale if self.edge_decontaminate else None)
            solid = binary(alpha)
            box = box_of(solid) or crop_box
            return Cutout(png_bytes(rgba), self.classes.name(chosen[0].class_id), round(score, 4), box, crop_box,
                          (upload.width, upload.height), border_share(solid))
