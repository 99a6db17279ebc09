"""The browser's copy of the served TFLite file: batch fixed to one, otherwise the same model."""

from __future__ import annotations

import numpy as np
import pytest

from release.browser import fixed_batch, signature
from release.tflite import make_interpreter


def test_fixed_batch_runs_the_same_model_with_a_batch_of_one(student_int8):
    original = student_int8.read_bytes()
    assert any(shape and shape[0] == -1 for shape in signature(original))  # the export's dynamic batch

    browser = fixed_batch(original)
    assert len(browser) == len(original)
    assert not any(shape and shape[0] == -1 for shape in signature(browser))

    pixels = np.random.default_rng(0).integers(0, 256, (1, *make_interpreter(original).get_input_details()[0]
                                                         ["shape"][1:]), dtype=np.uint8)
    outputs = []
    for model in (original, browser):
        interpreter = make_interpreter(model)
        interpreter.set_tensor(interpreter.get_input_details()[0]["index"], pixels)
        interpreter.invoke()
        assert list(interpreter.get_input_details()[0]["shape_signature"]) == [1, *pixels.shape[1:]] \
            or model is original
        outputs.append(interpreter.get_tensor(interpreter.get_output_details()[0]["index"]))
    np.testing.assert_array_equal(outputs[0], outputs[1])


def test_fixed_batch_refuses_a_file_that_is_not_tflite():
    with pytest.raises(ValueError, match="not a TFLite flatbuffer"):
        fixed_batch(b"PK\x03\x04 a zip, not a model")
