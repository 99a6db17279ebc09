"""Product fields from a product page: schema.org JSON-LD first, config selectors on top.

Plain functions over a ``parsel.Selector`` so tests call them on HTML strings.
"""

from __future__ import annotations

import json
import logging
import re
from typing import Any, Iterator
from urllib.parse import urljoin, urlsplit

from parsel import Selector

log = logging.getLogger(__name__)


def _jsonld_objects(sel: Selector) -> Iterator[dict]:
    for raw in sel.xpath('//script[@type="application/ld+json"]/text()').getall():
        try:
            data = json.loads(raw)
        except json.JSONDecodeError as exc:
            log.debug("skipping invalid JSON-LD block: %s", exc)
            continue
        stack = [data]
        while stack:
            node = stack.pop()
            if isinstance(node, list):
                stack.extend(node)
            elif isinstance(node, dict):
                yield node
                if "@graph" in node:
                    stack.append(node["@graph"])


def _is_product(node: dict) -> bool:
    kind = node.get("@type")
    kinds = kind if isinstance(kind, list) else [kind]
    return any(str(k).rsplit("/", 1)[-1] == "Product" for k in kinds)


def _text(value: Any) -> str | None:
    """A schema.org value that may be a string, a Thing with a name, or a list of those."""
    if isinstance(value, list):
        parts = [t for t in (_text(v) for v in value) if t]
        return " > ".join(parts) or None
    if isinstance(value, dict):
        return _text(value.get("name"))
    if value is None:
        return None
    text = str(value).strip()
    return text or None


def _image_urls(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        url = value.get("contentUrl") or value.get("url")
        return [url] if isinstance(url, str) else []
    if isinstance(value, list):
        return [u for v in value for u in _image_urls(v)]
    return []


def _offer(offers: Any) -> tuple[Any, str | None]:
    if isinstance(offers, list):
        offers = offers[0] if offers else {}
    if not isinstance(offers, dict):
        return None, None
    price = offers.get("price", offers.get("lowPrice"))
    return price, _text(offers.get("priceCurrency"))


def from_jsonld(sel: Selector) -> dict:
    """Fields of the first schema.org Product on the page (empty dict when there is none)."""
    for node in _jsonld_objects(sel):
        if _is_product(node):
            price, currency = _offer(node.get("offers"))
            return {
                "product_id": _text(node.get("sku") or node.get("productID") or node.get("mpn")),
                "title": _text(node.get("name")),
                "category": _text(node.get("category")),
                "price": price,
                "currency": currency,
                "images": _image_urls(node.get("image")),
            }
    return {}


def from_selectors(sel: Selector, selectors: dict[str, str]) -> dict:
    """Fields from CSS (or XPath, when the selector starts with ``/`` or ``(``) selectors."""
    out: dict[str, Any] = {}
    for field, query in selectors.items():
        found = sel.xpath(query) if query.lstrip().startswith(("/", "(")) else sel.css(query)
        values = [v.strip() for v in found.getall() if v and v.strip()]
        if field == "images":
            out[field] = values
        elif field == "category":
            out[field] = " > ".join(values) or None
        else:
            out[field] = values[0] if values else None
    return out


def parse_price(value: Any) -> float | None:
    """``"€1,299.00"`` -> 1299.0; ``"12,50 EUR"`` -> 12.5; None when no number."""
    if value is None:
        return None
    if isinstance(value, (int, float)):
        return float(value)
    match = re.search(r"\d[\d.,\s]*", str(value))
    if not match:
        return None
    number = re.sub(r"\s", "", match.group()).rstrip(".,")
    if "," in number and ("." not in number or number.rfind(",") > number.rfind(".")):
        number = number.replace(".", "").replace(",", ".")  # decimal comma
    else:
        number = number.replace(",", "")
    try:
        return float(number)
    except ValueError:
        return None


def extract_product(sel: Selector, page_url: str, selectors: dict[str, str]) -> dict | None:
    """The product on a page, or None when the page carries no usable product data.

    Image URLs come back absolute and de-duplicated in page order; a missing
    product id falls back to the last segment of the page URL path.
    """
    fields = {**from_jsonld(sel), **{k: v for k, v in from_selectors(sel, selectors).items() if v}}
    if not fields.get("title") or not fields.get("images"):
        return None
    images = list(dict.fromkeys(urljoin(page_url, u) for u in fields["images"]))
    product_id = fields.get("product_id") or urlsplit(page_url).path.rstrip("/").rsplit("/", 1)[-1]
    return {
        "product_id": str(product_id),
        "title": fields["title"],
        "category": fields.get("category"),
        "price": parse_price(fields.get("price")),
        "currency": fields.get("currency"),
        "image_urls": images,
    }
