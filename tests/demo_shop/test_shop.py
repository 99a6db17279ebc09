import json
import time
import urllib.error
import urllib.request

import numpy as np
import pandas as pd
from PIL import Image

from demo_shop.catalog import FAULTS, plan_products
from demo_shop.generate import DEMO_CLASSES, generate_shop
from prodseg.fileio import sha256_file
from prodseg.settings import ShopConfig


def get(url):
    try:
        with urllib.request.urlopen(url, timeout=10) as resp:
            return resp.status, resp.read(), resp.geturl()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read(), url


def test_plan_is_deterministic_balanced_and_plants_every_fault():
    a, b = plan_products(24, seed=5, faults=True), plan_products(24, seed=5, faults=True)
    assert [(p.sku, p.title, p.price, [i.file for i in p.images]) for p in a] == \
           [(p.sku, p.title, p.price, [i.file for i in p.images]) for p in b]
    assert [p.title for p in plan_products(24, seed=6, faults=True)] != [p.title for p in a]
    assert {p.fault for p in a if p.fault} == set(FAULTS)
    counts = pd.Series([p.class_name for p in a[:24]]).value_counts()
    assert counts.min() == counts.max() == 3
    assert all(1 <= len(p.images) <= 4 for p in a)


def test_generated_shop_layout_truth_and_pages(faulty_shop):
    site, truth = faulty_shop / "site", faulty_shop / "truth"
    images = pd.read_parquet(truth / "images.parquet")
    products = pd.read_parquet(truth / "products.parquet")
    assert not list(site.rglob("*.png")), "true masks must not be served"
    for row in images.itertuples():
        photo = site / "img" / "p" / row.file
        assert sha256_file(photo) == row.image_sha256
        mask = np.asarray(Image.open(truth / row.mask))
        assert mask.shape == Image.open(photo).size[::-1]
        assert set(np.unique(mask).tolist()) == {0, DEMO_CLASSES.id(row.class_name)}
    photos = images[images["fault"].isna()]
    assert 512 == photos["width"].min() == photos["width"].max()
    studio = (photos["shot"] == "studio").mean()
    assert 0.4 < studio < 0.95
    page = (site / "product" / products["sku"].iloc[0].lower() / "index.html").read_text()
    data = json.loads(page.split('<script type="application/ld+json">')[1].split("</script>")[0])
    assert data["@type"] == "Product" and data["sku"] == products["sku"].iloc[0]
    assert "Disallow: /cart" in (site / "robots.txt").read_text()
    sofas = products["category"].eq("Sofas & Couches").sum()
    assert sofas > 2 and (site / "category" / "sofas" / "page" / "2" / "index.html").exists()
    assert "/product/" in (site / "sitemap.xml").read_text()


def test_generation_is_deterministic_and_skips_an_identical_shop(tmp_path):
    cfg = ShopConfig(products=8, seed=4)
    first = generate_shop(tmp_path / "a", cfg)
    again = generate_shop(tmp_path / "a", cfg)
    generate_shop(tmp_path / "b", cfg)
    assert first.generated and not again.generated
    a = pd.read_parquet(tmp_path / "a" / "truth" / "images.parquet")
    b = pd.read_parquet(tmp_path / "b" / "truth" / "images.parquet")
    assert a["image_sha256"].tolist() == b["image_sha256"].tolist()


def test_server_plants_fail_once_slow_and_redirect(shop_server, faulty_shop):
    behaviours = json.loads((faulty_shop / "server.json").read_text())
    fail_page = behaviours["fail_once"][0]
    assert get(shop_server.url + fail_page)[0] == 500
    assert get(shop_server.url + fail_page)[0] == 200
    slow_page, delay = next(iter(behaviours["slow"].items()))
    start = time.monotonic()
    assert get(shop_server.url + slow_page)[0] == 200
    assert time.monotonic() - start >= delay * 0.9
    source, target = next(iter(behaviours["redirects"].items()))
    status, body, final = get(shop_server.url + source)
    assert status == 200 and final.endswith(target) and body[:2] == b"\xff\xd8"
    assert get(shop_server.url + "/img/p/nothing-here.jpg")[0] == 404
    assert ("GET", fail_page, 500) in shop_server.requests
