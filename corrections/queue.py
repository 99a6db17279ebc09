"""The review queue: the images where a person's look is worth the most, first.

Order: photos shoppers flagged (most flags first), then the teacher's rejects, then teacher
disagreements (lowest agreement between two teachers), then the least confident accepted labels.
Decided images follow, so a reloaded page still shows what was decided.
"""

from __future__ import annotations

import pandas as pd

from corrections.flags import read_flags
from corrections.store import latest, read_corrections
from prodseg.settings import Settings


def read_labels(settings: Settings) -> pd.DataFrame:
    return pd.read_parquet(settings.labels_path)


def review_queue(settings: Settings, limit: int | None = None) -> list[dict]:
    labels = read_labels(settings)
    decided = latest(read_corrections(settings))
    flags = read_flags(settings)
    # A flag counts until a person decides the image after it was made.
    flags = flags.merge(decided[["at"]].rename(columns={"at": "decided_at"}), how="left",
                        left_on="image_sha256", right_index=True)
    open_flags = flags[flags["decided_at"].isna() | (flags["at"] > flags["decided_at"])]
    flag_counts = open_flags.groupby("image_sha256").size()
    agreement = labels["agreement"] if "agreement" in labels else pd.Series(float("nan"), labels.index)
    queue = pd.DataFrame({
        "image_sha256": labels["image_sha256"], "class_name": labels["class_name"],
        "score": labels["score"].astype(float), "accepted": labels["accepted"].astype(bool),
        "reason": labels["reason"].where(labels["reason"].notna(), None),
        "agreement": agreement.astype(float),
        "has_mask": labels["mask_path"].map(lambda p: isinstance(p, str)),
    })
    queue["flags"] = queue["image_sha256"].map(flag_counts).fillna(0).astype(int)
    queue["decision"] = queue["image_sha256"].map(decided["decision"]).astype(object)
    queue["decided_class"] = queue["image_sha256"].map(decided["class_name"]).astype(object)
    queue["open"] = queue["decision"].isna() | (queue["flags"] > 0)
    queue = queue.sort_values(
        ["open", "flags", "accepted", "agreement", "score", "image_sha256"],
        ascending=[False, False, True, True, True, True], na_position="last", kind="stable")
    if limit is not None:
        queue = queue.head(limit)
    rows = queue.drop(columns=["open"]).astype(object).where(queue.drop(columns=["open"]).notna(), None)
    return rows.to_dict("records")
