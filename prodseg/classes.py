"""Product classes as data: a shop's class list, and its category words mapped onto it.

A ``ClassList`` is what a catalog, a label set and a trained model carry: index 0 is background, then the
shop's product classes in a fixed order. It comes from configuration (a site's ``classes``), or, for a site
that declares none, from the shop's own categories; nothing downstream of the crawl assumes a count.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Literal, Mapping

BACKGROUND = "background"
GENERIC = "product"   # the class of a category that maps to none, under the ``product`` policy

# What happens to a product whose category maps to no class:
#   reject   - dropped from labelling with reason ``unknown_class`` (counted);
#   product  - kept as the generic class ``product``;
#   category - the shop's category itself becomes a class (the default for a site declaring no classes).
UnknownCategory = Literal["reject", "product", "category"]

_NAME = re.compile(r"^[a-z0-9][a-z0-9-]*$")


def slug(text: str) -> str:
    """A category phrase as a class name: ``"Dining Tables"`` -> ``"dining-tables"``."""
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def _key(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", " ", text.lower()).strip()


@dataclass(frozen=True)
class ClassList:
    """Background plus the product classes, in model-output order."""

    products: tuple[str, ...]

    def __post_init__(self):
        products = tuple(self.products)
        object.__setattr__(self, "products", products)
        bad = [p for p in products if not isinstance(p, str) or not _NAME.match(p) or p == BACKGROUND]
        if bad:
            raise ValueError(f"invalid class names {bad}: lower-case letters, digits and '-', not {BACKGROUND!r}")
        if len(set(products)) != len(products):
            raise ValueError(f"duplicate class names in {list(products)}")
        if not products:
            raise ValueError("a class list needs at least one product class")

    @property
    def names(self) -> tuple[str, ...]:
        return (BACKGROUND, *self.products)

    def __len__(self) -> int:
        """Model outputs: background included."""
        return len(self.products) + 1

    def __contains__(self, name: object) -> bool:
        return name in self.products

    def id(self, name: str) -> int:
        """Index of a product class; KeyError naming the valid ones."""
        try:
            return self.products.index(name) + 1
        except ValueError:
            raise KeyError(f"unknown class {name!r}; expected one of {', '.join(self.products)}") from None

    def name(self, index: int) -> str:
        return self.names[index]

    def to_json(self) -> dict:
        return {"classes": list(self.names)}

    @classmethod
    def from_json(cls, data: Mapping | list) -> "ClassList":
        """From ``{"classes": ["background", ...]}`` or a bare list (background first or not)."""
        names = list(data["classes"] if isinstance(data, Mapping) else data)
        if names and names[0] == BACKGROUND:
            names = names[1:]
        return cls(tuple(names))

    def save(self, path: Path) -> Path:
        from prodseg.fileio import atomic_write_json

        return atomic_write_json(Path(path), self.to_json())

    @classmethod
    def load(cls, path: Path) -> "ClassList":
        path = Path(path)
        if not path.exists():
            raise FileNotFoundError(f"no class list at {path}: run the stage that writes it (crawl, train)")
        return cls.from_json(json.loads(path.read_text()))


def category_words(classes: Mapping[str, Iterable[str]], category_map: Mapping[str, str] | None = None) -> dict[str, str]:
    """Shop phrase -> class name, from a site's ``classes`` (class -> its words) and older ``category_map``."""
    words = {phrase: name for name, phrases in classes.items() for phrase in phrases}
    words.update(category_map or {})
    return words


def normalize_category(raw: str | None, category_map: Mapping[str, str],
                       classes: Iterable[str] = ()) -> str | None:
    """Map a shop's category text to a class name, or None when nothing matches.

    ``category_map`` maps shop phrases (e.g. "sofas", "mugs") to class names; the names in ``classes`` and
    the map's targets always match themselves. A breadcrumb such as "Home > Living room > Sofas & Couches"
    is matched from its most specific part backwards, the whole phrase first, then word by word.
    """
    if not raw:
        return None
    lookup = {_key(k): v for k, v in category_map.items()}
    lookup.update({_key(name): name for name in (*classes, *category_map.values())})
    parts = [p for p in re.split(r"[>/|]", raw) if p.strip()]
    for part in reversed(parts):
        key = _key(part)
        if key in lookup:
            return lookup[key]
        for word in key.split():
            if word in lookup:
                return lookup[word]
    return None


def specific_category(raw: str | None) -> str | None:
    """The most specific part of a breadcrumb as a class name (``"Home > Floor Lamps"`` -> ``"floor-lamps"``)."""
    parts = [slug(p) for p in re.split(r"[>/|]", raw or "") if slug(p)]
    return parts[-1] if parts else None

