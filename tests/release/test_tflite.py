"""TFLite export of a tiny student in all three variants, checked against Keras."""

import keras
import numpy as np
import pytest

from release.tflite import VARIANTS, TfliteSegmenter, convert
from training.model import build_student


@pytest.fixture(scope="module")
def tiny():
    keras.utils.set_random_seed(1)
    model, _ = build_student(64, width=0.35, decoder_filters=(16, 16, 8, 8), num_classes=9)
    images = np.random.default_rng(1).uniform(0, 255, (6, 64, 64, 3)).astype(np.float32)
    return model, images


def test_all_variants_convert_run_and_agree_with_keras(tiny):
    model, images = tiny
    keras_logits = model.predict(images, verbose=0)

    def representative():
        for image in images:
            yield [image[None]]

    sizes = {}
    for variant in VARIANTS:
        blob = convert(model, variant, representative)
        sizes[variant] = len(blob)
        segmenter = TfliteSegmenter(blob)
        logits = np.stack([segmenter.logits(image) for image in images])
        assert logits.shape == keras_logits.shape
        if variant == "int8":
            assert segmenter.input["dtype"] == np.uint8  # raw camera pixels in
            # Quantised logits follow the float ones closely on the scale of their spread.
            assert np.corrcoef(logits.ravel(), keras_logits.ravel())[0, 1] > 0.9
        else:
            assert np.abs(logits - keras_logits).max() < 0.05 * np.abs(keras_logits).max() + 1e-3
            assert (logits.argmax(-1) == keras_logits.argmax(-1)).mean() > 0.95
    assert sizes["int8"] < sizes["fp16"] < sizes["fp32"]


def test_int8_needs_a_representative_dataset_and_unknown_variants_are_refused(tiny):
    model, _ = tiny
    with pytest.raises(ValueError, match="representative"):
        convert(model, "int8")
    with pytest.raises(ValueError, match="unknown TFLite variant"):
        convert(model, "int4")
