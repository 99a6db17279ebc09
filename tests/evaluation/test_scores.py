"""Metrics on hand-made masks whose answers are worked out by hand."""

import pytest

from evaluation.coco_map import box_map50
from evaluation.scores import Predictions, product_iou, score
from prodseg.instances import detect
from tests.prodseg.test_instances import one_hot_probs, square


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
