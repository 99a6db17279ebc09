"""Per-shop crawl definitions (``config/sites/<name>.yaml``)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Iterable

import yaml
from pydantic import BaseModel, ConfigDict, ValidationError, field_validator, model_validator

from prodseg.classes import GENERIC, ClassList, UnknownCategory, category_words, normalize_category, specific_category
from prodseg.settings import ConfigError, describe_errors

# Fields a product page yields; each may have a CSS or XPath selector in the site config.
SELECTOR_FIELDS = ("product_id", "title", "category", "price", "currency", "images")


class SiteConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str
    demo: bool = False                  # serve the embedded demo shop for the crawl
    photos: str | None = None           # serve a shop built from this photo folder (demo_shop/photo_shop.py)
    start_urls: list[str]
    allowed_domains: list[str] = []
    listing_links: list[str] = []       # URL regexes of pages to follow for links
    product_links: list[str]            # URL regexes of product detail pages
    selectors: dict[str, str] = {}      # field -> CSS (or XPath, starting with / or ( )
    # The shop's product classes in model order, each with the shop's words for it (class names match themselves).
    classes: dict[str, list[str]] = {}
    # A category that maps to no class: reject | product | category; None: reject with classes, else category.
    unknown_category: UnknownCategory | None = None
    category_map: dict[str, str] = {}   # more shop category phrases -> class
    user_agent: str = "prodseg-crawler/0.1 (+https://github.com/prodseg)"

    @field_validator("listing_links", "product_links")
    @classmethod
    def _compiled(cls, value: list[str]) -> list[str]:
        # Scrapy compiles them only once the crawl is under way, with a traceback per rule.
        for pattern in value:
            try:
                re.compile(pattern)
            except re.error as exc:
                raise ValueError(f"{pattern!r} is not a valid regex: {exc}") from None
        return value

    @field_validator("selectors")
    @classmethod
    def _known_fields(cls, value: dict[str, str]) -> dict[str, str]:
        unknown = set(value) - set(SELECTOR_FIELDS)
        if unknown:
            raise ValueError(f"unknown selector fields {sorted(unknown)}; known: {SELECTOR_FIELDS}")
        return value

    @model_validator(mode="after")
    def _class_list(self) -> "SiteConfig":
        if self.classes:
            ClassList(tuple(self.classes))    # names: lower-case, '-', no duplicates, not background
        elif self.unknown_category in ("reject", "product"):
            raise ValueError(f"unknown_category: {self.unknown_category} needs a `classes` list to map onto")
        if self.policy == "product" and GENERIC in self.classes:
            raise ValueError(f"unknown_category: product adds the class {GENERIC!r}; do not declare it")
        if self.policy == "category":
            bad = {k: v for k, v in self.category_map.items() if v not in self.classes and not _valid_name(v)}
            what = "valid class names (lower-case letters, digits and '-')"
        else:
            bad = {k: v for k, v in self.category_map.items() if v not in self.classes}
            what = f"declared classes {list(self.classes)}"
        if bad:
            raise ValueError(f"category_map targets must be {what}; got {bad}")
        return self

    @property
    def policy(self) -> UnknownCategory:
        """What becomes of a category that maps to no class (the configured value, or its default)."""
        return self.unknown_category or ("reject" if self.classes else "category")

    @property
    def words(self) -> dict[str, str]:
        """Shop phrase -> class name, from ``classes`` and ``category_map``."""
        return category_words(self.classes, self.category_map)

    def class_of(self, category: str | None) -> str | None:
        """The class of a shop category under this site's policy; None: none (rejected when labelling)."""
        name = normalize_category(category, self.words, self.classes)
        if name is not None or self.policy == "reject":
            return name
        return GENERIC if self.policy == "product" else specific_category(category)

    def class_list(self, found: Iterable[str | None] = ()) -> ClassList:
        """The catalog's classes: the declared ones in order, then ``product`` or the sorted others ``found``."""
        declared = list(self.classes)
        if self.policy == "product":
            return ClassList((*declared, GENERIC))
        if self.policy == "category":
            declared += sorted({c for c in found if c and c not in declared})
        return ClassList(tuple(declared))

    @model_validator(mode="after")
    def _one_shop(self) -> "SiteConfig":
        if self.demo and self.photos:
            raise ValueError("a site serves either the demo shop (demo: true) or a photo shop (photos:), not both")
        return self

    @property
    def serves_shop(self) -> bool:
        """Whether the crawl builds and serves an embedded shop (the demo's, or a photo folder's)."""
        return self.demo or bool(self.photos)

    def with_shop_url(self, shop_url: str) -> "SiteConfig":
        """Fill the ``{shop_url}`` placeholder of an embedded shop's config."""
        return self.model_copy(update={"start_urls": [u.format(shop_url=shop_url) for u in self.start_urls]})


def _valid_name(name: str) -> bool:
    try:
        ClassList((name,))
    except ValueError:
        return False
    return True


def load_site(path: Path) -> SiteConfig:
    if not path.exists():
        raise ConfigError(f"no site config at {path}")
    try:
        return SiteConfig.model_validate(yaml.safe_load(path.read_text()) or {})
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: not valid YAML: {exc}") from None
    except ValidationError as exc:
        raise ConfigError(f"{path}: invalid site config:\n{describe_errors(exc)}") from None
