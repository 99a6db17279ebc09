"""The weak cut-out check: each sign on its own, at its threshold, and the settings that hold the thresholds."""

import numpy as np
import pytest

from prodseg.settings import ConfigError, Settings
from labelling.features import border_share
from serving.quality import Thresholds, class_label, cutout_warnings, header_values, thresholds

LIMITS = Thresholds(min_score=0.6, max_border=0.25)


def codes(*args, **kwargs) -> list[str]:
    return [w.code for w in cutout_warnings(*args, **kwargs)]


def test_border_share_counts_the_outermost_ring_once():
    mask = np.zeros((10, 20), bool)
    assert border_share(mask) == 0
    mask[0] = True  # the top row: 20 of the ring's 2 * 20 + 2 * 8 = 56 pixels
    assert border_share(mask) == pytest.approx(20 / 56)
    mask[:, 0] = True  # plus the left column's other 9
    assert border_share(mask) == pytest.approx(29 / 56)
    assert border_share(np.ones((3, 3), bool)) == 1
    with pytest.raises(ValueError, match="2-D mask at least 2x2"):
        border_share(np.ones(5, bool))


def test_each_sign_alone_makes_a_cut_out_weak():
    assert codes(0.9, 0.0, "vase", "vase", LIMITS) == []
    assert codes(0.6, 0.25, "vase", None, LIMITS) == []  # thresholds themselves are fine
    assert codes(0.59, 0.0, "vase", "vase", LIMITS) == ["low_score"]
    assert codes(0.9, 0.26, "vase", "vase", LIMITS) == ["touches_border"]
    assert codes(0.9, 0.0, "potted-plant", "vase", LIMITS) == ["class_mismatch"]
    # A catalog class the model cannot name is no claim: the routes pass None (tests/serving/test_classes.py).
    assert codes(0.9, 0.0, "potted-plant", None, LIMITS) == []
    assert codes(0.3, 0.9, "chair", "couch", LIMITS) == ["low_score", "touches_border", "class_mismatch"]


def test_reasons_are_in_peoples_words_and_fit_a_header():
    warnings = cutout_warnings(0.35, 0.5, "potted-plant", "wine-glass", LIMITS, judge="the teacher")
    texts = [w.text for w in warnings]
    assert texts[0] == "the teacher is unsure (score 0.35, below 0.60)"
    assert "50% of the photo's edge" in texts[1]
    assert texts[2] == "the model saw a potted plant, the shop sells a wine glass"
    headers = header_values(warnings)
    assert headers["X-Cutout-Warnings"] == "low_score,touches_border,class_mismatch"
    assert headers["X-Cutout-Warning-Text"].split("; ") == texts
    assert all(value.isascii() for value in headers.values())
    assert header_values([]) == {}
    assert class_label("potted-plant") == "Potted plant" and class_label("couch") == "Couch"
    assert class_label("table") == "Table" and class_label("floor-lamps") == "Floor lamps"   # any shop's class


def test_thresholds_come_from_settings_and_are_range_checked():
    serve = Settings.load({"serve": {"warn_score": 0.4, "warn_border": 0.1}}, environ={}).config.serve
    assert thresholds(serve) == Thresholds(0.4, 0.1)
    with pytest.raises(ConfigError, match="warn_border"):
        Settings.load({"serve": {"warn_border": 1.5}}, environ={})
