"""Scrapy settings of bmkz_crawler: polite defaults for the real site and every BMKZ_* setting.

Tests and benchmarks override the politeness settings explicitly (see tests/crawl.py);
everything a user may want to change is documented in the README's "Settings" section.
"""

from __future__ import annotations

BOT_NAME = "bmkz_crawler"
SPIDER_MODULES = ["bmkz_crawler.spiders"]
NEWSPIDER_MODULE = "bmkz_crawler.spiders"
COMMANDS_MODULE = "bmkz_crawler.commands"

# --- the site ---------------------------------------------------------------------------------
# The site root. Everything else (sections, the other edition, sitemaps, feeds) is discovered.
BMKZ_BASE_URL = "https://bm.kz/"
# Where the site's operators can reach whoever runs the crawler; it goes into the User-Agent.
BMKZ_CONTACT_URL = "https://github.com/bmkz-crawler/bmkz_crawler"
# Progress line interval (seconds) on long crawls.
BMKZ_PROGRESS_INTERVAL = 60.0

# --- politeness ---------------------------------------------------------------------------------
# USER_AGENT is built from BMKZ_CONTACT_URL by the spider unless set explicitly.
ROBOTSTXT_OBEY = True
CONCURRENT_REQUESTS = 8
CONCURRENT_REQUESTS_PER_DOMAIN = 2
DOWNLOAD_DELAY = 0.5
AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_START_DELAY = 1.0
AUTOTHROTTLE_MAX_DELAY = 30.0
AUTOTHROTTLE_TARGET_CONCURRENCY = 1.5
DOWNLOAD_TIMEOUT = 30
DOWNLOAD_MAXSIZE = 10 * 1024 * 1024
DOWNLOAD_WARNSIZE = 2 * 1024 * 1024
COOKIES_ENABLED = False
TELNETCONSOLE_ENABLED = False

# Retries of 5xx, 429 and timeouts, with exponential backoff (honouring Retry-After).
RETRY_ENABLED = True
RETRY_TIMES = 3
RETRY_HTTP_CODES = [500, 502, 503, 504, 522, 524, 408, 429]
BMKZ_RETRY_BACKOFF_BASE = 2.0  # seconds before the first retry; doubles each time
BMKZ_RETRY_BACKOFF_MAX = 60.0
DOWNLOADER_MIDDLEWARES = {
    "scrapy.downloadermiddlewares.retry.RetryMiddleware": None,
    "bmkz_crawler.middlewares.BackoffRetryMiddleware": 550,
    "bmkz_crawler.middlewares.OffsiteAndAssetFilter": 540,
}
SPIDER_MIDDLEWARES: dict[str, int] = {}
EXTENSIONS = {
    "bmkz_crawler.extensions.CrawlProgress": 500,
}

# Development: `-s HTTPCACHE_ENABLED=True` replays pages from .scrapy/httpcache.
HTTPCACHE_ENABLED = False
HTTPCACHE_EXPIRATION_SECS = 0
HTTPCACHE_DIR = "httpcache"
HTTPCACHE_IGNORE_HTTP_CODES = [500, 502, 503, 504, 408, 429]

# Depth-first toward articles: LIFO queues and article requests at higher priority keep the
# queue (and memory) flat on a long backfill.
DEPTH_PRIORITY = 0
SCHEDULER_DISK_QUEUE = "scrapy.squeues.PickleLifoDiskQueue"
SCHEDULER_MEMORY_QUEUE = "scrapy.squeues.LifoMemoryQueue"

# --- items and feeds ----------------------------------------------------------------------------
ITEM_PIPELINES: dict[str, int] = {}
FEED_EXPORT_ENCODING = "utf-8"

LOG_LEVEL = "INFO"
