"""Stats keys that one module writes and another reads: the crawl's stats as a typed internal API.

`scrapy cron`'s verdict, `scrapy crawl`'s "nothing fetched" line, ExportMarkerPipeline and the
markup-changed warning depend on keys counted elsewhere; each such key or prefix is named here
once and imported by its writers and its readers alike, so renaming one is one edit and a typo
is an ImportError, not a verdict that silently stops seeing failures. Keys only their own
module reads stay next to their code (e.g. `policy.py`'s decision keys).
"""

from __future__ import annotations

# --- pages and errors: the spider and the download guard write, the commands read ---------------
SITE_PAGES = "bmkz/site_pages"  # the site's answers < 400 (robots.txt aside)
ERRORS = "bmkz/errors/"  # prefix of every failure: bmkz/errors/<kind>[/<detail>]
ERRORS_GONE = "bmkz/errors/gone/"  # + 404 / 410: the site's doing, shown apart
ERRORS_HTTP = "bmkz/errors/http/"  # + status, after retries
ERRORS_DOWNLOAD = "bmkz/errors/download/"  # + exception class name
REDIRECT_LOOP = "bmkz/errors/redirect_loop"
OFFSITE = "bmkz/filtered/offsite"

# --- what the crawl recognised without fetching it (policy writes, cron reads) ----------------------
INCREMENTAL = "bmkz/incremental/"
KNOWN_SKIPPED = "bmkz/incremental/known_skipped"
SITEMAP_UNCHANGED = "bmkz/incremental/sitemap_unchanged"
SINCE = "bmkz/since/"
RECHECKS = "bmkz/incremental/rechecks"  # recent articles fetched again at a re-check age
PLAN = "bmkz/plan"  # "sweep" (full discovery) or "planned" (remembered feeds and sitemaps)
NOT_MODIFIED = "bmkz/conditional/not_modified"  # 304 answers to conditional requests

# --- items: the pipelines write, cron reads ---------------------------------------------------------
NEW = "bmkz/new"
UPDATED = "bmkz/updated"
UNCHANGED = "bmkz/unchanged"
REEXPORTED = "bmkz/reexported"
DROPPED = "bmkz/dropped/"  # + reason
EXPORTED_MARKED = "bmkz/exported_marked"
EXPORT_NOT_MARKED = "bmkz/export_not_marked"
STATE_WRITE_ERRORS = "bmkz/state/write_errors"

# --- the archive: ExportMarkerPipeline and the spider's gone hook write, cron reads ----------------
ARCHIVED = "bmkz/archive/versions_added"  # versions new to the archive (an unchanged re-export adds none)
ARCHIVE_GONE = "bmkz/archive/gone"  # archived articles found answering 404/410
ARCHIVE_WRITE_ERRORS = "bmkz/archive/write_errors"

# --- feeds: the feed storage and audit write, ExportMarkerPipeline and cron read --------------------
FEED_WRITE_ERRORS = "bmkz/feed/write_errors"
FEED_FAILED = "bmkz/feed/failed"
FEED_ITEMS_MISSING = "bmkz/feed/items_missing"

# --- extraction: the extractor writes, the markup-changed warning reads -----------------------------
ARTICLE_EXTRACTED = "article/extracted"
ARTICLE_FIELD = "article/{field}/"  # + source: the layer each field came from
PROFILE = "article/profile/"  # + profile name (`generic`: no profile matched)
NO_PROFILE = "article/profile/generic"
NO_PROFILE_EXAMPLE = "article/profile/generic_example"
GENERIC_EXAMPLE = "article/{field}/generic_example"
MARKUP_DRIFT = "bmkz/markup_drift"

# --- Scrapy's own keys this project reads -------------------------------------------------------------
SCRAPY_FEED_STORED = "feedexport/success_count/"  # + storage class
SCRAPY_FEED_FAILED = "feedexport/failed_count/"
SCRAPY_ROBOTS_FORBIDDEN = "robotstxt/forbidden"
