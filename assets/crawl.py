"""``raw_catalog``: the crawled product images and their catalog table.

(No ``from __future__ import annotations``: Dagster reads the config and
resource types from the signature at definition time.)
"""

import dagster as dg

from assets import versions
from assets.resources import SettingsResource
from scrapers.catalog import load_catalog
from scrapers.crawl import run_crawl

STAGE = "crawl"


class CrawlRunConfig(dg.Config):
    # config/sites/<name>.yaml names or paths to site YAMLs, crawled in turn; empty: crawl.site
    sites: list[str] = []


@dg.asset(
    group_name="crawl",
    kinds={"scrapy", "parquet"},
    code_version=versions.code_version(STAGE),
    description="Product images (named by sha256) and catalog.parquet crawled from the configured shops.",
)
def raw_catalog(context: dg.AssetExecutionContext, config: CrawlRunConfig,
                settings: SettingsResource) -> dg.MaterializeResult:
    # Always runs (no reuse of the previous result): finding new products is the point, and the
    # crawl is incremental, so an unchanged shop costs only its listing pages.
    resolved = settings.load()
    reports = [run_crawl(resolved, site) for site in (config.sites or [None])]
    for report in reports:
        context.log.info(report.summary())
    last = reports[-1]  # each crawl folds every site's journal: the last report describes the whole catalog
    catalog = load_catalog(resolved.catalog_path)
    preview = catalog[["product_id", "title", "class_name", "width", "height", "image_sha256"]].head(10)
    pages = sum(r.figures.get("product_pages", 0) for r in reports)
    elapsed = sum(r.figures.get("elapsed_s", 0.0) for r in reports)
    return dg.MaterializeResult(
        metadata={
            "rows": len(catalog),
            "sites": dg.MetadataValue.json([r.site for r in reports]),
            "products": last.products,
            "new_images": sum(r.new_images for r in reports),
            "rows_per_class": dg.MetadataValue.json(last.rows_per_class),
            "classes": dg.MetadataValue.json(last.classes),              # data/raw/classes.json, in id order
            "products_without_class": last.products_without_class,     # rejected by labelling (policy reject)
            "dropped_images": dg.MetadataValue.json(last.dropped),
            "duplicate_images": last.duplicate_images,
            "product_pages_per_s": round(pages / elapsed, 2) if elapsed else 0.0,
            "figures": dg.MetadataValue.json({r.site: r.figures for r in reports}),
            "limits_hit": dg.MetadataValue.json({r.site: r.limits_hit for r in reports}),  # crawl.max_* reached
            "catalog": dg.MetadataValue.path(str(resolved.catalog_path)),
            "preview": dg.MetadataValue.md(preview.to_markdown(index=False)),
            **versions.stage_metadata(resolved, STAGE),
        },
        # The catalog names every image by its sha256, so its bytes stand for the images too.
        data_version=dg.DataVersion(versions.data_version(resolved.catalog_path)),
    )
