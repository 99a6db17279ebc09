"""Two teachers, one decision: GrabCut first (fast), IS-Net where GrabCut is not confident.

Where both ran, their mask IoU is the label's ``agreement``. Two different methods drawing the same
outline is evidence the outline is right, so agreement raises the confidence of IS-Net's mask; where
they disagree (GrabCut is unsure there by construction), IS-Net's own score stands.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from labelling.instances import Instance, mask_iou


def combined_score(score: float, agreement: float) -> float:
    """IS-Net's score raised by agreement, never lowered by disagreement (a noisy-OR of the two)."""
    return round(1.0 - (1.0 - score) * (1.0 - agreement), 4)


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
