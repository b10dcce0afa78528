"""Scrapy settings of bmkz_crawler: polite defaults for the real site and every BMKZ_* setting.

Tests and benchmarks override the politeness settings explicitly (see tests/crawl.py);
everything a user may want to change is documented in the README's "Settings" section.
"""

from __future__ import annotations

from bmkz_crawler.items import ARTICLE_FIELDS

BOT_NAME = "bmkz_crawler"
SPIDER_MODULES = ["bmkz_crawler.spiders"]
NEWSPIDER_MODULE = "bmkz_crawler.spiders"
COMMANDS_MODULE = "bmkz_crawler.commands"

# --- the site ---------------------------------------------------------------------------------
# The site root. Everything else (sections, the other edition, sitemaps, feeds) is discovered.
BMKZ_BASE_URL = "https://bm.kz/"
# Where the site's operators can reach whoever runs the crawler; it goes into the User-Agent.
BMKZ_CONTACT_URL = "https://github.com/bmkz-crawler/bmkz_crawler"
# Progress line interval (seconds) on long crawls; 0 turns it off.
BMKZ_PROGRESS_INTERVAL = 60.0
# Bounds on every walk (each counted as bmkz/bounds/<name> and logged once when it triggers):
# an archive walk ends after this many pages in a row without a new article card (the main rule)...
BMKZ_ARCHIVE_STALE_PAGES = 3
# ...or at this page, a backstop no real archive reaches (a loud warning in mode=full).
BMKZ_ARCHIVE_MAX_PAGES = 20000
# Sitemap indexes nested deeper than this below robots.txt, and sitemap files beyond this count,
# are not fetched.
BMKZ_SITEMAP_MAX_DEPTH = 3
BMKZ_SITEMAP_MAX_FILES = 5000

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
# robots.txt's Crawl-delay (or Request-rate) for our User-Agent is honoured per host for the whole
# crawl, over any own delay or concurrency; a value above this many seconds is logged and capped
# (0: ignored).
BMKZ_MAX_CRAWL_DELAY = 60.0
# Send at most this many requests per run (robots.txt, retries, redirects included), then close
# the crawl with finish reason request_cap; 0: no cap.
BMKZ_MAX_REQUESTS = 0
# Items processed in parallel per response. An article page yields one item and a few requests;
# Scrapy's default of 100 starts 100 asyncio workers per response, which was ~15% of crawl time.
CONCURRENT_ITEMS = 16
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
    # Last before the downloader, after HttpCacheMiddleware (900): a page replayed from the cache is
    # neither counted nor delayed, and a request let go by the Crawl-delay gate goes straight to its
    # download slot (the gate watches what the slot still holds).
    "bmkz_crawler.politeness.RequestCapMiddleware": 940,
    "bmkz_crawler.politeness.CrawlDelayMiddleware": 950,
    # After the guard (a refused request asks nothing), before retries and redirects see a 304.
    "bmkz_crawler.conditional.ConditionalRequests": 545,
}
SPIDER_MIDDLEWARES: dict[str, int] = {}
EXTENSIONS = {
    "bmkz_crawler.extensions.CrawlProgress": 500,
    "bmkz_crawler.extensions.MarkupDriftWarning": 505,
    "bmkz_crawler.extensions.StatsFile": 510,
    "bmkz_crawler.monitoring.history.RunCounts": 520,
    # Runs RunMonitorSuite at engine stop (after the feeds are stored): the run's verdict and history.
    "bmkz_crawler.monitoring.monitors.EngineStopMonitors": 530,
}
# Which site profile reads article pages: "auto" (the first whose markup the page shows),
# a profile name ("smartmag_yoast") to force it, or "none" for the generic layers only.
BMKZ_PROFILE = "auto"
# Warn at the end of a run when more than this share of articles took a field from a generic layer.
BMKZ_MARKUP_DRIFT_SHARE = 0.5
# Write the final crawl stats as JSON to this file (empty: off).
BMKZ_STATS_FILE = ""
# Log every fetch/skip decision of the crawl policy with the URL and its stats key ("why wasn't
# this URL fetched?"): `-s BMKZ_TRACE=True`.
BMKZ_TRACE = False

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
ITEM_PIPELINES = {
    "bmkz_crawler.pipelines.CleanPipeline": 100,
    "bmkz_crawler.pipelines.ValidatePipeline": 200,
    # The Article JSON Schema on every cleaned item, errors counted per field (spidermon's validator).
    "bmkz_crawler.monitoring.schema.ArticleSchemaPipeline": 250,
    "bmkz_crawler.pipelines.DedupePipeline": 300,
    "bmkz_crawler.pipelines.ExportMarkerPipeline": 900,
}
# One JSON Lines and one CSV file per run, named by the run's UTC start and a random run id
# (news-20251107T101500Z-4f2a9c: sorted by time, never another process's file); a run with
# nothing new writes no file. `-o` / `-O` replace these.
FEEDS = {
    "feeds/%(name)s-%(run_time)s-%(run_id)s.jsonl": {
        "format": "jsonlines",
        "uri_params": "bmkz_crawler.exporters.run_time_uri_params",
        "store_empty": False,
    },
    "feeds/%(name)s-%(run_time)s-%(run_id)s.csv": {
        "format": "csv",
        "uri_params": "bmkz_crawler.exporters.run_time_uri_params",
        "store_empty": False,
    },
}
# Local feed files are flushed and fsync'ed at close, and a failed write fails the feed.
FEED_STORAGES = {
    "": "bmkz_crawler.feedstorage.DurableFileFeedStorage",
    "file": "bmkz_crawler.feedstorage.DurableFileFeedStorage",
}
FEED_EXPORT_ENCODING = "utf-8"
FEED_EXPORT_FIELDS = list(ARTICLE_FIELDS)
FEED_EXPORTERS = {"csv": "bmkz_crawler.exporters.ArticleCsvItemExporter"}
# Start CSV feeds with a UTF-8 byte order mark (for spreadsheet programs).
BMKZ_CSV_BOM = False

# Where the crawl remembers what it exported: empty = .scrapy/bmkz_state.sqlite3;
# `sqlite:///abs/path.db`, a plain path, or `memory:` (forgets everything: tests).
BMKZ_STATE_URI = ""
# Every exported version, searchable (`scrapy archive`): empty = bmkz_archive.sqlite3 next to the
# state file; `sqlite:///abs/path.db`, a plain path, `postgresql://user@host/db` (shared), or `none`.
BMKZ_ARCHIVE_URI = ""
# Deletions: a run that reads every sitemap in full asks archived articles none lists any more
# (a 404/410 is recorded as gone); no more than this many (more means a partial sitemap); 0: off.
BMKZ_GONE_CHECK_MAX = 200
# scrapy cron alerts (`Crawl started` failing) when an earlier run has held its lock this long; 0: off.
BMKZ_STUCK_RUN_MINUTES = 180
# Recent articles are fetched again to catch edits at these ages after publication (hours).
BMKZ_RECHECK_HOURS = "1,6,24,48"
# An incremental run reads the feeds and sitemaps it remembers (conditional requests); a sweep
# (home pages, menus, section archives: full discovery) runs at most this many hours apart.
BMKZ_SWEEP_HOURS = 24.0
# `scrapy cron`: the lock file (empty = .scrapy/bmkz_cron.lock) and the share of fetched pages
# that may fail before the run counts as failed.
BMKZ_LOCK_FILE = ""
BMKZ_MAX_ERROR_RATE = 0.1

# --- monitoring (issue 15): spidermon monitors at the end of every run, the run history -----------
# Off only for a benchmark baseline: no schema validation, monitors, verdict, history or alerts.
SPIDERMON_ENABLED = True
SPIDERMON_ENGINE_STOP_MONITORS = ["bmkz_crawler.monitoring.monitors.RunMonitorSuite"]
# "New articles" fails when no run has exported a new article for this many hours (0: off).
BMKZ_MONITOR_NO_NEW_HOURS = 6.0
# "Editions"/"Sections" fail on a sweep when one exported nothing since the previous sweep although
# its rate over the past week predicts at least this many articles.
BMKZ_MONITOR_SILENT_EXPECTED = 5.0
# Run records older than this many days are deleted from the state store's history.
BMKZ_RUN_HISTORY_DAYS = 90.0

# `scrapy cron` writes the report of the last 7 days after each run (as `scrapy report`): empty
# = off; a folder ("reports/" gives reports/report-<UTC date>.html) or an .html path with {date}.
BMKZ_REPORT = ""
# report-*.html files in the report's folder older than this many days are deleted; 0 keeps all.
BMKZ_REPORT_KEEP_DAYS = 30

LOG_LEVEL = "INFO"

# --- Redis mode and scrapyd (issue 7) --------------------------------------------------------------
# Redis mode: set BMKZ_REDIS_URL (redis://host:6379/0) and every `scrapy crawl news` process with
# the same URL and prefix works on one shared crawl (scrapy-redis scheduler and dupefilter, crawl
# state in Redis unless BMKZ_STATE_URI is set). Empty: in-process scheduling and SQLite state.
BMKZ_REDIS_URL = ""
# Key prefix of the shared crawl (keys are `<prefix>:news:*`): different prefixes, separate crawls.
BMKZ_REDIS_PREFIX = "bmkz"
# Seconds without a heartbeat after which a worker counts as dead and its requests go back.
BMKZ_REDIS_WORKER_TTL = 30.0
# The add-on does nothing unless BMKZ_REDIS_URL is set.
ADDONS = {"bmkz_crawler.redis_mode.RedisMode": 0}

# --- Alerts (issue 15): one message when a monitor starts failing, one when it passes again ----------
# Off by default. A comma list of email, telegram, slack. Secrets only from the environment (refused
# as settings): BMKZ_SMTP_USER + BMKZ_SMTP_PASSWORD, BMKZ_TELEGRAM_BOT_TOKEN, BMKZ_SLACK_WEBHOOK_URL.
BMKZ_ALERT_CHANNELS = ""
# E-mail: recipients (comma list), sender (empty = bmkz-crawler@<this host>), the SMTP server;
# port 465 is implicit TLS, STARTTLS is for 587.
BMKZ_ALERT_EMAIL_TO = ""
BMKZ_ALERT_EMAIL_FROM = ""
BMKZ_SMTP_HOST = "localhost"
BMKZ_SMTP_PORT = 25
BMKZ_SMTP_STARTTLS = False
# Telegram: the Bot API's base URL (settable for a proxy or a test stub) and the chat to write to.
BMKZ_TELEGRAM_API_URL = "https://api.telegram.org"
BMKZ_TELEGRAM_CHAT_ID = ""
