"""Shops without JSON-LD: microdata and OpenGraph product data, their order, and a real crawl of such a shop."""

import io
import json
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

import pytest
import yaml
from parsel import Selector
from PIL import Image

from demo_shop.server import serving
from scrapers.catalog import load_catalog
from scrapers.crawl import run_crawl
from scrapers.extract import NoProduct, extract_product
from tests.conftest import make_settings

URL = "https://shop.example/product/oak-table"

OG = ('<meta property="og:type" content="product"><meta property="og:title" content="OG Table">'
      '<meta property="og:image" content="/og1.jpg"><meta property="og:image" content="/og2.jpg">'
      '<meta property="product:price:amount" content="1.299,00 €"><meta property="product:retailer_item_id" content="OG-1">'
      '<meta property="product:category" content="Tables">')
MICRODATA = ('<div itemscope itemtype="https://schema.org/Product"><h1 itemprop="name">MD Table</h1>'
             '<img itemprop="image" src="/md1.jpg"><span itemprop="sku">MD-1</span>'
             '<div itemprop="offers" itemscope itemtype="https://schema.org/Offer">'
             '<span itemprop="price">$349.99</span></div></div>')
CRUMBS = ('<ol itemscope itemtype="https://schema.org/BreadcrumbList">' + "".join(
    f'<li itemprop="itemListElement" itemscope itemtype="https://schema.org/ListItem">'
    f'<a itemprop="item" href="/c{i}"><span itemprop="name">{name}</span></a><meta itemprop="position" content="{i}"></li>'
    for i, name in ((2, "Tables"), (1, "Home"), (3, "MD Table"))) + "</ol>")
JSONLD = ('<script type="application/ld+json">' + json.dumps(
    {"@type": "Product", "name": "LD Table", "sku": "LD-1", "image": "/ld.jpg",
     "offers": {"price": "12.50", "priceCurrency": "GBP"}}) + "</script>")


def page(head="", body=""):
    return Selector(text=f"<html><head>{head}</head><body>{body}</body></html>")


def test_opengraph_only():
    out = extract_product(page(head=OG), URL, {})
    assert out == {"product_id": "OG-1", "title": "OG Table", "category": "Tables", "price": 1299.0, "currency": "EUR",
                   "image_urls": ["https://shop.example/og1.jpg", "https://shop.example/og2.jpg"]}


def test_opengraph_of_a_page_that_is_no_product_is_ignored():
    with pytest.raises(NoProduct, match="no_product_data"):
        extract_product(page(head=OG.replace('content="product"', 'content="website"')), URL, {})


def test_microdata_only_with_its_breadcrumb_as_category():
    out = extract_product(page(body=MICRODATA + CRUMBS), URL, {})
    # the trail is put in position order and loses its last crumb, the product itself
    assert out == {"product_id": "MD-1", "title": "MD Table", "category": "Home > Tables", "price": 349.99,
                   "currency": "USD", "image_urls": ["https://shop.example/md1.jpg"]}


def test_jsonld_wins_over_microdata_which_wins_over_opengraph_field_by_field():
    out = extract_product(page(head=OG + JSONLD, body=MICRODATA), URL, {})
    assert (out["product_id"], out["title"], out["price"], out["currency"]) == ("LD-1", "LD Table", 12.5, "GBP")
    assert out["image_urls"] == ["https://shop.example/ld.jpg"]
    assert out["category"] == "Tables"  # neither JSON-LD nor microdata has one: OpenGraph's
    out = extract_product(page(head=OG, body=MICRODATA), URL, {})
    assert (out["title"], out["price"], out["currency"]) == ("MD Table", 349.99, "USD")


def test_selectors_win_over_every_embedded_source():
    body = MICRODATA + '<h2 class="t">Sel Table</h2><span class="p">EUR 12</span><img class="g" src="/s.jpg">'
    out = extract_product(page(head=OG + JSONLD, body=body), URL,
                          {"title": "h2.t::text", "price": "span.p::text", "images": "img.g::attr(src)"})
    assert (out["title"], out["price"], out["currency"]) == ("Sel Table", 12.0, "EUR")
    assert out["image_urls"] == ["https://shop.example/s.jpg"] and out["product_id"] == "LD-1"


def test_a_partial_page_says_which_field_is_missing_and_where_it_looked():
    with pytest.raises(NoProduct) as exc:
        extract_product(page(head=OG.replace("og:title", "og:description")), URL, {})
    assert exc.value.reason == "no_title" and exc.value.detail == "none in opengraph"


def _png(shade: int) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (96, 96), (shade, 40, 90)).save(out, "PNG")
    return out.getvalue()


def _shop(root):
    """A shop with no JSON-LD at all: OpenGraph pages, microdata pages, one page with both, one with neither."""
    pages = {
        "og": OG.replace("/og1.jpg", "/img/og1.png").replace("/og2.jpg", "/img/og2.png"),
        "md": MICRODATA.replace("/md1.jpg", "/img/md1.png") + CRUMBS,
        "both": OG.replace("/og1.jpg", "/img/b1.png").replace("/og2.jpg", "/img/b2.png")
        + MICRODATA.replace("/md1.jpg", "/img/b3.png").replace("MD-1", "BOTH-1"),
        "broken": "<h1>Gone</h1>",
    }
    (root / "product").mkdir(parents=True)
    (root / "img").mkdir()
    for i, name in enumerate(["og1", "og2", "md1", "b1", "b2", "b3"]):
        (root / "img" / f"{name}.png").write_bytes(_png(30 * i))
    for name, html in pages.items():
        (root / "product" / f"{name}.html").write_text(f"<html><head>{html}</head><body></body></html>")
    links = "".join(f'<a href="/product/{name}.html">{name}</a>' for name in pages)
    (root / "index.html").write_text(f"<html><body>{links}</body></html>")


def test_the_real_spider_crawls_a_shop_without_jsonld(tmp_path, faulty_shop):
    _shop(tmp_path / "site")
    server = ThreadingHTTPServer(("127.0.0.1", 0), partial(SimpleHTTPRequestHandler, directory=str(tmp_path / "site")))
    with serving(server, "no-jsonld-shop"):
        url = f"http://127.0.0.1:{server.server_address[1]}"
        site = tmp_path / "plain.yaml"
        site.write_text(yaml.safe_dump({"name": "plain", "start_urls": [f"{url}/index.html"],
                                        "allowed_domains": ["127.0.0.1"], "product_links": ["/product/"]}))
        settings = make_settings(tmp_path, faulty_shop)
        report = run_crawl(settings, str(site))
    catalog = load_catalog(settings.catalog_path).sort_values("image_url")
    rows = {(r.product_id, r.title, r.price, r.currency, r.category, r.image_url.rsplit("/", 1)[-1])
            for r in catalog.itertuples()}
    assert rows == {
        ("OG-1", "OG Table", 1299.0, "EUR", "Tables", "og1.png"), ("OG-1", "OG Table", 1299.0, "EUR", "Tables", "og2.png"),
        ("MD-1", "MD Table", 349.99, "USD", "Home > Tables", "md1.png"),
        # microdata wins field by field; OpenGraph fills the category microdata lacks, not the images it has
        ("BOTH-1", "MD Table", 349.99, "USD", "Tables", "b3.png"),
    }
    assert report.pages_without_product == 1 and report.pages_dropped == {"no_product_data": 1}
    assert "no_product_data" in report.summary()
