"""Crawl throughput on loopback: pages/s, product pages/s and images/s for a demo shop.

    .venv/bin/python benchmarks/crawl_bench.py [--products 500] [--repeat 3]

Each repeat crawls the same served shop from scratch (fresh journal and data
folder); the table shows the median and the range over the repeats.
"""

from __future__ import annotations

import argparse
import logging
import statistics
import tempfile

from demo_shop.generate import generate_shop
from demo_shop.server import running_shop
from prodseg.settings import Settings
from scrapers.crawl import run_crawl


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--products", type=int, default=500)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--concurrency", type=int, default=16)
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)

    base = Settings.load()
    shop_dir = base.var_dir / "bench" / f"shop-{args.products}"
    shop_cfg = base.config.shop.model_copy(update={"products": args.products, "faults": False})
    summary = generate_shop(shop_dir, shop_cfg)
    print(f"shop: {summary.products} products, {summary.images} photos ({shop_dir})")

    runs = []
    with running_shop(shop_dir) as server:
        for _ in range(args.repeat):
            with tempfile.TemporaryDirectory() as tmp:
                settings = Settings.load({
                    "paths": {"var": f"{tmp}/var", "data": f"{tmp}/data", "shop": str(shop_dir)},
                    "shop": {**shop_cfg.model_dump(), "port": server.server_address[1]},
                    "crawl": {"concurrency": args.concurrency, "progress_every": 0},
                })
                report = run_crawl(settings)
                assert report.products == args.products, report.summary()
                runs.append(report.figures)

    print(f"\n{args.repeat} crawls of {args.products} products, concurrency {args.concurrency}, loopback")
    print(f"{'figure':<22}{'median':>10}{'min':>10}{'max':>10}")
    for key in ("elapsed_s", "pages_per_s", "product_pages_per_s", "images_per_s"):
        values = [r[key] for r in runs]
        print(f"{key:<22}{statistics.median(values):>10.1f}{min(values):>10.1f}{max(values):>10.1f}")


if __name__ == "__main__":
    main()
