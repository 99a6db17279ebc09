"""Label Studio, for teams that already use it: the review queue out as tasks with the teacher's masks as
brush pre-annotations, and Label Studio's export back in as corrections.

The brush RLE is Label Studio's own (``label_studio_converter.brush``), never a hand-written encoder.
Image URLs point at a file server over ``data/raw`` (``python -m http.server -d data/raw 8081``).
"""

from __future__ import annotations

import json
from xml.sax.saxutils import escape
from pathlib import Path

import numpy as np
import pandas as pd
from label_studio_converter import brush
from PIL import Image

from corrections.queue import read_labels, review_queue
from corrections.store import BadDecision, Decision, record
from prodseg.classes import ClassList
from prodseg.fileio import atomic_write_json
from prodseg.settings import Settings

FROM_NAME, TO_NAME = "mask", "image"


def label_config(classes: ClassList) -> str:
    """The labelling config to paste into the Label Studio project, so names and the labels' classes match."""
    labels = "".join(f'<Label value="{escape(c)}"/>' for c in classes.products)
    return (f'<View><Image name="{TO_NAME}" value="$image" zoom="true"/><BrushLabels name="{FROM_NAME}" '
            f'toName="{TO_NAME}">{labels}</BrushLabels></View>')


def brush_result(mask: np.ndarray, class_name: str) -> dict:
    """One Label Studio brush region: ``mask`` (H x W bool) as the library's RLE."""
    height, width = mask.shape
    return {"from_name": FROM_NAME, "to_name": TO_NAME, "type": "brushlabels",
            "original_width": width, "original_height": height, "image_rotation": 0,
            "value": {"format": "rle", "rle": brush.mask2rle(mask.astype(np.uint8) * 255),
                      "brushlabels": [class_name]}}


def decode_result(result: dict) -> np.ndarray:
    """A brush region back to an H x W bool mask (the library decodes to RGBA bytes)."""
    height, width = int(result["original_height"]), int(result["original_width"])
    rgba = brush.decode_rle(result["value"]["rle"]).reshape(height, width, 4)
    return rgba[..., 3] > 0


def export_tasks(settings: Settings, out: Path, image_url_base: str) -> int:
    """The review queue as Label Studio tasks; returns how many."""
    labels = read_labels(settings).set_index("image_sha256")
    tasks = []
    for item in review_queue(settings, settings.config.review.queue_size):
        row = labels.loc[item["image_sha256"]]
        task = {"data": {"image": image_url_base.rstrip("/") + "/" + row["image_path"],
                         "sha256": item["image_sha256"], "teacher_class": row["class_name"]}}
        if isinstance(row["mask_path"], str):
            teacher = np.asarray(Image.open(settings.labels_dir / row["mask_path"]))
            task["predictions"] = [{"model_version": str(row.get("labeller_key") or "teacher"),
                                    "score": float(row["score"]),
                                    "result": [brush_result((teacher > 0) & (teacher != 255), row["class_name"])]}]
        tasks.append(task)
    atomic_write_json(out, tasks)
    return len(tasks)


def import_export(settings: Settings, path: Path) -> dict[str, int]:
    """A Label Studio JSON export -> corrections: a task's latest kept annotation with brush regions is a
    correction (their union, the first region's class); one without regions is a reject."""
    tasks = json.loads(Path(path).read_text(encoding="utf-8"))
    if not isinstance(tasks, list):
        raise BadDecision(f"{path}: expected Label Studio's JSON export (a list of tasks)")
    labels: pd.DataFrame = read_labels(settings)
    counts = {"correct": 0, "reject": 0, "skipped": 0}
    for task in tasks:
        sha = (task.get("data") or {}).get("sha256")
        annotations = [a for a in task.get("annotations") or [] if not a.get("was_cancelled")]
        if not sha or not annotations:
            counts["skipped"] += 1
            continue
        annotation = annotations[-1]
        regions = [r for r in annotation.get("result") or [] if r.get("type") == "brushlabels"]
        who = f"label-studio:{annotation.get('completed_by', 'unknown')}"
        if regions:
            mask = np.logical_or.reduce([decode_result(r) for r in regions])
            class_name = (regions[0]["value"].get("brushlabels") or [None])[0]
            record(settings, labels, Decision(sha, "correct", class_name, mask, who, "label-studio"))
            counts["correct"] += 1
        else:
            record(settings, labels, Decision(sha, "reject", None, None, who, "label-studio"))
            counts["reject"] += 1
    return counts
