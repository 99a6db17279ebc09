import numpy as np
import pandas as pd

from labelling.review import overlay, pick_for_review


def test_review_picks_rejected_and_the_least_certain_accepted_labels():
    labels = pd.DataFrame({"score": [0.1, 0.2, 0.3, 0.9, 0.6, 0.7, 0.8],
                           "accepted": [False, False, False, True, True, True, True]})
    picked = pick_for_review(labels, 4)
    assert picked["score"].tolist() == [0.1, 0.2, 0.6, 0.7]
    assert pick_for_review(labels.iloc[3:], 3)["score"].tolist() == [0.6, 0.7, 0.8]


def test_overlay_tints_the_mask_and_scales_to_the_thumbnail():
    image = np.full((100, 200, 3), 200, np.uint8)
    mask = np.zeros((100, 200), bool)
    mask[20:80, 50:150] = True
    out = np.asarray(overlay(image, mask, size=100))
    assert out.shape == (50, 100, 3)
    assert out[25, 50, 0] > out[25, 50, 1] and (out[2, 2] == 200).all()


def test_teacher_counts_say_who_drew_what_and_what_was_kept():
    from labelling.review import teacher_counts

    labels = pd.DataFrame({"teacher": ["grabcut", "isnet", "isnet", None],
                           "accepted": [True, True, False, False]})
    assert teacher_counts(labels) == [{"teacher": "grabcut", "labels": 1, "accepted": 1},
                                      {"teacher": "isnet", "labels": 2, "accepted": 1}]
