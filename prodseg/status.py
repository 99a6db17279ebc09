"""A human summary of where the pipeline's outputs are and how to look at them."""

from __future__ import annotations

import json

from prodseg.settings import Settings
from scrapers.catalog import load_catalog


def describe(settings: Settings) -> str:
    lines = []
    catalog = load_catalog(settings.catalog_path)
    if len(catalog):
        per_class = catalog["class_name"].fillna("(unknown)").value_counts().sort_index()
        lines.append(f"catalog: {settings.catalog_path} ({len(catalog)} images of "
                     f"{catalog['product_id'].nunique()} products)")
        lines.append("  " + ", ".join(f"{name} {n}" for name, n in per_class.items()))
        lines.append(f"images:  {settings.images_dir}")
    else:
        lines.append(f"catalog: none yet at {settings.catalog_path} (run `prodseg crawl`)")
    if settings.crawl_report_path.exists():
        report = json.loads(settings.crawl_report_path.read_text())
        f = report["figures"]
        lines.append(f"last crawl: {f['product_pages']} product pages in {f['elapsed_s']:.1f}s "
                     f"({f['product_pages_per_s']:.1f} product pages/s), dropped {report['dropped'] or 'none'}")
    lines.append(f"demo shop: {settings.shop_site_dir} (serve it: prodseg shop serve, then {settings.shop_url}/)")
    lines.append(f"Dagster UI: make ui  (DAGSTER_HOME={settings.dagster_home}), then http://127.0.0.1:3000")
    return "\n".join(lines)
