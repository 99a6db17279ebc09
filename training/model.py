"""The student: a MobileNetV2 encoder with skip connections into a light U-Net decoder.

The decoder upsamples with UpSampling2D + separable convolutions rather than
Conv2DTranspose: dynamic-range int8 TFLite runs Conv2DTranspose ~20x slower.
The model takes float pixels 0..255 and returns per-pixel logits for the 9 classes.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import keras
from keras import layers


log = logging.getLogger(__name__)

# MobileNetV2 activations at 1/2, 1/4, 1/8, 1/16 of the input; the encoder output is at 1/32.
SKIP_LAYERS = ("block_1_expand_relu", "block_3_expand_relu", "block_6_expand_relu", "block_13_expand_relu")
ENCODER_OUTPUT = "block_16_project"
ENCODER_NAME = "encoder"


@dataclass(frozen=True)
class EncoderStart:
    """What the encoder's weights started from: ``used`` is imagenet | npm | none | path (``source`` names
    the file for npm and path). True when pretrained, so callers can test it like a flag."""

    used: str
    source: str | None = None

    def __bool__(self) -> bool:
        return self.used != "none"

    @classmethod
    def of(cls, weights: str) -> "EncoderStart":
        if weights in ("none", "imagenet"):
            return cls(weights)
        from training.encoder_weights import WEIGHTS_NAME  # the file name the npm fetch writes

        return cls("npm" if Path(weights).name == WEIGHTS_NAME else "path", str(weights))


def _mobilenet(size: int, width: float, weights: str,
               offline: Callable[[], str] | None) -> tuple[keras.Model, EncoderStart]:
    """The backbone and what its weights started from. ``offline`` names other weights (a path,
    or ``none``) when Keras' ImageNet download fails."""
    if weights == "none":
        return (keras.applications.MobileNetV2((size, size, 3), alpha=width, include_top=False, weights=None),
                EncoderStart("none"))
    if weights != "imagenet" and not Path(weights).exists():
        raise FileNotFoundError(f"encoder weights file {weights} does not exist")
    try:
        return (keras.applications.MobileNetV2((size, size, 3), alpha=width, include_top=False, weights=weights),
                EncoderStart.of(weights))
    except Exception as exc:  # offline: the ImageNet download fails with an URL/HTTP error
        if weights != "imagenet":
            raise
        fallback = offline() if offline else "none"
        log.warning("MobileNetV2 ImageNet weights could not be downloaded (%s); the encoder starts from %s.",
                    exc, "random weights" if fallback == "none" else fallback)
        return _mobilenet(size, width, fallback, None)


def build_encoder(size: int, width: float, weights: str, bn_momentum: float,
                  offline: Callable[[], str] | None = None) -> tuple[keras.Model, EncoderStart]:
    backbone, pretrained = _mobilenet(size, width, weights, offline)
    outputs = [backbone.get_layer(name).output for name in (*SKIP_LAYERS, ENCODER_OUTPUT)]
    encoder = keras.Model(backbone.input, outputs, name=ENCODER_NAME)
    for layer in encoder.layers:
        if isinstance(layer, layers.BatchNormalization):
            layer.momentum = bn_momentum
    return encoder, pretrained


def _decoder_block(x, skip, filters: int, name: str, bn_momentum: float):
    x = layers.UpSampling2D(2, interpolation="bilinear", name=f"{name}_up")(x)
    x = layers.Concatenate(name=f"{name}_concat")([x, skip])
    for i in (1, 2):
        x = layers.SeparableConv2D(filters, 3, padding="same", use_bias=False, name=f"{name}_sepconv{i}")(x)
        x = layers.BatchNormalization(momentum=bn_momentum, name=f"{name}_bn{i}")(x)
        x = layers.ReLU(name=f"{name}_relu{i}")(x)
    return x


def build_student(size: int = 128, width: float = 1.0, decoder_filters=(96, 64, 48, 32),
                  encoder_weights: str = "none", bn_momentum: float = 0.9,
                  offline_weights: Callable[[], str] | None = None, *,
                  num_classes: int) -> tuple[keras.Model, EncoderStart]:
    """(model, what the encoder started from: truthy when pretrained). Input: (size, size, 3) float 0..255; output:
    ``num_classes`` logits per pixel (``len(ClassList)``: background included).
    ``encoder_weights``: imagenet (Keras' download; ``offline_weights()`` where it fails), none, or a path."""
    if num_classes < 2:
        raise ValueError(f"a student needs background and at least one product class, got {num_classes} outputs")
    if size % 32:
        raise ValueError(f"image size must be a multiple of 32, got {size}")
    if len(decoder_filters) != len(SKIP_LAYERS):
        raise ValueError(f"decoder_filters needs {len(SKIP_LAYERS)} entries, got {decoder_filters}")
    encoder, pretrained = build_encoder(size, width, encoder_weights, bn_momentum, offline_weights)
    inputs = keras.Input((size, size, 3), name="image")
    x = layers.Rescaling(1 / 127.5, offset=-1.0, name="to_minus1_1")(inputs)  # what MobileNetV2 expects
    *skips, x = encoder(x)
    for i, (skip, filters) in enumerate(zip(reversed(skips), decoder_filters)):
        x = _decoder_block(x, skip, filters, f"decoder{i}", bn_momentum)
    x = layers.UpSampling2D(2, interpolation="bilinear", name="to_input_size")(x)
    outputs = layers.Conv2D(num_classes, 1, name="logits")(x)
    return keras.Model(inputs, outputs, name="student"), pretrained
