"""``run_crawl``: the crawl stage as one plain function (CLI, Dagster asset and DVC stage call it)."""

from __future__ import annotations

import ipaddress
import json
import logging
import socket
import subprocess
import sys
from contextlib import ExitStack, nullcontext
from dataclasses import asdict, dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import pandas as pd

from demo_shop.generate import generate_shop
from demo_shop.server import running_shop
from prodseg.fileio import atomic_write_json, atomic_write_parquet
from prodseg.settings import Settings
from scrapers.catalog import fold_records
from prodseg.journal import Journal
from scrapers.site_config import SiteConfig, load_site

log = logging.getLogger(__name__)


class CrawlError(RuntimeError):
    """The crawler process failed; the journal keeps what it had crawled."""


@dataclass
class CrawlReport:
    site: str
    catalog_path: str
    catalog_rows: int
    products: int
    new_images: int
    duplicate_images: int
    dropped: dict[str, int]             # reason -> image URLs dropped (catalog-wide)
    pages_without_product: int
    product_pages_skipped: int           # already in the journal: not fetched again
    figures: dict[str, float]            # elapsed_s, pages_per_s, product_pages_per_s, images_per_s
    rows_per_class: dict[str, int] = field(default_factory=dict)

    def summary(self) -> str:
        f = self.figures
        return (f"crawl {self.site}: {self.catalog_rows} catalog rows ({self.new_images} new images) from "
                f"{self.products} products; dropped {sum(self.dropped.values())} images {self.dropped or ''}, "
                f"{self.duplicate_images} duplicates; {f.get('product_pages_per_s', 0):.1f} product pages/s "
                f"-> {self.catalog_path}")


def _is_loopback(url: str) -> bool:
    host = urlsplit(url).hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _port_answers(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=0.5):
            return True
    except OSError:
        return False


def _demo_shop(settings: Settings):
    """Generate the demo shop if needed and serve it unless it is already being served."""
    shop = settings.config.shop
    generate_shop(settings.shop_dir, shop)
    if _port_answers(shop.host, shop.port):
        log.info("using the demo shop already served at %s", settings.shop_url)
        return nullcontext()
    log.info("serving the demo shop at %s for the crawl", settings.shop_url)
    return running_shop(settings.shop_dir, shop.host, shop.port)


def _scrapy_settings(settings: Settings, site: SiteConfig, state: Path) -> dict:
    crawl = settings.config.crawl
    return {
        "FILES_STORE": str(settings.images_dir),
        "CONCURRENT_REQUESTS": crawl.concurrency,
        "CONCURRENT_REQUESTS_PER_DOMAIN": crawl.concurrency,
        "DOWNLOAD_TIMEOUT": crawl.download_timeout,
        "RETRY_TIMES": crawl.retry_times,
        # Throttling protects real shops; it only slows a loopback server down.
        "AUTOTHROTTLE_ENABLED": crawl.autothrottle and not all(_is_loopback(u) for u in site.start_urls),
        "USER_AGENT": site.user_agent,
        "PRODSEG_JOURNAL": str(state / "journal.jsonl"),
        "PRODSEG_STATS_PATH": str(state / "last_run_stats.json"),
        "PRODSEG_PROGRESS_EVERY": crawl.progress_every,
        "PRODSEG_MIN_IMAGE_SIDE": crawl.min_image_side,
        "PRODSEG_MAX_IMAGE_PIXELS": crawl.max_image_pixels,
        "PRODSEG_MAX_IMAGE_BYTES": crawl.max_image_bytes,
    }


def crawl_command(run_config: Path) -> list[str]:
    """The child process that runs one crawl (see scrapers/run.py)."""
    return [sys.executable, "-m", "scrapers.run", str(run_config)]


def prepare_run(settings: Settings, site: SiteConfig) -> Path:
    """Write the run config the crawler process reads; returns its path."""
    state = settings.crawl_state_dir(site.name)
    state.mkdir(parents=True, exist_ok=True)
    settings.images_dir.mkdir(parents=True, exist_ok=True)
    run_config = state / "run_config.json"
    atomic_write_json(run_config, {
        "site": site.model_dump(),
        "journal": str(state / "journal.jsonl"),
        "images_dir": str(settings.images_dir),
        "scrapy_settings": _scrapy_settings(settings, site, state),
    })
    return run_config


def build_catalog(settings: Settings) -> tuple[pd.DataFrame, object]:
    """Fold every site's journal into the catalog table and write it atomically."""
    records = [r for journal in sorted(settings.var_dir.glob("crawl/*/journal.jsonl"))
               for r in Journal(journal).records()]
    catalog, stats = fold_records(records)
    atomic_write_parquet(settings.catalog_path, catalog)
    return catalog, stats


def run_crawl(settings: Settings, site_name: str | None = None) -> CrawlReport:
    """Crawl one site (default: ``crawl.site``) and update the catalog; returns the report.

    Re-running fetches only product pages the journal does not hold yet; an
    interrupted crawl resumes where it stopped.
    """
    site = load_site(settings.site_config_path(site_name or settings.config.crawl.site))
    with ExitStack() as stack:
        if site.demo:
            stack.enter_context(_demo_shop(settings))
            site = site.with_shop_url(settings.shop_url)
        run_config = prepare_run(settings, site)
        before = len(list(settings.images_dir.iterdir()))
        proc = subprocess.run(crawl_command(run_config), cwd=settings.repo_root)
    catalog, fold = build_catalog(settings)
    stats_path = settings.crawl_state_dir(site.name) / "last_run_stats.json"
    if proc.returncode != 0:
        raise CrawlError(f"crawler exited with {proc.returncode}; the journal keeps what was crawled "
                         f"and a re-run resumes (details in the log above, stats in {stats_path})")
    run_stats = json.loads(stats_path.read_text())
    scrapy_stats = run_stats["scrapy"]
    report = CrawlReport(
        site=site.name,
        catalog_path=str(settings.catalog_path),
        catalog_rows=len(catalog),
        products=fold.products,
        new_images=len(list(settings.images_dir.iterdir())) - before,
        duplicate_images=fold.duplicate_images,
        dropped=dict(sorted(fold.drops.items())),
        pages_without_product=scrapy_stats.get("prodseg/pages_without_product", 0),
        product_pages_skipped=scrapy_stats.get("prodseg/product_pages_skipped", 0),
        figures=run_stats["figures"],
        rows_per_class=catalog["class_name"].fillna("(unknown)").value_counts().sort_index().to_dict(),
    )
    atomic_write_json(settings.crawl_report_path, asdict(report))
    log.info(report.summary())
    return report
