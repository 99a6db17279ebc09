"""``raw_catalog``: the crawled product images and their catalog table.

(No ``from __future__ import annotations``: Dagster reads the config and
resource types from the signature at definition time.)
"""

import dagster as dg

from pipelines.resources import SettingsResource
from scrapers.catalog import load_catalog
from scrapers.crawl import run_crawl


class CrawlRunConfig(dg.Config):
    site: str | None = None  # config/sites/<site>.yaml; default: crawl.site from the settings


@dg.asset(
    group_name="crawl",
    kinds={"scrapy", "parquet"},
    code_version="1",
    description="Product images (named by sha256) and catalog.parquet crawled from the configured shop.",
)
def raw_catalog(context: dg.AssetExecutionContext, config: CrawlRunConfig,
                settings: SettingsResource) -> dg.MaterializeResult:
    resolved = settings.load()
    report = run_crawl(resolved, config.site)
    catalog = load_catalog(resolved.catalog_path)
    preview = catalog[["product_id", "title", "class_name", "width", "height", "image_sha256"]].head(10)
    context.log.info(report.summary())
    return dg.MaterializeResult(metadata={
        "rows": len(catalog),
        "products": report.products,
        "new_images": report.new_images,
        "rows_per_class": dg.MetadataValue.json(report.rows_per_class),
        "dropped_images": dg.MetadataValue.json(report.dropped),
        "duplicate_images": report.duplicate_images,
        "pages_per_s": report.figures.get("pages_per_s", 0.0),
        "product_pages_per_s": report.figures.get("product_pages_per_s", 0.0),
        "catalog": dg.MetadataValue.path(str(resolved.catalog_path)),
        "preview": dg.MetadataValue.md(preview.to_markdown(index=False)),
    })
