"""Run one crawl in this process: ``python -m scrapers.run RUN_CONFIG.json``.

``scrapers.crawl.run_crawl`` starts this as a child process, because Twisted's
reactor cannot be restarted inside one process (Dagster, tests and the CLI
crawl many times).
"""

from __future__ import annotations

import json
import logging
import os
import sys
from pathlib import Path

from scrapy.crawler import CrawlerProcess
from scrapy.utils.project import get_project_settings

from scrapers.process import tie_to_parent

# Close reasons of a crawl that ended as configured: done, or stopped by crawl.max_pages / max_minutes.
COMPLETED = ("finished", "closespider_pagecount", "closespider_timeout")


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print("usage: python -m scrapers.run RUN_CONFIG.json", file=sys.stderr)
        return 2
    tie_to_parent()
    config = json.loads(Path(argv[0]).read_text())
    os.environ.setdefault("SCRAPY_SETTINGS_MODULE", "scrapers.settings")
    settings = get_project_settings()
    settings.update(config["scrapy_settings"], priority="cmdline")
    process = CrawlerProcess(settings)
    # Scrapy logs every failed file at ERROR with a traceback; the pipeline logs
    # one WARNING line with the reason instead.
    logging.getLogger("scrapy.pipelines.media").setLevel(logging.CRITICAL)
    logging.getLogger("scrapy.middleware").setLevel(logging.WARNING)  # the "Enabled ..." lists
    process.crawl("shop", run_config=argv[0])
    process.start()
    stats = json.loads(Path(config["scrapy_settings"]["PRODSEG_STATS_PATH"]).read_text())
    return 0 if stats.get("reason") in COMPLETED else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
