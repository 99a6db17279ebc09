"""A site's class list and its unknown-category policy: YAML checks, and crawls under each policy."""

import json

import pytest
import yaml

from prodseg.classes import ClassList
from prodseg.settings import ConfigError
from scrapers.catalog import load_catalog
from scrapers.crawl import run_crawl
from scrapers.site_config import load_site
from tests.conftest import make_settings

BASE = {"name": "t", "start_urls": ["http://127.0.0.1:9/"], "product_links": ["/product/"]}


def write_site(path, **fields):
    path.write_text(yaml.safe_dump({**BASE, **fields}, sort_keys=False))
    return path


@pytest.mark.parametrize("fields, message", [
    ({"classes": {"Table": ["tables"]}}, "invalid class names"),
    ({"classes": {"background": []}}, "invalid class names"),
    ({"classes": {"table": []}, "category_map": {"desks": "desk"}}, "declared classes"),
    ({"classes": {"table": []}, "unknown_category": "guess"}, "unknown_category"),
    ({"unknown_category": "product"}, "needs a `classes` list"),
    ({"classes": {"product": []}, "unknown_category": "product"}, "do not declare it"),
    ({"unknown_category": "category", "category_map": {"desks": "Desk!"}}, "valid class names"),
])
def test_a_bad_class_list_is_a_clear_error(tmp_path, fields, message):
    with pytest.raises(ConfigError, match=message):
        load_site(write_site(tmp_path / "s.yaml", **fields))


def test_policy_defaults_and_the_classes_it_makes(tmp_path):
    declared = load_site(write_site(tmp_path / "a.yaml", classes={"table": ["dining tables"], "couch": ["sofas"]}))
    assert declared.policy == "reject" and declared.class_of("Home > Dining Tables") == "table"
    assert declared.class_of("Lighting > Floor Lamps") is None
    assert declared.class_list(["lamp"]).products == ("table", "couch")   # config order, ids 1 and 2
    bare = load_site(write_site(tmp_path / "b.yaml", category_map={"sofas": "couch"}))
    assert bare.policy == "category" and bare.class_of("Lighting > Floor Lamps") == "floor-lamps"
    assert bare.class_of("Living > Sofas") == "couch"
    assert bare.class_list(["lamp", "couch", None, "lamp"]).products == ("couch", "lamp")
    generic = load_site(write_site(tmp_path / "c.yaml", classes={"table": []}, unknown_category="product"))
    assert generic.class_of("Floor Lamps") == "product" and generic.class_list().products == ("table", "product")


def test_the_demo_declares_its_eight_in_the_old_order():
    from prodseg.settings import Settings

    demo = load_site(Settings.load(environ={}).site_config_path("demo"))
    assert demo.class_list().names == ("background", "couch", "chair", "bed", "vase", "bowl", "cup",
                                       "wine-glass", "potted-plant")
    assert demo.class_of("Kitchen > Mugs & Cups") == "cup" and demo.class_of("Inspiration > Gift Ideas") is None


@pytest.mark.parametrize("policy, gift_class", [("reject", None), ("product", "product"),
                                                ("category", "gift-ideas")])
def test_a_category_that_maps_to_no_class_is_handled_as_configured(tmp_path, faulty_shop, shop_server, policy,
                                                                  gift_class):
    settings = make_settings(tmp_path, faulty_shop, port=shop_server.server_address[1])
    demo = load_site(settings.site_config_path("demo"))
    site = write_site(tmp_path / "shop.yaml", name="shop", start_urls=[shop_server.url + "/"],
                      allowed_domains=["127.0.0.1"], listing_links=["/category/"], classes=demo.classes,
                      unknown_category=policy)
    report = run_crawl(settings, str(site))
    catalog = load_catalog(settings.catalog_path)
    classes = ClassList.load(settings.catalog_classes_path)
    gift = catalog[catalog["category"].str.endswith("Gift Ideas")]
    assert len(gift) and gift["class_name"].isna().all() == (gift_class is None)
    extra = () if gift_class is None else (gift_class,)
    assert classes.products == (*demo.class_list().products, *extra)      # the demo's eight keep ids 1..8
    if gift_class:
        assert (gift["class_name"] == gift_class).all() and (gift["class_id"] == len(classes) - 1).all()
    assert report.classes == list(classes.products)
    assert report.products_without_class == (1 if gift_class is None else 0)
    assert sum(report.products_per_class.values()) + report.products_without_class == report.products
    known = catalog.dropna(subset=["class_name"])
    assert [classes.id(n) for n in known["class_name"]] == known["class_id"].tolist()
    assert json.loads(settings.crawl_report_path.read_text())["classes"] == report.classes


def test_a_catalog_with_no_class_to_list_is_a_clear_crawl_error(tmp_path):
    from scrapers.crawl import CrawlError, catalog_classes

    bare = load_site(write_site(tmp_path / "s.yaml"))
    with pytest.raises(CrawlError, match="no class list for the catalog .*declare the shop's `classes`"):
        catalog_classes(bare, [{"site": "t", "category": None}])
    # The site's own records are classed again from their category text; another site's keep their class.
    records, classes = catalog_classes(bare, [{"site": "t", "category": "Home > Floor Lamps", "class_name": "x"},
                                              {"site": "u", "category": "Mugs", "class_name": "cup"}])
    assert [r["class_name"] for r in records] == ["floor-lamps", "cup"] and classes.products == ("cup", "floor-lamps")
