import numpy as np

from training.metrics import (MeanIoUPresent, confusion, foreground_dice, iou_per_class, mean_iou,
                              pixel_accuracy)


def test_numpy_metrics_on_hand_made_masks():
    true = np.array([[0, 0, 1, 1],
                     [0, 0, 1, 1]])
    pred = np.array([[0, 0, 1, 0],
                     [0, 3, 1, 1]])
    cm = confusion(true, pred, 4)
    ious = iou_per_class(cm)
    assert ious[0] == 3 / 5 and ious[1] == 3 / 4 and ious[3] == 0.0 and np.isnan(ious[2])
    assert mean_iou(cm) == (3 / 5 + 3 / 4 + 0.0) / 3     # class 2 absent from both: not averaged
    assert pixel_accuracy(cm) == 6 / 8
    assert foreground_dice(true, pred) == 2 * 3 / (4 + 4)
    assert foreground_dice(np.zeros((2, 2)), np.zeros((2, 2))) == 1.0


def test_keras_mean_iou_matches_numpy():
    rng = np.random.default_rng(0)
    true = rng.integers(0, 9, (2, 8, 8))
    logits = rng.normal(size=(2, 8, 8, 9)).astype("float32")
    metric = MeanIoUPresent(9)
    metric.update_state(true[:1], logits[:1])
    metric.update_state(true[1:], logits[1:])  # accumulates across batches
    expected = mean_iou(confusion(true, logits.argmax(-1), 9))
    assert abs(float(metric.result()) - expected) < 1e-6
