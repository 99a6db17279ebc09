"""Serving test helpers: a tiny real model, drawn product photos, isolated settings.

The "dark" model is a real Keras model with fixed weights: pixels darker than
light grey are a couch, the rest background. Served through the same int8
TFLite path as the student, it makes every answer checkable against the
drawn shapes. The student itself (random weights) is used where only the
plumbing matters.
"""

from __future__ import annotations

import io
from pathlib import Path

import keras
import numpy as np
from PIL import Image, ImageDraw

from prodseg.classes import NUM_CLASSES, class_id
from prodseg.settings import Settings
from training.export import convert

SIZE = 64
DARK_CLASS = "couch"
# Products of the tiny catalog: (product id, title, class, shape box as fractions of a 160x120 photo)
PRODUCTS = [
    ("p1", "Grey sofa", "couch", (0.20, 0.30, 0.80, 0.90)),
    ("p2", "Oak chair", "chair", (0.35, 0.20, 0.65, 0.85)),
    ("p3", "Blue vase", "vase", (0.40, 0.15, 0.60, 0.80)),
]


def dark_model(size: int = SIZE) -> keras.Model:
    """Logits: couch = (195 - mean RGB) / 20, background = the negative, other classes far below."""
    inputs = keras.Input((size, size, 3), name="image")
    logits = keras.layers.Conv2D(NUM_CLASSES, 1, name="logits")(inputs)
    model = keras.Model(inputs, logits)
    kernel = np.zeros((1, 1, 3, NUM_CLASSES), np.float32)
    bias = np.full(NUM_CLASSES, -10.0, np.float32)
    kernel[..., class_id(DARK_CLASS)], bias[class_id(DARK_CLASS)] = -1 / 60, 9.75
    kernel[..., 0], bias[0] = 1 / 60, -9.75
    model.get_layer("logits").set_weights([kernel, bias])
    return model


def int8(model: keras.Model) -> bytes:
    size = model.input_shape[1]
    rng = np.random.default_rng(0)

    def representative():
        for _ in range(8):
            yield [rng.uniform(0, 255, (1, size, size, 3)).astype(np.float32)]

    return convert(model, "int8", representative)


def photo(width: int = 160, height: int = 120, box=(0.2, 0.3, 0.8, 0.9), fill=(60, 50, 40)) -> Image.Image:
    """A studio shot: a dark rectangle on white."""
    image = Image.new("RGB", (width, height), (255, 255, 255))
    x0, y0, x1, y1 = box
    ImageDraw.Draw(image).rectangle([x0 * width, y0 * height, x1 * width - 1, y1 * height - 1], fill=fill)
    return image


def encoded(image: Image.Image, fmt: str = "PNG", **options) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, fmt, **options)
    return buffer.getvalue()


def serve_settings(root: Path, data: Path | None = None, **serve) -> Settings:
    """Settings isolated from the developer's env: var under ``root``, registry a sqlite file there."""
    overrides = {"paths": {"var": str(root / "var"), "data": str(data or root / "data")},
                 "mlflow": {"tracking_uri": f"sqlite:///{root / 'mlflow.db'}"}, "serve": serve}
    return Settings.load(overrides, environ={})
