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
    labels = pd.DataFrame({"image_sha256": ["a", "b", "c"], "class_name": ["cup", "couch", "couch"],
                           "mask_path": ["masks/a.png", "masks/b.png", None], "score": [0.9, 0.3, 0.0],
                           "accepted": [True, False, False]})
    truth = pd.DataFrame({"image_sha256": ["a", "b", "c"], "true_mask": ["masks/a.png", "masks/b.png", "masks/c.png"],
                          "shot": ["studio", "lifestyle", "studio"], "true_class": ["cup", "couch", "couch"]})
    audit = per_image_iou(labels, labels_dir, truth, truth_dir)
    assert audit.set_index("image_sha256")["iou"].to_dict() == {"a": 1.0, "b": 0.5}
    summary = summarize(audit)
    assert summary["mean_iou"] == 0.75 and summary["mean_iou_accepted"] == 1.0
    assert summary["per_class"] == {"couch": 0.5, "cup": 1.0}
    assert summary["per_shot"] == {"lifestyle": 0.5, "studio": 1.0}
    assert summary["lifestyle_flagged_share"] == 1.0 and summary["studio_accepted_share"] == 1.0
    assert summary["class_accuracy"] == 1.0
