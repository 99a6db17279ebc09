"""The product class list: one definition, used by every stage.

Index 0 is background; 1..8 are the product classes, in the order of the COCO
classes the teacher knows (COCO's "wine glass" and "potted plant" become
"wine-glass" and "potted-plant" here).
"""

from __future__ import annotations

import re

BACKGROUND = "background"
PRODUCT_CLASSES: tuple[str, ...] = (
    "couch",
    "chair",
    "bed",
    "vase",
    "bowl",
    "cup",
    "wine-glass",
    "potted-plant",
)
CLASS_NAMES: tuple[str, ...] = (BACKGROUND, *PRODUCT_CLASSES)
CLASS_IDS: dict[str, int] = {name: i for i, name in enumerate(CLASS_NAMES)}
NUM_CLASSES = len(CLASS_NAMES)


def class_id(name: str) -> int:
    """Index of a class name; raises KeyError with the valid names."""
    try:
        return CLASS_IDS[name]
    except KeyError:
        raise KeyError(f"unknown class {name!r}; expected one of {', '.join(CLASS_NAMES)}") from None


def _key(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", " ", text.lower()).strip()


def normalize_category(raw: str | None, category_map: dict[str, str]) -> str | None:
    """Map a shop's category text to a product class, or None when unknown.

    ``category_map`` maps lower-cased shop phrases (e.g. "sofas", "mugs") to
    class names. A breadcrumb such as "Home > Living room > Sofas & Couches" is
    matched from its most specific part backwards; a class name itself always matches.
    """
    if not raw:
        return None
    lookup = {_key(k): v for k, v in category_map.items()}
    lookup.update({_key(name): name for name in PRODUCT_CLASSES})
    parts = [p for p in re.split(r"[>/|]", raw) if p.strip()]
    for part in reversed(parts):
        key = _key(part)
        if key in lookup:
            return lookup[key]
        # "Sofas & Couches" -> try each word, most specific phrase first.
        for word in key.split():
            if word in lookup:
                return lookup[word]
    return None
