"""Label Studio round trip: export the queue with the teacher's masks, decode them with the library,
import an edited export, and the corrections hold the edited masks."""

import json

import numpy as np
from PIL import Image

from corrections.label_studio import brush_result, decode_result, export_tasks, import_export, label_config
from corrections.store import read_corrections
from tests.corrections.conftest import CLASSES, labels


def test_the_labelling_config_offers_the_labels_classes():
    config = label_config(CLASSES)
    assert config.count("<Label ") == 6 and '<Label value="bowl"/>' in config and "wine-glass" not in config


def test_export_decode_import_round_trip(settings, tmp_path):
    out = tmp_path / "tasks.json"
    table = labels(settings).set_index("image_sha256")
    assert export_tasks(settings, out, "http://127.0.0.1:8081/") == len(table)
    tasks = json.loads(out.read_text())
    for task in tasks:
        row = table.loc[task["data"]["sha256"]]
        assert task["data"]["image"] == f"http://127.0.0.1:8081/{row['image_path']}"
        teacher = np.asarray(Image.open(settings.labels_dir / row["mask_path"])) > 0
        region = task["predictions"][0]["result"][0]
        np.testing.assert_array_equal(decode_result(region), teacher)   # the library decodes what we encoded
        assert region["value"]["brushlabels"] == [row["class_name"]]
    # Someone corrects the first task (a new shape, another class) and rejects the second in Label Studio.
    edited = np.zeros_like(decode_result(tasks[0]["predictions"][0]["result"][0]))
    edited[3:20, 5:40] = True
    tasks[0]["annotations"] = [{"completed_by": 7, "result": [brush_result(edited, "bed")]}]
    tasks[1]["annotations"] = [{"completed_by": 7, "result": []}]
    tasks[2]["annotations"] = [{"completed_by": 7, "was_cancelled": True, "result": []}]
    exported = tmp_path / "export.json"
    exported.write_text(json.dumps(tasks))
    assert import_export(settings, exported) == {"correct": 1, "reject": 1, "skipped": len(tasks) - 2}
    rows = read_corrections(settings).set_index("image_sha256")
    first = rows.loc[tasks[0]["data"]["sha256"]]
    assert first["decision"] == "correct" and first["class_name"] == "bed" and first["who"] == "label-studio:7"
    stored = np.asarray(Image.open(settings.corrections_dir / first["mask_path"]))
    np.testing.assert_array_equal(stored, np.where(edited, 3, 0))   # bed = 3
    assert rows.loc[tasks[1]["data"]["sha256"], "decision"] == "reject"
