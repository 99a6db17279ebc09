"""Metrics on hand-made masks whose answers are worked out by hand."""

import pytest

import numpy as np

from evaluation.baselines import AverageMask
from evaluation.candidates import served_mean_iou
from evaluation.coco_map import box_map50
from evaluation.data import ref_id
from prodseg.classes import ClassList
from prodseg.settings import EvaluateConfig
from evaluation.scores import Predictions, product_iou, score
from prodseg.instances import detect
from tests.prodseg.test_instances import one_hot_probs, square


def test_shifted_square_scores_iou_dice_and_accuracy_by_hand():
    ref, pred = square(), square(cols=(3, 7))          # 16 px each, 12 shared, union 20
    preds = Predictions(pred[None], [detect(one_hot_probs(pred))])
    result = score(preds, ref[None], ClassList(("couch", "chair")))
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


def test_a_truth_class_the_model_does_not_know_counts_as_wrong_class():
    """A shop photo of a `table`, scored on a model of couches and chairs: right shape, wrong class."""
    classes = ClassList(("couch", "chair"))
    assert ref_id(classes, "chair") == 2 and ref_id(classes, "table") == 3
    ref, pred = square(value=ref_id(classes, "table")), square(value=1)
    probs = one_hot_probs(pred, n=len(classes))
    result = score(Predictions(pred[None], [detect(probs)]), ref[None], classes)
    assert result["per_image_iou"] == [0.0] and result["foreground_iou"] == 1.0
    assert result["per_class_iou"] == {"couch": 0.0} and result["box_map50"] == 0.0
    assert served_mean_iou(probs[None], ref[None], EvaluateConfig()) == pytest.approx(np.mean([1.0, 0.0, 0.0]))
    # The average-mask baseline answers with the model's classes only, whatever the references hold.
    average = AverageMask(np.stack([ref, square(value=2)]), len(classes))
    assert average.class_id == 2 and average.probs(np.zeros((1, 8, 8, 3))).shape == (1, 8, 8, 3)


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
