"""What the spider yields for each product page."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class ProductItem:
    site: str
    product_id: str
    title: str
    category: str | None
    class_name: str | None      # normalized product class, None when the category is unknown
    price: float | None
    currency: str | None
    page_url: str
    crawled_at: str
    image_urls: list[str] = field(default_factory=list)   # FilesPipeline input
    files: list[dict] = field(default_factory=list)        # FilesPipeline output: stored images
    drops: list[dict] = field(default_factory=list)        # image URLs that yielded no image, and why
