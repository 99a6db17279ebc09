"""Scrapy settings for the prodseg crawler (per-run values come from scrapers/run.py)."""

BOT_NAME = "prodseg"
SPIDER_MODULES = ["scrapers.spiders"]
NEWSPIDER_MODULE = "scrapers.spiders"

ROBOTSTXT_OBEY = True
COOKIES_ENABLED = False
TELNETCONSOLE_ENABLED = False

CONCURRENT_REQUESTS = 16
CONCURRENT_REQUESTS_PER_DOMAIN = 16
DOWNLOAD_TIMEOUT = 15
RETRY_ENABLED = True
RETRY_TIMES = 3  # 5xx, 408, 429 and timeouts

# Polite by default; scrapers/run.py turns it off for loopback targets only.
AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_START_DELAY = 1.0
AUTOTHROTTLE_TARGET_CONCURRENCY = 2.0

ITEM_PIPELINES = {
    "scrapers.pipelines.ProductImagesPipeline": 100,
    "scrapers.pipelines.JournalPipeline": 800,
}
FILES_URLS_FIELD = "image_urls"
FILES_RESULT_FIELD = "files"
MEDIA_ALLOW_REDIRECTS = True

EXTENSIONS = {
    "scrapers.extensions.CrawlProgress": 500,
    "scrapy.extensions.remote_control.RemoteControl": None,  # no listening port
}
LOGSTATS_INTERVAL = 0  # CrawlProgress prints a richer line
LOG_LEVEL = "INFO"

# prodseg's own keys, set per run by scrapers/run.py.
PRODSEG_JOURNAL = None
PRODSEG_STATS_PATH = None
PRODSEG_PROGRESS_EVERY = 5.0
PRODSEG_MIN_IMAGE_SIDE = 64
PRODSEG_MAX_IMAGE_PIXELS = 40_000_000
PRODSEG_MAX_IMAGE_BYTES = 30_000_000
