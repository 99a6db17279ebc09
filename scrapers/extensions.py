"""Progress lines during the crawl and a stats file when it ends."""

from __future__ import annotations

import logging
import time
from pathlib import Path

from scrapy import signals
from twisted.internet import task

from prodseg.fileio import atomic_write_json

log = logging.getLogger("prodseg.crawl")


class CrawlProgress:
    def __init__(self, crawler):
        self.crawler = crawler
        self.stats = crawler.stats
        self.every = crawler.settings.getfloat("PRODSEG_PROGRESS_EVERY")
        self.stats_path = crawler.settings.get("PRODSEG_STATS_PATH")
        self.started = time.monotonic()
        self.loop: task.LoopingCall | None = None
        crawler.signals.connect(self.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(self.spider_closed, signal=signals.spider_closed)

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def spider_opened(self, spider):
        self.started = time.monotonic()
        if self.every > 0:
            self.loop = task.LoopingCall(self.report)
            self.loop.start(self.every, now=False)

    def _figures(self) -> dict:
        get = self.stats.get_value
        elapsed = max(time.monotonic() - self.started, 1e-9)
        product_pages = get("prodseg/product_pages", 0)
        pages = get("prodseg/listing_pages", 0) + product_pages
        products = get("prodseg/products", 0)
        images = get("prodseg/images_stored", 0)
        dropped = sum(v for k, v in self.stats.get_stats().items() if k.startswith("prodseg/images_dropped/"))
        return {"elapsed_s": round(elapsed, 3), "pages": pages, "products": products,
                "images_stored": images, "images_dropped": dropped,
                "product_pages": product_pages, "pages_per_s": round(pages / elapsed, 2),
                "product_pages_per_s": round(product_pages / elapsed, 2), "products_per_s": round(products / elapsed, 2),
                "images_per_s": round(images / elapsed, 2)}

    def report(self) -> None:
        f = self._figures()
        log.info("crawl progress: %(pages)d pages (%(pages_per_s).1f/s), %(products)d products, "
                 "%(images_stored)d images stored, %(images_dropped)d dropped, %(elapsed_s).0fs", f)

    def spider_closed(self, spider, reason):
        if self.loop and self.loop.running:
            self.loop.stop()
        if self.stats_path:
            stats = {k: v for k, v in self.stats.get_stats().items() if isinstance(v, (int, float, str))}
            atomic_write_json(Path(self.stats_path), {"reason": reason, "figures": self._figures(), "scrapy": stats})
