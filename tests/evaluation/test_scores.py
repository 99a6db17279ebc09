"""Metrics on hand-made masks whose answers are worked out by hand."""

import numpy as np
import pytest

from evaluation.coco_map import box_map50
from evaluation.instances import Detection, class_map, detect
from evaluation.scores import Predictions, product_iou, score


def square(shape=(8, 8), rows=(2, 6), cols=(2, 6), value=1) -> np.ndarray:
    out = np.zeros(shape, np.uint8)
    out[rows[0]:rows[1], cols[0]:cols[1]] = value
    return out


def one_hot_probs(classes: np.ndarray, n: int = 9, confidence: float = 0.9) -> np.ndarray:
    probs = np.full((*classes.shape, n), (1 - confidence) / (n - 1), np.float32)
    np.put_along_axis(probs, classes[..., None].astype(np.int64), confidence, axis=-1)
    return probs


def test_shifted_square_scores_iou_dice_and_accuracy_by_hand():
    ref, pred = square(), square(cols=(3, 7))          # 16 px each, 12 shared, union 20
    preds = Predictions(pred[None], [detect(one_hot_probs(pred))])
    result = score(preds, ref[None])
    background_iou = 44 / 52                            # 64 - 20 px are background in both
    assert result["per_class_iou"] == {"couch": pytest.approx(0.6)}
    assert result["mean_iou"] == pytest.approx((0.6 + background_iou) / 2, abs=1e-4)
    assert result["foreground_iou"] == pytest.approx(0.6)
    assert result["dice"] == pytest.approx(0.75)        # 2 * 12 / (16 + 16)
    assert result["pixel_accuracy"] == pytest.approx(56 / 64)
    assert result["box_map50"] == pytest.approx(1.0)    # box IoU 0.6 >= 0.5, right class


def test_right_shape_with_the_wrong_class_scores_zero_product_iou():
    ref = square()
    assert product_iou(ref, square(value=2)) == 0.0
    assert product_iou(ref, ref) == 1.0


def test_box_map_cases():
    box = (0, 0, 4, 4)
    assert box_map50([[(1, box)]], [[(1, box, 0.9)]], (8, 8)) == pytest.approx(1.0)
    assert box_map50([[(1, box)]], [[(2, box, 0.9)]], (8, 8)) == 0.0             # wrong tag
    assert box_map50([[(1, box)]], [[(1, (3, 3, 7, 7), 0.9)]], (8, 8)) == 0.0    # box IoU 1/31
    # One of two products found, no false positives: precision 1 up to recall 0.5 -> 51 of COCO's 101 points.
    assert box_map50([[(1, box)], [(1, box)]], [[(1, box, 0.9)], []], (8, 8)) == pytest.approx(51 / 101)
    # A confident false positive ranked above the true hit halves precision at every recall.
    assert box_map50([[(1, box)], []], [[(1, box, 0.5)], [(1, box, 0.9)]], (8, 8)) == pytest.approx(0.5)
    assert box_map50([[], []], [[(1, box, 0.9)], []], (8, 8)) is None


def test_detect_votes_one_class_per_blob_and_drops_specks():
    classes = square(shape=(32, 32), rows=(4, 20), cols=(4, 20), value=1)
    classes[4:8, 4:20] = 3                              # a quarter of the sofa looks like a bed
    classes[28, 28] = 5                                 # a one-pixel speck
    found = detect(one_hot_probs(classes), min_frac=0.002)
    assert len(found) == 1
    assert found[0].label == "couch" and found[0].box == (4, 4, 20, 20) and found[0].area == 256
    assert found[0].score == pytest.approx(0.9 * 0.75 + 0.1 / 8 * 0.25)
    cleaned = class_map(found, classes.shape)
    assert set(np.unique(cleaned)) == {0, 1}
    per_class = detect(one_hot_probs(classes), min_frac=0.0, class_vote=False)
    assert sorted(d.label for d in per_class) == ["bed", "bowl", "couch"]


def test_class_map_lets_larger_instances_win_overlaps():
    big = Detection(1, 0.9, (0, 0, 4, 4), square((4, 4), (0, 4), (0, 4)).astype(bool))
    small = Detection(2, 0.9, (0, 0, 2, 2), square((4, 4), (0, 2), (0, 2)).astype(bool))
    assert (class_map([big, small], (4, 4)) == 1).all()
