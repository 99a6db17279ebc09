"""``run_crawl``: the crawl stage as one plain function (CLI, Dagster asset and DVC stage call it)."""

from __future__ import annotations

import ipaddress
import json
import logging
import socket
import sys
from contextlib import ExitStack, nullcontext
from dataclasses import asdict, dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import pandas as pd

from demo_shop.generate import ShopSummary, generate_shop
from demo_shop.photo_shop import build_photo_shop
from demo_shop.server import running_shop
from prodseg.classes import ClassList
from prodseg.fileio import all_or_nothing, atomic_write_json, atomic_write_parquet
from prodseg.settings import CrawlConfig, Settings
from scrapers.catalog import fold_records
from prodseg.journal import Journal
from scrapers.process import run_child, site_lock
from scrapers.site_config import SiteConfig, load_site

log = logging.getLogger(__name__)

NO_CLASS = "(unknown)"   # rows_per_class key of images whose category maps to no class


class CrawlError(RuntimeError):
    """The crawler process failed, or reached no product page; the journal keeps what it had crawled."""


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
    pages_dropped: dict[str, int] = field(default_factory=dict)  # reason -> product pages of this run without a product
    rows_per_class: dict[str, int] = field(default_factory=dict)   # images per class, "(unknown)" for none
    classes: list[str] = field(default_factory=list)                 # the catalog's product classes, in id order
    products_per_class: dict[str, int] = field(default_factory=dict)
    products_without_class: int = 0     # category mapped to no class (policy reject): labelling rejects them
    limits_hit: list[str] = field(default_factory=list)  # the crawl.max_* bounds that stopped or cut the crawl

    def summary(self) -> str:
        f = self.figures
        limits = f"; stopped early by {', '.join(self.limits_hit)}" if self.limits_hit else ""
        unclassed = f" ({self.products_without_class} without a class)" if self.products_without_class else ""
        return (f"crawl {self.site}: {self.catalog_rows} catalog rows ({self.new_images} new images) from "
                f"{self.products} products{unclassed} in {len(self.classes)} classes; dropped {sum(self.dropped.values())} images {self.dropped or ''}, "
                f"{self.duplicate_images} duplicates; {self.pages_without_product} pages without a product "
                f"{self.pages_dropped or ''}; {f.get('product_pages_per_s', 0):.1f} product pages/s "
                f"-> {self.catalog_path}{limits}")


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


def build_site_shop(settings: Settings, site: SiteConfig) -> ShopSummary:
    """Build the site's embedded shop into ``paths.shop`` if needed: the demo shop, or a photo folder's."""
    if site.photos:
        photos = Path(site.photos).expanduser()
        return build_photo_shop(photos if photos.is_absolute() else settings.repo_root / photos, settings.shop_dir,
                                settings.config.shop.per_page,
                                site.class_of)
    return generate_shop(settings.shop_dir, settings.config.shop)


def _served_shop(settings: Settings, site: SiteConfig):
    """Build the site's embedded shop if needed and serve it unless it is already being served."""
    shop = settings.config.shop
    build_site_shop(settings, site)
    if _port_answers(shop.host, shop.port):
        log.info("using the shop already served at %s", settings.shop_url)
        return nullcontext()
    log.info("serving the %s shop at %s for the crawl", site.name, settings.shop_url)
    return running_shop(settings.shop_dir, shop.host, shop.port)


def _scrapy_settings(settings: Settings, site: SiteConfig, state: Path) -> dict:
    crawl = settings.config.crawl
    return {
        "FILES_STORE": str(settings.images_dir),
        "CONCURRENT_REQUESTS": crawl.concurrency,
        "CONCURRENT_REQUESTS_PER_DOMAIN": crawl.concurrency,
        "DOWNLOAD_TIMEOUT": crawl.download_timeout,
        "RETRY_TIMES": crawl.retry_times,
        # Bounds, so a site whose listings link on forever cannot keep the crawl going (0 = no bound).
        "CLOSESPIDER_PAGECOUNT": crawl.max_pages,
        "DEPTH_LIMIT": crawl.max_depth,
        "CLOSESPIDER_TIMEOUT": crawl.max_minutes * 60,
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
    (state / "last_run_stats.json").unlink(missing_ok=True)  # only the coming run's stats may be read
    atomic_write_json(run_config, {
        "site": site.model_dump(),
        "journal": str(state / "journal.jsonl"),
        "images_dir": str(settings.images_dir),
        "scrapy_settings": _scrapy_settings(settings, site, state),
    })
    return run_config


def catalog_classes(site: SiteConfig, records: list[dict]) -> tuple[list[dict], ClassList]:
    """The records with their classes under ``site``'s current config, and the catalog's class list.

    The site's own records are classed again from their category text, so a changed ``classes`` or policy
    applies to products crawled before it without fetching them again; other sites' keep theirs.
    """
    records = [{**r, "class_name": site.class_of(r.get("category"))} if r["site"] == site.name else r
               for r in records]
    try:
        return records, site.class_list(r.get("class_name") for r in records)
    except ValueError as exc:   # e.g. no product has a category to make a class of
        raise CrawlError(f"site {site.name}: no class list for the catalog ({exc}); declare the shop's "
                         "`classes` in its site YAML (README, The shop's classes)") from None


def build_catalog(settings: Settings, site: SiteConfig | None = None) -> tuple[pd.DataFrame, object]:
    """Fold every site's journal into the catalog table and its class list; write both atomically.

    ``site`` (default: ``crawl.site``) decides the class list: the last site crawled names the catalog's.
    """
    site = site or load_site(settings.site_config_path(settings.config.crawl.site))
    records = [r for journal in sorted(settings.var_dir.glob("crawl/*/journal.jsonl"))
               for r in Journal(journal).records()]
    records, classes = catalog_classes(site, records)
    catalog, stats = fold_records(records, classes)
    with all_or_nothing():   # the catalog and the class list its ids index are swapped in together
        atomic_write_parquet(settings.catalog_path, catalog)
        classes.save(settings.catalog_classes_path)
    return catalog, stats


def limits_hit(reason: str, scrapy_stats: dict, crawl: CrawlConfig) -> list[str]:
    """Which ``crawl.max_*`` bounds ended the crawl or cut links from it, in words."""
    hit = []
    if reason == "closespider_pagecount":
        hit.append(f"crawl.max_pages={crawl.max_pages} (responses, pages and images)")
    if reason == "closespider_timeout":
        hit.append(f"crawl.max_minutes={crawl.max_minutes}")
    if scrapy_stats.get("depth/request_ignored_count"):
        hit.append(f"crawl.max_depth={crawl.max_depth} "
                   f"({scrapy_stats['depth/request_ignored_count']} deeper links not followed)")
    return hit


def _nothing_reached(site: SiteConfig, scrapy_stats: dict) -> str | None:
    """Why the crawl is empty, when it reached no product page (fetched or already journaled)."""
    if scrapy_stats.get("prodseg/products", 0) or scrapy_stats.get("prodseg/product_pages_skipped", 0):
        return None
    failures = {k.rsplit("/", 1)[-1].rsplit(".", 1)[-1]: v for k, v in scrapy_stats.items()
                if k.startswith("downloader/exception_type_count/")}
    if scrapy_stats.get("prodseg/product_pages", 0):
        why = "its product pages carry no product data (title and images): check the site's selectors"
    elif failures:
        why = f"requests failed: {', '.join(f'{name} x{n}' for name, n in sorted(failures.items()))}"
    else:
        why = (f"{scrapy_stats.get('response_received_count', 0)} responses, "
               "none a product page: check start_urls, listing_links and product_links")
    return f"crawl {site.name}: reached no product page from {', '.join(site.start_urls)}; {why}"


def run_crawl(settings: Settings, site_name: str | None = None) -> CrawlReport:
    """Crawl one site (default: ``crawl.site``) and update the catalog; returns the report.

    Re-running fetches only product pages the journal does not hold yet; an
    interrupted crawl resumes where it stopped. A crawl that reaches no product
    page raises ``CrawlError`` and leaves the catalog as it was; a second crawl
    of a site being crawled raises ``CrawlBusy``.
    """
    site = load_site(settings.site_config_path(site_name or settings.config.crawl.site))
    state = settings.crawl_state_dir(site.name)
    with site_lock(state, site.name) as lock_fd, ExitStack() as stack:
        if site.serves_shop:
            stack.enter_context(_served_shop(settings, site))
            site = site.with_shop_url(settings.shop_url)
        run_config = prepare_run(settings, site)
        before = len(list(settings.images_dir.iterdir()))
        returncode = run_child(crawl_command(run_config), settings.repo_root, keep_fds=(lock_fd,))
    stats_path = state / "last_run_stats.json"
    if returncode != 0:
        reason = json.loads(stats_path.read_text())["reason"] if stats_path.exists() else "killed"
        raise CrawlError(f"crawler exited with {returncode} ({reason}); the catalog is left as it was, the journal "
                         "keeps what was crawled and a re-run resumes (details in the log above)")
    run_stats = json.loads(stats_path.read_text())
    scrapy_stats = run_stats["scrapy"]
    empty = _nothing_reached(site, scrapy_stats)
    if empty:
        raise CrawlError(f"{empty}. The catalog is left as it was.")
    catalog, fold = build_catalog(settings, site)
    products = catalog.drop_duplicates(["site", "product_id"])
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
        pages_dropped={k.rsplit("/", 1)[-1]: v for k, v in sorted(scrapy_stats.items())
                       if k.startswith("prodseg/pages_without_product/")},
        figures=run_stats["figures"],
        rows_per_class=catalog["class_name"].fillna(NO_CLASS).value_counts().sort_index().to_dict(),
        classes=list(ClassList.load(settings.catalog_classes_path).products),
        products_per_class=products["class_name"].dropna().value_counts().sort_index().to_dict(),
        products_without_class=int(products["class_name"].isna().sum()),
        limits_hit=limits_hit(run_stats["reason"], scrapy_stats, settings.config.crawl),
    )
    atomic_write_json(settings.crawl_report_path, asdict(report))
    log.info(report.summary())
    for limit in report.limits_hit:
        log.warning("crawl %s stopped early: %s reached; raise it to crawl the rest",
                    site.name, limit)
    return report
