"""The photo shop (demo_shop/photo_shop.py) from a tiny photo folder made here: its pages, URLs, prices and truth,
served by the demo server, and a clear error for a folder laid out wrong."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from parsel import Selector
from PIL import Image

from demo_shop.photo_shop import PhotoFolderError, build_photo_shop
from demo_shop.server import running_shop
from prodseg.fileio import sha256_bytes
from tests.demo_shop.test_shop import get

WORDS = {"bed": "bed", "sofa": "couch", "table": None}


def photo_folder(root, rows):
    """images/NAME.jpg (a grey photo with a bright box), masks/NAME.png 0/255, meta.csv name,class,kind."""
    (root / "images").mkdir(parents=True)
    (root / "masks").mkdir()
    for name, _, _ in rows:
        image = np.full((80, 80, 3), 90, np.uint8)
        image[20:60, 20:60] = 230
        Image.fromarray(image).save(root / "images" / f"{name}.jpg")
        Image.fromarray(((image[..., 0] > 128) * 255).astype(np.uint8)).save(root / "masks" / f"{name}.png")
    pd.DataFrame(rows, columns=["name", "class", "kind"]).to_csv(root / "meta.csv", index=False)
    return root


def test_pages_carry_opengraph_and_microdata_under_their_own_urls_and_truth_is_kept_aside(tmp_path):
    rows = [(f"p{i}", word, kind) for i, (word, kind) in
            enumerate([("bed", "studio"), ("bed", "room"), ("bed", "studio"), ("sofa", "room"), ("table", "studio")])]
    photos = photo_folder(tmp_path / "photos", rows)
    summary = build_photo_shop(photos, tmp_path / "shop", per_page=2, class_of=WORDS.get)
    assert (summary.products, summary.generated) == (5, True)
    assert not build_photo_shop(photos, tmp_path / "shop", 2, WORDS.get).generated   # same folder: kept
    truth = pd.read_parquet(tmp_path / "shop" / "truth" / "images.parquet")
    # a word with no class keeps its own name in the truth, so its photos are scored once it has one
    assert truth["class_name"].tolist() == ["bed", "bed", "bed", "couch", "table"]
    assert truth["shot"].tolist() == [k for _, _, k in rows]
    assert not list((tmp_path / "shop" / "site").rglob("*.png")), "true masks must not be served"
    with running_shop(tmp_path / "shop") as server:
        status, first, _ = get(f"{server.url}/shop/bed")
        status2, second, _ = get(f"{server.url}/shop/bed?page=2")
        assert status == status2 == 200 and first != second   # the query picks the page
        page1 = Selector(first.decode())
        items = page1.css(".tile a::attr(href)").getall()
        assert items[0].startswith("/item/") and items[0].endswith(".html")
        assert page1.xpath('//a[text()="Next page"]/@href').get() == "/shop/bed?page=2"
        status, body, _ = get(f"{server.url}{items[0]}")
        page = Selector(body.decode())
        assert status == 200 and "application/ld+json" not in body.decode()
        assert page.css('meta[property="og:type"]::attr(content)').get() == "product"
        product = page.css('[itemtype="https://schema.org/Product"]')
        assert product.css("[itemprop=category]::attr(content)").get() == "Furniture > Bed"
        prices = {get(f"{server.url}/item/ho-000{i}.html")[1].decode().split('class="amount">')[1].split("<")[0]
                  for i in (1, 2)}
        assert any(p.startswith("$") for p in prices) and any(p.endswith(" €") and "," in p for p in prices)
        image = page.css('meta[property="og:image"]::attr(content)').get()
        status, served, _ = get(f"{server.url}{image}")
        assert status == 200 and sha256_bytes(served) in set(truth["image_sha256"])


def test_a_folder_laid_out_wrong_is_a_clear_error(tmp_path):
    with pytest.raises(PhotoFolderError, match="no meta.csv"):
        build_photo_shop(tmp_path, tmp_path / "shop", 2, WORDS.get)
    photos = photo_folder(tmp_path / "photos", [("a", "bed", "studio"), ("b", "bed", "outdoor")])
    with pytest.raises(PhotoFolderError, match="line 3: kind 'outdoor'"):
        build_photo_shop(photos, tmp_path / "shop", 2, WORDS.get)
    photos = photo_folder(tmp_path / "photos2", [("a", "bed", "studio")])
    (photos / "masks" / "a.png").unlink()
    with pytest.raises(PhotoFolderError, match="a.png is missing"):
        build_photo_shop(photos, tmp_path / "shop", 2, WORDS.get)
    assert not (tmp_path / "shop").exists()


def test_a_site_serves_one_embedded_shop():
    from scrapers.site_config import SiteConfig

    base = {"name": "x", "start_urls": ["{shop_url}/"], "product_links": ["/item/"]}
    assert SiteConfig(**base, photos="photos").serves_shop and not SiteConfig(**base).serves_shop
    with pytest.raises(ValueError, match="either the demo shop"):
        SiteConfig(**base, demo=True, photos="photos")
