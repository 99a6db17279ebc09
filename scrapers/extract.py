"""Product fields from a product page: schema.org JSON-LD, then microdata, then OpenGraph;
config selectors override any of them, field by field.

Plain functions over a ``parsel.Selector`` so tests call them on HTML strings. extruct reads microdata
and OpenGraph; JSON-LD is read here, block by block, because extruct drops every JSON-LD block of a page
when one of them is invalid.
"""

from __future__ import annotations

import json
import logging
from typing import Any, Iterable, Iterator
from urllib.parse import urljoin, urlsplit

import extruct
from parsel import Selector

from scrapers.prices import parse_price

log = logging.getLogger(__name__)

FIELDS = ("product_id", "title", "category", "price", "currency", "images")


class NoProduct(ValueError):
    """A product page that yields no catalog item; ``reason`` is short and machine-readable."""

    def __init__(self, reason: str, detail: str = ""):
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason
        self.detail = detail


def _jsonld_objects(sel: Selector) -> Iterator[dict]:
    for raw in sel.xpath('//script[@type="application/ld+json"]/text()').getall():
        try:
            data = json.loads(raw, strict=False)
        except json.JSONDecodeError as exc:
            log.debug("skipping invalid JSON-LD block: %s", exc)
            continue
        stack = [data]
        while stack:
            node = stack.pop()
            if isinstance(node, list):
                stack.extend(reversed(node))
            elif isinstance(node, dict):
                yield node
                if "@graph" in node:
                    stack.append(node["@graph"])


def _is(node: dict, kind: str) -> bool:
    kinds = node.get("@type")
    kinds = kinds if isinstance(kinds, list) else [kinds]
    return any(str(k).rsplit("/", 1)[-1] == kind for k in kinds)


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


def _first_text(value: Any) -> str | None:
    return _first_text(value[0]) if isinstance(value, list) and value else _text(value)


def _image_urls(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value.strip()] if value.strip() else []
    if isinstance(value, dict):
        url = value.get("contentUrl") or value.get("url")
        return [url] if isinstance(url, str) else []
    if isinstance(value, list):
        return [u for v in value for u in _image_urls(v)]
    return []


def _priced(fields: dict, price: Any, currency: Any) -> dict:
    fields["price"], fields["currency"] = parse_price(price, currency)
    return fields


def _schema_product(node: dict) -> dict:
    """Fields of a schema.org Product, as JSON-LD or extruct's uniform microdata gives it."""
    offers = node.get("offers")
    offer = (offers[0] if offers else {}) if isinstance(offers, list) else offers
    offer = offer if isinstance(offer, dict) else {}
    return _priced({
        "product_id": _first_text(node.get("sku") or node.get("productID") or node.get("mpn")),
        "title": _first_text(node.get("name")),
        "category": _text(node.get("category")),
        "images": _image_urls(node.get("image")),
    }, offer.get("price", offer.get("lowPrice")), _first_text(offer.get("priceCurrency")))


def _breadcrumb(nodes: Iterable[dict]) -> list[str]:
    """Names of the first BreadcrumbList's items, in position order."""
    for node in nodes:
        if _is(node, "BreadcrumbList"):
            items = node.get("itemListElement") or []
            items = [i for i in (items if isinstance(items, list) else [items]) if isinstance(i, dict)]
            items.sort(key=lambda i: float(i.get("position") or 0))
            return [n for n in (_text(i.get("name")) or _text(i.get("item")) for i in items) if n]
    return []


def _schema_fields(nodes: list[dict]) -> dict:
    """The first Product among ``nodes``, its category falling back to the page's breadcrumb."""
    product = next((n for n in nodes if _is(n, "Product")), None)
    if product is None:
        return {}
    fields = _schema_product(product)
    crumbs = _breadcrumb(nodes)
    if crumbs and crumbs[-1] == fields["title"]:  # the trail usually ends with the product itself
        crumbs = crumbs[:-1]
    if not fields["category"] and crumbs:
        fields["category"] = " > ".join(crumbs)
    return fields


def from_jsonld(sel: Selector) -> dict:
    """Fields of the first schema.org Product in the page's JSON-LD (empty dict when there is none)."""
    return _schema_fields(list(_jsonld_objects(sel)))


def _embedded(sel: Selector, page_url: str, syntax: str) -> list[dict]:
    found = extruct.extract(sel.root, base_url=page_url, syntaxes=[syntax], uniform=True,
                            with_og_array=True, errors="log")
    return found.get(syntax, [])


def from_microdata(sel: Selector, page_url: str) -> dict:
    """Fields of the first ``itemtype=".../Product"`` item (empty dict when there is none)."""
    return _schema_fields(_embedded(sel, page_url, "microdata"))


OG_PRODUCT_TYPES = ("product", "og:product", "product.item", "product.group")


def from_opengraph(sel: Selector, page_url: str) -> dict:
    """Fields from OpenGraph product tags; only a page whose ``og:type`` is a product counts."""
    for og in _embedded(sel, page_url, "opengraph"):
        if str(og.get("@type", "")).strip().lower() not in OG_PRODUCT_TYPES:
            continue
        return _priced({
            "product_id": _first_text(og.get("product:retailer_item_id") or og.get("product:sku")
                                      or og.get("product:mfr_part_no")),
            "title": _first_text(og.get("og:title")),
            "category": _first_text(og.get("product:category")),
            "images": _image_urls(og.get("og:image") or og.get("og:image:url") or og.get("og:image:secure_url")),
        }, og.get("product:price:amount") or og.get("og:price:amount"),
            _first_text(og.get("product:price:currency") or og.get("og:price:currency")))
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
    if "price" in out or "currency" in out:
        _priced(out, out.get("price"), out.get("currency"))
    return out


def extract_product(sel: Selector, page_url: str, selectors: dict[str, str]) -> dict:
    """The product on a page; raises ``NoProduct`` when the page has no title or no image.

    Each field comes from the first source that has it: selectors, JSON-LD, microdata, OpenGraph.
    Image URLs come back absolute and de-duplicated in page order; a missing product id falls
    back to the last segment of the page URL path.
    """
    sources = {"selectors": from_selectors(sel, selectors), "json-ld": from_jsonld(sel),
               "microdata": from_microdata(sel, page_url), "opengraph": from_opengraph(sel, page_url)}
    fields = {f: next((s[f] for s in sources.values() if s.get(f) not in (None, "", [])), None) for f in FIELDS}
    found = [name for name, s in sources.items() if any(v not in (None, "", []) for v in s.values())]
    if not found:
        raise NoProduct("no_product_data", "no JSON-LD, microdata or OpenGraph product, no selector matched")
    for field in ("title", "images"):
        if not fields[field]:
            raise NoProduct(f"no_{field}", f"none in {', '.join(found)}")
    images = list(dict.fromkeys(urljoin(page_url, u) for u in fields["images"]))
    product_id = fields["product_id"] or urlsplit(page_url).path.rstrip("/").rsplit("/", 1)[-1]
    return {
        "product_id": str(product_id),
        "title": fields["title"],
        "category": fields["category"],
        "price": fields["price"],
        "currency": fields["currency"],
        "image_urls": images,
    }
