"""TFLite export of the student: fp32, fp16 weights, and full-integer int8 with uint8 input/output.

``convert`` builds each variant, ``TfliteSegmenter`` runs one with the LiteRT
interpreter (the export stage's sizing, timing and test-split evaluation build on these).
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Callable, Iterator

import numpy as np

log = logging.getLogger(__name__)
VARIANTS = ("fp32", "fp16", "int8")
# Where a registered version's TFLite files live among its MLflow run's artifacts (the server reads them).
ARTIFACT_DIR = "tflite"


def tflite_name(variant: str) -> str:
    return f"student-{variant}.tflite"


def classes_name(variant: str) -> str:
    """The class list beside a TFLite file (``prodseg.classes.ClassList`` JSON)."""
    return classes_beside(Path(tflite_name(variant))).name


def classes_beside(model: Path) -> Path:
    """Where a model file's own class list lives: ``x.tflite`` -> ``x.classes.json``."""
    return model.with_suffix(".classes.json")


def make_interpreter(model: bytes | Path, threads: int = 1):
    """A LiteRT interpreter (``ai-edge-litert``), or TF's own where LiteRT is missing."""
    try:
        from ai_edge_litert.interpreter import Interpreter  # noqa: PLC0415
    except ImportError:  # pragma: no cover - ai-edge-litert is a pinned dependency
        import tensorflow as tf  # noqa: PLC0415

        Interpreter = tf.lite.Interpreter  # noqa: N806
    kwargs = {"model_content": model} if isinstance(model, bytes) else {"model_path": str(model)}
    interpreter = Interpreter(num_threads=threads, **kwargs)
    interpreter.allocate_tensors()
    return interpreter


def convert(model, variant: str, representative: Callable[[], Iterator[list[np.ndarray]]] | None = None) -> bytes:
    """The TFLite flatbuffer of ``model`` for one variant (int8 needs ``representative``)."""
    import tensorflow as tf  # noqa: PLC0415 - here only: the server runs TFLite files without TensorFlow

    converter = tf.lite.TFLiteConverter.from_keras_model(model)
    if variant == "fp16":
        converter.optimizations = [tf.lite.Optimize.DEFAULT]
        converter.target_spec.supported_types = [tf.float16]
    elif variant == "int8":
        if representative is None:
            raise ValueError("int8 export needs a representative dataset")
        converter.optimizations = [tf.lite.Optimize.DEFAULT]
        converter.representative_dataset = representative
        converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
        converter.inference_input_type = tf.uint8    # camera pixels go straight in
        converter.inference_output_type = tf.uint8
    elif variant != "fp32":
        raise ValueError(f"unknown TFLite variant {variant!r}; expected one of {VARIANTS}")
    return converter.convert()


class TfliteSegmenter:
    """Runs a TFLite student on float pixel batches (0..255) and returns per-pixel logits as float."""

    def __init__(self, model: bytes | Path, threads: int = 1):
        self.interpreter = make_interpreter(model, threads)
        self.input = self.interpreter.get_input_details()[0]
        self.output = self.interpreter.get_output_details()[0]

    def _quantize(self, images: np.ndarray) -> np.ndarray:
        scale, zero = self.input["quantization"]
        if self.input["dtype"] == np.float32:
            return images.astype(np.float32)
        info = np.iinfo(self.input["dtype"])
        return np.clip(np.round(images / scale + zero), info.min, info.max).astype(self.input["dtype"])

    def logits(self, image: np.ndarray) -> np.ndarray:
        """One image (H, W, 3) -> (H, W, classes)."""
        self.interpreter.set_tensor(self.input["index"], self._quantize(image[None]))
        self.interpreter.invoke()
        out = self.interpreter.get_tensor(self.output["index"])[0]
        scale, zero = self.output["quantization"]
        return (out.astype(np.float32) - zero) * scale if self.output["dtype"] != np.float32 else out

    def predict(self, images: np.ndarray) -> np.ndarray:
        """Class index maps for a batch (N, H, W, 3) -> (N, H, W)."""
        return np.stack([self.logits(image).argmax(-1) for image in images])
