"""The crawl stage: a Scrapy project that turns shop pages into images + a catalog table."""
