"""Two teachers, one decision: GrabCut first (fast), IS-Net where GrabCut is not confident.

Where both ran, their mask IoU is the label's ``agreement``. Two different methods drawing the same
outline is strong evidence that the outline is right, so high agreement makes the label confident. Low
agreement says little: GrabCut was unsure there by construction, and on the demo shop's room shots its
masks matched IS-Net's at 0.32 on average whether IS-Net was right or not (agreement added nothing to the
fitted IS-Net score). So disagreement leaves IS-Net's own score as it is.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from labelling.instances import Instance, mask_iou

AGREE = 0.9  # two teachers this close: the label is as confident as their agreement


def combined_score(score: float, agreement: float) -> float:
    """IS-Net's score, raised to the agreement where the two teachers agree closely, never lowered."""
    return round(max(score, agreement) if agreement >= AGREE else score, 4)


class CascadeLabeller:
    name = "cascade"

    def __init__(self, first, second, confident: float):
        self.first, self.second, self.confident = first, second, confident
        self.teachers = (first, second)

    @property
    def weights_path(self):
        return self.second.weights_path

    def key(self) -> str:
        return f"cascade-{self.first.key()}-{self.second.key()}-c{self.confident}"

    def label(self, image: np.ndarray, category: str | None) -> list[Instance]:
        fast = self.first.label(image, category)
        if fast and fast[0].score >= self.confident:
            return [replace(fast[0], source=self.first.name)]
        (deep,) = self.second.label(image, category)
        deep = replace(deep, source=self.second.name)
        if not fast:  # GrabCut found nothing to compare with
            return [deep]
        agreement = round(mask_iou(fast[0].mask, deep.mask), 4)
        return [replace(deep, agreement=agreement, score=combined_score(deep.score, agreement))]
