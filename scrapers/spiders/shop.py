"""One config-driven spider for every shop: listing pages -> product pages -> a ProductItem each."""

from __future__ import annotations

import json
import logging
from datetime import datetime, timezone
from pathlib import Path

from scrapy.linkextractors import LinkExtractor
from scrapy.spiders import CrawlSpider, Rule

from scrapers.extract import NoProduct, extract_product
from scrapers.items import ProductItem
from prodseg.journal import Journal
from scrapers.journal import done_pages, known_images
from scrapers.site_config import SiteConfig

log = logging.getLogger(__name__)


class ShopSpider(CrawlSpider):
    """Crawls one shop as its site config says.

    ``run_config`` is a JSON file (written by ``scrapers.crawl.run_crawl``) with
    the site config and the journal path; pages and images the journal already
    holds are skipped, which makes the crawl incremental and resumable.
    """

    name = "shop"

    def __init__(self, run_config: str, *args, **kwargs):
        config = json.loads(Path(run_config).read_text())
        self.site = SiteConfig.model_validate(config["site"])
        self.start_urls = self.site.start_urls
        self.allowed_domains = self.site.allowed_domains
        records = Journal(Path(config["journal"])).records()
        images_dir = Path(config["images_dir"])
        self.done_pages = done_pages(records, images_dir)
        self.known_images = known_images(records, images_dir)
        # The product rule comes first: a link it matches is not also followed as a listing.
        self.rules = (
            Rule(LinkExtractor(allow=self.site.product_links), callback="parse_product",
                 process_request="skip_done"),
            Rule(LinkExtractor(allow=self.site.listing_links), callback="parse_listing", follow=True),
        )
        super().__init__(*args, **kwargs)
        log.info("%s: %d product pages and %d images already crawled", self.site.name,
                 len(self.done_pages), len(self.known_images))

    def skip_done(self, request, response):
        if request.url in self.done_pages:
            self.crawler.stats.inc_value("prodseg/product_pages_skipped")
            return None
        return request

    def parse_listing(self, response):
        self.crawler.stats.inc_value("prodseg/listing_pages")
        return []

    def parse_product(self, response):
        self.crawler.stats.inc_value("prodseg/product_pages")
        try:
            fields = extract_product(response.selector, response.url, self.site.selectors)
        except NoProduct as exc:
            self.crawler.stats.inc_value("prodseg/pages_without_product")
            self.crawler.stats.inc_value(f"prodseg/pages_without_product/{exc.reason}")
            log.warning("page dropped (%s): %s %s", exc.reason, response.url, exc.detail)
            return
        yield ProductItem(
            site=self.site.name,
            class_name=self.site.class_of(fields["category"]),
            page_url=response.url,
            crawled_at=datetime.now(timezone.utc).isoformat(timespec="seconds"),
            **fields,
        )
