"""How often the teacher agreed with people: a second audit that works on real shops (no true masks).

Per image people decided: an accept is full agreement (IoU 1), a correction scores the teacher's mask
against the person's (foreground IoU), a reject is counted apart (the teacher's mask was unusable).
Whether the teacher had accepted the label is compared with the person's decision too.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from PIL import Image

from corrections.store import latest, read_corrections
from prodseg.settings import Settings


def _foreground(path) -> np.ndarray:
    mask = np.asarray(Image.open(path))
    return (mask > 0) & (mask != 255)


def teacher_people_agreement(settings: Settings) -> dict | None:
    """None when nobody reviewed; else per-class mean IoU teacher vs people and decision agreement."""
    decided = latest(read_corrections(settings))
    if decided.empty:
        return None
    labels = pd.read_parquet(settings.labels_path).set_index("image_sha256")
    rows = []
    for sha, c in decided.iterrows():
        if sha not in labels.index:
            continue
        label = labels.loc[sha]
        iou = None
        if c["decision"] == "accept":
            iou = 1.0
        elif c["decision"] == "correct" and isinstance(label["mask_path"], str):
            teacher = _foreground(settings.labels_dir / label["mask_path"])
            person = _foreground(settings.corrections_dir / c["mask_path"])
            union = (teacher | person).sum()
            iou = float((teacher & person).sum() / union) if union else 1.0
        rows.append({"class_name": c["class_name"], "iou": iou, "decision": c["decision"],
                     "same_decision": bool(label["accepted"]) == (c["decision"] != "reject")})
    table = pd.DataFrame(rows)
    if table.empty:
        return None
    scored = table.dropna(subset=["iou"])
    per_class = {k: round(float(v), 4) for k, v in scored.groupby("class_name")["iou"].mean().items()}
    return {"images": len(table), "mean_iou": round(float(scored["iou"].mean()), 4) if len(scored) else None,
            "per_class_iou": per_class, "decisions": table["decision"].value_counts().to_dict(),
            "accept_decision_agreement": round(float(table["same_decision"].mean()), 4)}
