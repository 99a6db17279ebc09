import numpy as np
import pandas as pd
from PIL import Image

from labelling.audit import per_image_iou, summarize


def write_mask(path, box, value=1, size=(10, 10)):
    m = np.zeros(size, np.uint8)
    y0, y1, x0, x1 = box
    m[y0:y1, x0:x1] = value
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(m).save(path)


def test_iou_per_image_and_summary_by_class_and_shot(tmp_path):
    labels_dir, truth_dir = tmp_path / "labels", tmp_path / "truth"
    # a: exact; b: half of the truth; c: no mask (rejected before a mask was drawn)
    write_mask(labels_dir / "masks/a.png", (0, 10, 0, 10), 6)
    write_mask(truth_dir / "masks/a.png", (0, 10, 0, 10), 6)
    write_mask(labels_dir / "masks/b.png", (0, 10, 0, 5), 1)
    write_mask(truth_dir / "masks/b.png", (0, 10, 0, 10), 1)
    write_mask(truth_dir / "masks/c.png", (0, 10, 0, 10), 1)
    # d: exact, but rejected (a good label acceptance missed)
    write_mask(labels_dir / "masks/d.png", (0, 10, 0, 10), 1)
    write_mask(truth_dir / "masks/d.png", (0, 10, 0, 10), 1)
    labels = pd.DataFrame({"image_sha256": ["a", "b", "c", "d"], "class_name": ["cup", "couch", "couch", "couch"],
                           "mask_path": ["masks/a.png", "masks/b.png", None, "masks/d.png"],
                           "score": [0.9, 0.3, 0.0, 0.4], "accepted": [True, False, False, False],
                           "teacher": ["grabcut", "isnet", None, "isnet"], "agreement": [None, 0.4, None, 0.9]})
    truth = pd.DataFrame({"image_sha256": ["a", "b", "c", "d"],
                          "true_mask": ["masks/a.png", "masks/b.png", "masks/c.png", "masks/d.png"],
                          "shot": ["studio", "lifestyle", "studio", "lifestyle"],
                          "true_class": ["cup", "couch", "couch", "couch"]})
    audit = per_image_iou(labels, labels_dir, truth, truth_dir)
    assert audit.set_index("image_sha256")["iou"].to_dict() == {"a": 1.0, "b": 0.5, "d": 1.0}
    summary = summarize(audit)
    assert summary["mean_iou"] == round(2.5 / 3, 4) and summary["mean_iou_accepted"] == 1.0
    assert summary["per_class"] == {"couch": 0.75, "cup": 1.0}
    assert summary["per_shot"] == {"lifestyle": 0.75, "studio": 1.0}
    assert summary["lifestyle_flagged_share"] == 1.0 and summary["studio_accepted_share"] == 1.0
    assert summary["class_accuracy"] == 1.0
    assert summary["accepted_good_share"] == 1.0 and summary["rejected_good_share"] == 0.5
    assert summary["per_teacher"]["isnet"] == {"images": 2, "accepted": 0, "mean_iou_accepted": None,
                                               "accepted_good_share": None}
    assert summary["per_teacher"]["grabcut"]["accepted_good_share"] == 1.0
