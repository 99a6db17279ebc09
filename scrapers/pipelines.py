"""Item pipelines: download and check product images, then journal the product."""

from __future__ import annotations

import logging
from dataclasses import asdict
from pathlib import Path

from scrapy.exceptions import IgnoreRequest
from scrapy.pipelines.files import FilesPipeline

from prodseg.fileio import atomic_write_bytes, sha256_bytes
from prodseg.images import ImageRejected
from scrapers.images import inspect_image
from scrapers.items import ProductItem
from prodseg.journal import Journal

log = logging.getLogger(__name__)


class ProductImagesPipeline(FilesPipeline):
    """Scrapy's FilesPipeline, storing each image once under the sha256 of its bytes.

    Files are named by content, never by anything the site controls; bytes are
    decoded and checked before they are written (atomically); images the
    journal already holds are not downloaded again.
    """

    def __init__(self, store_uri, *, crawler=None):
        super().__init__(store_uri, crawler=crawler)
        limits = crawler.settings
        self.min_side = limits.getint("PRODSEG_MIN_IMAGE_SIDE")
        self.max_pixels = limits.getint("PRODSEG_MAX_IMAGE_PIXELS")
        self.max_bytes = limits.getint("PRODSEG_MAX_IMAGE_BYTES")
        self.images_dir = Path(store_uri)

    @staticmethod
    def _to_download(item: ProductItem, info) -> list[str]:
        return [url for url in item.image_urls if url not in info.spider.known_images]

    def get_media_requests(self, item: ProductItem, info):
        wanted = set(self._to_download(item, info))
        return [req for req in super().get_media_requests(item, info) if req.url in wanted]

    async def media_downloaded(self, response, request, info, *, item=None):
        if response.status != 200:
            raise ImageRejected(f"http_{response.status}", transient=response.status >= 500)
        request.meta["prodseg_image"] = inspect_image(response.body, self.min_side, self.max_pixels, self.max_bytes)
        return await super().media_downloaded(response, request, info, item=item)

    def media_failed(self, failure, request, info):
        if isinstance(failure.value, ImageRejected):
            raise failure.value
        if isinstance(failure.value, IgnoreRequest):
            raise ImageRejected("filtered", str(failure.value))
        raise ImageRejected("download_failed", repr(failure.value), transient=True)

    def file_path(self, request, response=None, info=None, *, item=None):
        if response is None:  # before the download the content hash is unknown
            return super().file_path(request, response, info, item=item)
        return f"{sha256_bytes(response.body)}{request.meta['prodseg_image'].ext}"

    def file_downloaded(self, response, request, info, *, item=None):
        checked = request.meta["prodseg_image"]
        name = self.file_path(request, response)
        if not (self.images_dir / name).exists():  # the same bytes from another URL: stored once
            atomic_write_bytes(self.images_dir / name, response.body)
        # This dict comes back as the result's "checksum".
        return {"sha256": sha256_bytes(response.body), "width": checked.width, "height": checked.height,
                "bytes": len(response.body), "format": checked.format, "file": name}

    def item_completed(self, results, item: ProductItem, info):
        stats = self.crawler.stats
        item.files = [dict(info.spider.known_images[u]) for u in item.image_urls if u in info.spider.known_images]
        for url, (ok, result) in zip(self._to_download(item, info), results):
            if ok:
                item.files.append({**result["checksum"], "url": url})
                stats.inc_value("prodseg/images_stored")
                continue
            exc = result.value
            rejected = exc if isinstance(exc, ImageRejected) else ImageRejected("error", repr(exc))
            item.drops.append({"url": url, "reason": rejected.reason, "detail": rejected.detail,
                               "transient": rejected.transient})
            stats.inc_value(f"prodseg/images_dropped/{rejected.reason}")
            log.warning("image dropped (%s): %s %s", rejected.reason, url, rejected.detail)
        return item


class JournalPipeline:
    """Appends each finished product page to the crawl journal (see journal.py)."""

    def __init__(self, path: str, stats):
        self.journal = Journal(Path(path))
        self.stats = stats

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler.settings.get("PRODSEG_JOURNAL"), crawler.stats)

    def process_item(self, item: ProductItem, spider=None):
        record = asdict(item)
        record["images"] = record.pop("files")
        del record["image_urls"]
        # A page whose images failed only for good (404, corrupt, too small) is done;
        # one that hit a network failure is fetched again by the next crawl.
        record["complete"] = not any(d["transient"] for d in item.drops)
        self.journal.append(record)
        self.stats.inc_value("prodseg/products")
        return item

    def close_spider(self, spider=None):
        self.journal.close()
