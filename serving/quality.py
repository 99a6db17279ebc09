"""Is a cut-out weak? One check for every route and for the gallery's photos.

Seen in the demo: a room photo "cut out" as the whole room with holes, often under the wrong class,
at scores as high as 0.72. Each of three signs says so on its own: the model is unsure (low score),
the mask runs along much of the photo's edge (a product photo's product rarely reaches the frame, a
room does), or the class differs from the one the shop's catalog gives.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable


@dataclass(frozen=True)
class Thresholds:
    min_score: float     # a score below this is weak
    max_border: float    # a mask covering more than this share of the photo's outermost pixels is weak


@dataclass(frozen=True)
class CutoutWarning:
    code: str   # short and stable, for programs: low_score | touches_border | class_mismatch
    text: str   # in people's words, ASCII (it travels in a header too)

    def as_json(self) -> dict:
        return {"code": self.code, "text": self.text}


def thresholds(serve) -> Thresholds:
    """From ``settings.config.serve``."""
    return Thresholds(serve.warn_score, serve.warn_border)


def class_label(name: str) -> str:
    """People's words for a class name: ``potted-plant`` -> ``Potted plant``."""
    return name.replace("-", " ").capitalize()


def class_labels(names: Iterable[str]) -> dict[str, str]:
    return {name: class_label(name) for name in names}


def cutout_warnings(score: float, border: float, label: str, expected: str | None, limits: Thresholds,
                    judge: str = "the model") -> list[CutoutWarning]:
    """What is weak about one cut-out; empty when nothing is. ``expected``: the catalog's class, when the model
    knows it;
    ``judge``: who gave the score, in words."""
    warnings = []
    if score < limits.min_score:
        warnings.append(CutoutWarning("low_score", f"{judge} is unsure (score {score:.2f}, below "
                                                   f"{limits.min_score:.2f})"))
    if border > limits.max_border:
        warnings.append(CutoutWarning("touches_border", f"the cut-out runs along {border:.0%} of the photo's edge: "
                                                        "it probably took in the room around the product"))
    if expected and label != expected:
        warnings.append(CutoutWarning("class_mismatch", f"the model saw a {class_label(label).lower()}, the shop "
                                                        f"sells a {class_label(expected).lower()}"))
    return warnings


def header_values(warnings: list[CutoutWarning]) -> dict[str, str]:
    """``X-Cutout-Warnings`` (codes) and ``X-Cutout-Warning-Text`` (the reasons, '; '-separated); empty if none."""
    if not warnings:
        return {}
    return {"X-Cutout-Warnings": ",".join(w.code for w in warnings),
            "X-Cutout-Warning-Text": "; ".join(w.text for w in warnings)}
