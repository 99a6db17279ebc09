"""Instances of a predicted class map: blobs, class vote, scores, boxes (shared by evaluation, release and
serving)."""

import numpy as np
import pytest

from prodseg.instances import Detection, box_from_mask, class_map, detect


def square(shape=(8, 8), rows=(2, 6), cols=(2, 6), value=1) -> np.ndarray:
    out = np.zeros(shape, np.uint8)
    out[rows[0]:rows[1], cols[0]:cols[1]] = value
    return out


def one_hot_probs(classes: np.ndarray, n: int = 9, confidence: float = 0.9) -> np.ndarray:
    probs = np.full((*classes.shape, n), (1 - confidence) / (n - 1), np.float32)
    np.put_along_axis(probs, classes[..., None].astype(np.int64), confidence, axis=-1)
    return probs


def test_box_is_exclusive_and_none_for_empty():
    assert box_from_mask(square((20, 20), rows=(2, 5), cols=(3, 9)).astype(bool)) == (3, 2, 9, 5)
    assert box_from_mask(np.zeros((4, 4), bool)) is None


def test_detect_votes_one_class_per_blob_and_drops_specks():
    classes = square(shape=(32, 32), rows=(4, 20), cols=(4, 20), value=1)
    classes[4:8, 4:20] = 3                              # a quarter of the sofa looks like a bed
    classes[28, 28] = 5                                 # a one-pixel speck
    found = detect(one_hot_probs(classes), min_frac=0.002)
    assert len(found) == 1
    assert found[0].class_id == 1 and found[0].box == (4, 4, 20, 20) and found[0].area == 256
    assert found[0].score == pytest.approx(0.9 * 0.75 + 0.1 / 8 * 0.25)
    cleaned = class_map(found, classes.shape)
    assert set(np.unique(cleaned)) == {0, 1}
    per_class = detect(one_hot_probs(classes), min_frac=0.0, class_vote=False)
    assert sorted(d.class_id for d in per_class) == [1, 3, 5]


def test_class_map_lets_larger_instances_win_overlaps():
    big = Detection(1, 0.9, (0, 0, 4, 4), square((4, 4), (0, 4), (0, 4)).astype(bool))
    small = Detection(2, 0.9, (0, 0, 2, 2), square((4, 4), (0, 2), (0, 2)).astype(bool))
    assert (class_map([big, small], (4, 4)) == 1).all()
