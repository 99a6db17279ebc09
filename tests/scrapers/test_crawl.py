"""The real spider against the demo shop served on 127.0.0.1 by the test."""

import json
import subprocess
import time

import pandas as pd
import pytest
import yaml

from demo_shop.generate import generate_shop
from demo_shop.server import running_shop
from prodseg.fileio import sha256_file
from scrapers.catalog import load_catalog
from scrapers.crawl import crawl_command, prepare_run, run_crawl
from scrapers.site_config import load_site
from tests.conftest import make_settings


def settings_for(root, shop_dir, server, **sections):
    return make_settings(root, shop_dir, port=server.server_address[1], **sections)


def truth(shop_dir):
    return (pd.read_parquet(shop_dir / "truth" / "products.parquet"),
            pd.read_parquet(shop_dir / "truth" / "images.parquet"))


def test_crawl_lands_each_good_product_once_and_counts_every_fault(tmp_path, faulty_shop, shop_server):
    settings = settings_for(tmp_path, faulty_shop, shop_server)
    report = run_crawl(settings)
    catalog = load_catalog(settings.catalog_path)
    products, images = truth(faulty_shop)
    expected = set(products.loc[products["expected_in_catalog"], "sku"])

    assert set(catalog["product_id"]) == expected
    assert catalog["image_sha256"].is_unique
    assert set(catalog["image_sha256"]) == set(images.loc[images["sku"].isin(expected), "image_sha256"])
    for row in catalog.itertuples():
        stored = settings.raw_dir / row.image_path
        assert stored.stem == row.image_sha256 == sha256_file(stored)

    assert report.dropped == {"corrupt": 1, "http_404": 1, "too_small": 1}
    assert report.duplicate_images == 1
    assert report.pages_without_product == 1
    statuses = [status for _, path, status in shop_server.requests
                if path == json.loads((faulty_shop / "server.json").read_text())["fail_once"][0]]
    assert statuses == [500, 200]  # retried once, then landed
    requested = shop_server.paths_requested()
    assert "/robots.txt" in requested
    assert not [p for p in requested if p.startswith("/cart")], "robots.txt disallows /cart"

    with_truth = catalog.merge(images[["image_sha256", "class_name"]], on="image_sha256", suffixes=("", "_true"))
    known = with_truth[with_truth["known_class"]]
    assert (known["class_name"] == known["class_name_true"]).all()
    gift = products.loc[products["fault"] == "unknown_category", "sku"].item()
    assert not catalog.loc[catalog["product_id"] == gift, "known_class"].any()
    assert json.loads(settings.crawl_report_path.read_text())["catalog_rows"] == len(catalog)


def test_a_second_crawl_fetches_no_product_again_and_adds_nothing(tmp_path, faulty_shop, shop_server):
    settings = settings_for(tmp_path, faulty_shop, shop_server)
    run_crawl(settings)
    first = load_catalog(settings.catalog_path)
    n_requests = len(shop_server.requests)

    report = run_crawl(settings)
    again = shop_server.paths_requested()[n_requests:]
    pd.testing.assert_frame_equal(load_catalog(settings.catalog_path), first)
    assert report.new_images == 0
    assert not [p for p in again if p.startswith("/img/")]
    products, _ = truth(faulty_shop)
    broken = products.loc[products["fault"] == "broken_page", "url"].item()
    assert [p for p in again if p.startswith("/product/")] == [broken]  # no product data yet: tried again
    assert report.product_pages_skipped == len(products) - 1


def test_a_crawl_killed_midway_resumes_to_the_same_catalog(tmp_path, faulty_shop, shop_server):
    reference = settings_for(tmp_path / "ref", faulty_shop, shop_server)
    run_crawl(reference)
    settings = settings_for(tmp_path / "killed", faulty_shop, shop_server, crawl={"concurrency": 1})
    site = load_site(settings.site_config_path("demo")).with_shop_url(settings.shop_url)
    journal = settings.crawl_state_dir("demo") / "journal.jsonl"
    proc = subprocess.Popen(crawl_command(prepare_run(settings, site)), cwd=settings.repo_root,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and proc.poll() is None:
            if journal.exists() and journal.read_text().count("\n") >= 4:
                break
            time.sleep(0.01)
    finally:
        proc.kill()  # SIGKILL: no chance to clean up
        proc.wait()
    crawled_before_kill = journal.read_text().count("\n")
    products, _ = truth(faulty_shop)
    assert 4 <= crawled_before_kill < products["expected_in_catalog"].sum(), "the kill must land midway"

    report = run_crawl(settings)
    keys = ["product_id", "image_sha256", "image_path", "class_name"]
    resumed = load_catalog(settings.catalog_path)[keys]
    full = load_catalog(reference.catalog_path)[keys]
    pd.testing.assert_frame_equal(resumed, full)
    assert report.product_pages_skipped >= crawled_before_kill - 1


def test_a_shop_without_jsonld_is_crawled_through_css_selectors(tmp_path):
    shop_dir = tmp_path / "plain-shop"
    settings = make_settings(tmp_path, shop_dir, shop={"products": 10, "faults": False, "jsonld": False})
    generate_shop(shop_dir, settings.config.shop)
    assert "ld+json" not in next((shop_dir / "site" / "product").rglob("index.html")).read_text()
    with running_shop(shop_dir) as server:
        demo = load_site(settings.site_config_path("demo"))
        site_yaml = tmp_path / "plain.yaml"
        site_yaml.write_text(yaml.safe_dump({
            "name": "plain",
            "start_urls": [server.url + "/"],
            "allowed_domains": ["127.0.0.1"],
            "product_links": ["/product/"],
            "classes": demo.classes,
            "selectors": {
                "product_id": "article.product::attr(data-sku)",
                "title": "h1.product-title::text",
                "category": "nav.breadcrumb a.crumb-category::text",
                "price": "p.price::text",
                "currency": "p.price::attr(data-currency)",
                "images": "//ul[@class='gallery']//img/@src",
            },
        }, sort_keys=False))
        report = run_crawl(settings, str(site_yaml))
    catalog = load_catalog(settings.catalog_path)
    products, images = truth(shop_dir)
    assert report.site == "plain" and set(catalog["product_id"]) == set(products["sku"])
    assert set(catalog["image_sha256"]) == set(images["image_sha256"])
    assert catalog["known_class"].all() and (catalog["price"] > 0).all() and (catalog["currency"] == "EUR").all()


def test_a_broken_site_config_is_a_clear_error(tmp_path, faulty_shop):
    from prodseg.settings import ConfigError

    bad = tmp_path / "bad.yaml"
    bad.write_text("name: bad\nstart_urls: [http://127.0.0.1:9/]\nproduct_links: []\nselectors: {colour: h1}\n")
    with pytest.raises(ConfigError, match="unknown selector fields"):
        run_crawl(make_settings(tmp_path, faulty_shop), str(bad))
