"""Crawls that stop: the crawl.max_* bounds against a trap site, and empty crawls that fail loudly."""

import json

import pytest

from scrapers.catalog import load_catalog
from scrapers.crawl import CrawlError, run_crawl
from tests.cli_process import run_cli
from tests.conftest import make_settings
from tests.pipelines.tiny import free_port
from tests.scrapers.trap_site import trap_site

NO_BOUNDS = {"max_pages": 0, "max_depth": 0, "max_minutes": 0}


@pytest.mark.parametrize("bound, delay, hit", [
    ({"max_pages": 40}, 0.0, "crawl.max_pages=40"),
    ({"max_depth": 3}, 0.0, "crawl.max_depth=3"),
    ({"max_minutes": 0.05}, 0.05, "crawl.max_minutes=0.05"),
])
def test_a_site_that_links_on_forever_is_stopped_by_each_bound_and_the_report_says_so(
        tmp_path, faulty_shop, caplog, bound, delay, hit):
    settings = make_settings(tmp_path, faulty_shop, crawl={**NO_BOUNDS, **bound})
    with trap_site(delay) as site:
        report = run_crawl(settings, str(site.site_yaml(tmp_path)))
    [limit] = report.limits_hit
    assert limit.startswith(hit)
    assert f"stopped early by {hit}" in report.summary()
    assert json.loads(settings.crawl_report_path.read_text())["limits_hit"] == [limit]
    assert any(hit in r.getMessage() and r.levelname == "WARNING" for r in caplog.records)
    assert 0 < len(load_catalog(settings.catalog_path)) == report.catalog_rows
    if "max_pages" in bound:
        # Pages are a part of the responses counted; those in flight when it stopped are still taken in.
        assert report.figures["pages"] <= 40 + settings.config.crawl.concurrency
    if "max_depth" in bound:  # listings at depths 1-3 (14; the start page is not counted), products at 1-3 (7)
        assert report.figures["pages"] == 21 and report.products == 7


def test_the_default_bounds_are_on():
    from prodseg.settings import CrawlConfig

    crawl = CrawlConfig()
    assert crawl.max_pages > 0 and crawl.max_depth > 0 and crawl.max_minutes > 0


def test_an_unreachable_shop_fails_loudly_and_keeps_the_previous_catalog(tmp_path, faulty_shop):
    settings = make_settings(tmp_path, faulty_shop, crawl={"max_pages": 30})
    with trap_site() as site:
        run_crawl(settings, str(site.site_yaml(tmp_path)))
    good = settings.catalog_path.read_bytes()
    report = settings.crawl_report_path.read_bytes()
    assert len(load_catalog(settings.catalog_path)) > 0

    refused = tmp_path / "refused.yaml"  # a free port: nothing listens, connections are refused
    refused.write_text(f"name: refused\nstart_urls: ['http://127.0.0.1:{free_port()}/']\n"
                       "product_links: ['/product/']\n")
    with pytest.raises(CrawlError, match="reached no product page .*ConnectionRefusedError"):
        run_crawl(settings, str(refused))  # what the raw_catalog asset calls: the asset fails
    proc = run_cli("--var", str(settings.var_dir), "--data", str(settings.data_dir),
                   "--set", "crawl.retry_times=0", "crawl", "--site", str(refused))
    assert proc.returncode == 1, proc.stderr
    last = proc.stderr.strip().splitlines()[-1]  # Scrapy's own log of the failed requests comes before
    assert last.startswith("prodseg crawl: crawl refused: reached no product page from http://127.0.0.1:")
    assert "ConnectionRefusedError x2" in last and last.endswith("The catalog is left as it was.")
    assert settings.catalog_path.read_bytes() == good and settings.crawl_report_path.read_bytes() == report


def test_a_crawl_that_finds_no_product_link_fails(tmp_path, faulty_shop):
    settings = make_settings(tmp_path, faulty_shop, crawl={"max_pages": 30})
    with trap_site() as site:
        site_yaml = site.site_yaml(tmp_path)
        site_yaml.write_text(site_yaml.read_text().replace("/product/", "/no-such-page/"))
        with pytest.raises(CrawlError, match="none a product page: check start_urls"):
            run_crawl(settings, str(site_yaml))
    assert not settings.catalog_path.exists()
