import json

import pytest
from parsel import Selector

from scrapers.extract import NoProduct, extract_product
from scrapers.prices import parse_price

URL = "https://shop.example/p/oslo-sofa/"


def page(*jsonld, body=""):
    scripts = "".join(f'<script type="application/ld+json">{json.dumps(d)}</script>' for d in jsonld)
    return Selector(text=f"<html><head>{scripts}</head><body>{body}</body></html>")


def test_jsonld_product_with_relative_images_and_offer():
    sel = page({"@context": "https://schema.org", "@type": "Product", "name": "Oslo Sofa", "sku": "S-1",
                "category": "Living > Sofas", "image": ["/img/a.jpg", "/img/b.jpg", "/img/a.jpg"],
                "offers": {"@type": "Offer", "price": "499.00", "priceCurrency": "EUR"}})
    out = extract_product(sel, URL, {})
    assert out == {"product_id": "S-1", "title": "Oslo Sofa", "category": "Living > Sofas", "price": 499.0,
                   "currency": "EUR", "image_urls": ["https://shop.example/img/a.jpg", "https://shop.example/img/b.jpg"]}


def test_jsonld_in_a_graph_with_image_objects_and_offer_lists():
    sel = page({"@graph": [{"@type": "BreadcrumbList"},
                           {"@type": ["Product"], "name": "Mug", "productID": "M-9",
                            "image": {"@type": "ImageObject", "contentUrl": "https://cdn.example/m.jpg"},
                            "category": {"@type": "Thing", "name": "Mugs"},
                            "offers": [{"@type": "AggregateOffer", "lowPrice": 7.5, "priceCurrency": "USD"}]}]})
    out = extract_product(sel, URL, {})
    assert (out["product_id"], out["category"], out["price"]) == ("M-9", "Mugs", 7.5)
    assert out["image_urls"] == ["https://cdn.example/m.jpg"]


def test_invalid_jsonld_blocks_are_skipped():
    sel = Selector(text='<script type="application/ld+json">{not json</script>'
                        '<script type="application/ld+json">{"@type": "Product", "name": "Bowl", "image": "b.jpg"}</script>')
    out = extract_product(sel, URL, {})
    assert out["title"] == "Bowl" and out["image_urls"] == ["https://shop.example/p/oslo-sofa/b.jpg"]
    assert out["product_id"] == "oslo-sofa"  # no sku: the last path segment


def test_selectors_override_and_work_without_jsonld():
    body = ('<h1 class="t"> Lund Chair </h1><nav><a>Home</a><a>Chairs</a></nav><span class="p">€1.299,00</span>'
            '<div data-sku="C-7"></div><img class="g" src="/1.jpg"><img class="g" src="/2.jpg">')
    selectors = {"title": "h1.t::text", "category": "nav a::text", "price": "span.p::text",
                 "product_id": "//div/@data-sku", "images": "img.g::attr(src)"}
    out = extract_product(page(body=body), URL, selectors)
    assert out == {"product_id": "C-7", "title": "Lund Chair", "category": "Home > Chairs", "price": 1299.0,
                   "currency": "EUR", "image_urls": ["https://shop.example/1.jpg", "https://shop.example/2.jpg"]}


def test_a_page_without_title_or_images_is_no_product_and_says_why():
    with pytest.raises(NoProduct) as no_images:
        extract_product(page(body="<h1>Oops</h1>"), URL, {"title": "h1::text"})
    assert no_images.value.reason == "no_images" and "selectors" in no_images.value.detail
    with pytest.raises(NoProduct) as no_images:
        extract_product(page({"@type": "Product", "name": "No photos"}), URL, {})
    assert no_images.value.reason == "no_images" and "json-ld" in no_images.value.detail
    with pytest.raises(NoProduct, match="no_product_data"):
        extract_product(page(body="<p>just text</p>"), URL, {"title": "h2::text"})


@pytest.mark.parametrize("raw, expected", [
    ("€1,299.00", (1299.0, "EUR")), ("12,50 EUR", (12.5, "EUR")), ("1.299,95", (1299.95, None)),
    (" 7 ", (7.0, None)), (19.9, (19.9, None)), ("$349.99", (349.99, "USD")), ("349,99 €", (349.99, "EUR")),
    ("1.299,00 €", (1299.0, "EUR")), ("£1,299", (1299.0, "GBP")), ("EUR 12", (12.0, "EUR")),
    ("12.50 USD", (12.5, "USD")), ("CHF 49.90", (49.9, "CHF")), ("1 299,00 kr", (1299.0, None)),  # kr: 5 currencies
    ("Free", (0.0, None)), ("call us", (None, None)), (None, (None, None)),
])
def test_parse_price(raw, expected):
    assert parse_price(raw) == expected


def test_an_explicit_currency_wins_over_the_written_one():
    assert parse_price("$12.50", "cad") == (12.5, "CAD")
    assert parse_price("12,50", "EUR") == (12.5, "EUR")
