"""Per-shop crawl definitions (``config/sites/<name>.yaml``)."""

from __future__ import annotations

import re
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, ValidationError, field_validator, model_validator

from prodseg.classes import PRODUCT_CLASSES
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
    category_map: dict[str, str] = {}   # shop category phrase -> product class
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

    @field_validator("category_map")
    @classmethod
    def _known_classes(cls, value: dict[str, str]) -> dict[str, str]:
        bad = {k: v for k, v in value.items() if v not in PRODUCT_CLASSES}
        if bad:
            raise ValueError(f"category_map targets must be product classes {PRODUCT_CLASSES}; got {bad}")
        return value

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


def load_site(path: Path) -> SiteConfig:
    if not path.exists():
        raise ConfigError(f"no site config at {path}")
    try:
        return SiteConfig.model_validate(yaml.safe_load(path.read_text()) or {})
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: not valid YAML: {exc}") from None
    except ValidationError as exc:
        raise ConfigError(f"{path}: invalid site config:\n{describe_errors(exc)}") from None
