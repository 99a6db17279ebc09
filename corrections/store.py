"""The corrections folder: one class-index PNG per corrected mask and a row per decision.

``data/corrections/corrections.parquet`` holds every decision ever made (an audit trail); the latest
one per image wins. A decision's PNG and its row are swapped in together (``all_or_nothing``), so a
server or browser dying halfway leaves either both or neither. Writers take the folder's own lock,
not the data folder's: reviewing must not wait for a training run.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import pandas as pd
from PIL import Image

from prodseg.classes import ClassList
from prodseg.fileio import all_or_nothing, atomic_write_bytes, atomic_write_parquet
from prodseg.locks import exclusive
from prodseg.settings import Settings

DECISIONS = ("accept", "reject", "correct")
COLUMNS = {"image_sha256": "string", "decision": "string", "class_name": "string", "class_id": "Int64",
           "mask_path": "string", "who": "string", "at": "string", "replaces": "string", "source": "string"}
LOCK_NAME = ".corrections.lock"
# How the split and training find a corrected mask: manifest mask paths are relative to data/labels.
FROM_LABELS = "../corrections/"


class BadDecision(ValueError):
    """A decision the store refuses (unknown image or class, a mask of the wrong size)."""


def corrections_path(settings: Settings) -> Path:
    return settings.corrections_dir / "corrections.parquet"


def read_table(path: Path, columns: dict[str, str]) -> pd.DataFrame:
    """A corrections-folder table with its column types; empty (typed) before the first write."""
    if not path.exists():
        return pd.DataFrame({c: pd.Series(dtype=t) for c, t in columns.items()})
    return pd.read_parquet(path).astype(columns)


def read_corrections(settings: Settings) -> pd.DataFrame:
    return read_table(corrections_path(settings), COLUMNS)


def latest(corrections: pd.DataFrame) -> pd.DataFrame:
    """The decision in force per image: the last one written."""
    return corrections.drop_duplicates("image_sha256", keep="last").set_index("image_sha256")


@dataclass
class Decision:
    image_sha256: str
    decision: str
    class_name: str | None = None      # None: the label's class
    mask: np.ndarray | None = None     # H x W bool foreground, for "correct"
    who: str = "unknown"
    source: str = "review"


def record(settings: Settings, labels: pd.DataFrame, d: Decision) -> dict:
    """Write ``d`` (checked against the image's label row in ``labels``) and return its row."""
    if d.decision not in DECISIONS:
        raise BadDecision(f"decision must be one of {DECISIONS}, got {d.decision!r}")
    match = labels[labels["image_sha256"] == d.image_sha256]
    if match.empty:
        raise BadDecision(f"no label for image {d.image_sha256!r}")
    label = match.iloc[0]
    name = d.class_name or label["class_name"]
    classes = ClassList.load(settings.label_classes_path)   # the labels' own list, not the demo's
    if name not in classes:
        raise BadDecision(f"class must be one of {list(classes.products)}, got {name!r}")
    at = datetime.now(timezone.utc)
    mask_rel = ""
    if d.decision == "correct":
        shape = (int(label["height"]), int(label["width"]))
        if d.mask is None or d.mask.shape != shape:
            got = None if d.mask is None else d.mask.shape
            raise BadDecision(f"a correction needs a {shape[1]}x{shape[0]} mask, got {got}")
        if not d.mask.any():
            raise BadDecision("the corrected mask is empty: reject the image instead")
        # A new file per decision: an earlier row keeps pointing at the mask it recorded.
        mask_rel = f"masks/{d.image_sha256}-{at.strftime('%Y%m%dT%H%M%S%f')}.png"
    elif d.decision == "accept" and not isinstance(label["mask_path"], str):
        raise BadDecision("the teacher left no mask to accept: correct it instead")
    elif d.decision == "accept" and name != label["class_name"]:
        # A new class with the teacher's outline: the mask's class index must change too.
        teacher = np.asarray(Image.open(settings.labels_dir / label["mask_path"]))
        return record(settings, labels, Decision(d.image_sha256, "correct", name, (teacher > 0) & (teacher != 255),
                                                 d.who, d.source))
    row = {"image_sha256": d.image_sha256, "decision": d.decision, "class_name": name,
           "class_id": classes.id(name), "mask_path": mask_rel, "who": d.who[:64],
           "at": at.isoformat(timespec="microseconds"), "replaces": str(label.get("labeller_key") or ""),
           "source": d.source}
    with exclusive(settings.corrections_dir / LOCK_NAME, "prodseg review", 10.0, "corrections lock"):
        table = pd.concat([read_corrections(settings), pd.DataFrame([row]).astype(COLUMNS)], ignore_index=True)
        with all_or_nothing():
            if mask_rel:
                buffer = io.BytesIO()
                Image.fromarray(np.where(d.mask, row["class_id"], 0).astype(np.uint8)).save(buffer, "PNG")
                atomic_write_bytes(settings.corrections_dir / mask_rel, buffer.getvalue())
            atomic_write_parquet(corrections_path(settings), table)
    return row


def apply_corrections(labels: pd.DataFrame, corrections: pd.DataFrame) -> pd.DataFrame:
    """``labels`` with each image's latest human decision in place of the teacher's.

    accept: the teacher's mask is usable (a rejected photo included); correct: the person's mask;
    reject: the image is out. A class change moves the label's class and its mask's class index.
    """
    out = labels.copy()
    out["corrected"] = False
    if corrections.empty:
        return out
    in_force = latest(corrections)
    hit = out["image_sha256"].isin(in_force.index)
    for i in out.index[hit]:
        c = in_force.loc[out.at[i, "image_sha256"]]
        out.at[i, "corrected"] = True
        out.at[i, "accepted"] = c["decision"] != "reject"
        out.at[i, "reason"] = "rejected_by_person" if c["decision"] == "reject" else None
        out.at[i, "class_name"] = c["class_name"]
        out.at[i, "class_id"] = c["class_id"]
        if c["decision"] == "correct":
            out.at[i, "mask_path"] = FROM_LABELS + c["mask_path"]
    return out


def corrections_summary(settings: Settings) -> dict:
    """Decisions in force per kind, for the CLI, the Dagster asset and the DVC stage; creates the
    folder with an empty table on first use, so DVC and the split always find it."""
    path = corrections_path(settings)
    if not path.exists():
        atomic_write_parquet(path, read_corrections(settings))
    table = read_corrections(settings)
    in_force = latest(table)["decision"].value_counts().to_dict()
    return {"decisions": len(table), "images": int(table["image_sha256"].nunique()),
            **{d: int(in_force.get(d, 0)) for d in DECISIONS}, "path": str(path)}
