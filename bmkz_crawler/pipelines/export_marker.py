"""ExportMarkerPipeline: an article counts as exported only once every feed safely stored it.

Every item reaching this last pipeline is recorded as seen (first_seen) at once, and
remembered. When Scrapy's feed exports have all closed (`feed_exporter_closed`), the
remembered articles are marked exported in one transaction (stats `bmkz/exported_marked`) —
only if at least one feed was configured and FeedAudit finds every feed complete: every
item written without error, every feed flushed, fsync'ed and stored. Otherwise nothing of
the run is marked (`bmkz/export_not_marked`) and the next run exports it all again.

A state write that fails (a full disk under SQLite, a Redis error) fails the run: one ERROR
line naming the store and the reason, `bmkz/state/write_errors`, the crawl closes with
reason `state_write_failed`, the article whose record failed is dropped
(`bmkz/dropped/state_write_failed`: not in the feeds, so the next run delivers it), and
nothing of the run is marked exported.

A crawl killed mid-way (SIGKILL, OOM, power cut) never gets to the marking, so it has marked
nothing and the next run exports the same articles again: at least once, never lost.

With the archive on (BMKZ_ARCHIVE_URI), the pending records keep the items' full fields, and
right before the marks the same items are archived (`bmkz/archive/versions_added`): archived
if and only if durably exported. Before, not after: a crawl killed between the two has
archived versions it did not mark, which the next run exports again and the archive already
holds; the other order would leave marked versions no later run archives. An archive write
that fails is counted and logged (bmkz.archive.archive_failed) and the marks are written all
the same; `scrapy archive import` of the run's feed repairs the archive.
"""

from __future__ import annotations

import logging
from typing import Any, Self

from itemadapter import ItemAdapter
from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.statscollectors import StatsCollector
from scrapy.utils.defer import deferred_from_coro

from bmkz_crawler import stats_keys as keys
from bmkz_crawler.archive import archive_enabled, archive_failed, archive_for
from bmkz_crawler.feedaudit import FeedAudit
from bmkz_crawler.pipelines.drops import drop_item
from bmkz_crawler.policy import crawl_policy
from bmkz_crawler.processors import utc_now_iso
from bmkz_crawler.state import StateStore, state_store_for
from bmkz_crawler.state.base import EXPORT_RECORD_FIELDS

logger = logging.getLogger(__name__)

STATE_WRITE_ERRORS_STAT = keys.STATE_WRITE_ERRORS
NOT_MARKED_STAT = keys.EXPORT_NOT_MARKED
STATE_WRITE_FAILED = "state_write_failed"  # the crawl's finish reason, and the drop reason


class ExportMarkerPipeline:
    def __init__(
        self,
        store: StateStore,
        stats: StatsCollector,
        *,
        feeds_configured: bool,
        audit: FeedAudit | None = None,
        crawler: Crawler | None = None,
    ) -> None:
        self.store = store
        self.stats = stats
        self.feeds_configured = feeds_configured
        self.audit = audit
        self.crawler = crawler
        self.pending: dict[str, dict[str, Any]] = {}  # url -> EXPORT_RECORD_FIELDS (all fields when archiving)
        self.archiving = crawler is not None and archive_enabled(crawler)
        self.state_error: Exception | None = None  # the first failed state write of the run

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        assert crawler.stats is not None
        feeds_configured = bool(crawler.settings.getdict("FEEDS") or crawler.settings.get("FEED_URI"))
        pipeline = cls(
            state_store_for(crawler),
            crawler.stats,
            feeds_configured=feeds_configured,
            audit=FeedAudit.from_crawler(crawler),
            crawler=crawler,
        )
        crawler.signals.connect(pipeline.feed_exporter_closed, signal=signals.feed_exporter_closed)
        return pipeline

    def open_spider(self) -> None:
        if not self.feeds_configured:
            logger.warning("No feed configured (FEEDS, -o, -O): no article will be marked exported")

    def process_item(self, item: Any) -> Any:
        adapter = ItemAdapter(item)
        try:
            self.store.record_seen(item)
        except Exception as error:  # any store, any cause: the run cannot vouch for its state
            self.state_write_failed(error)
            raise drop_item(self.stats, STATE_WRITE_FAILED, adapter.get("url"), quiet=True) from error
        record = adapter.asdict() if self.archiving else {name: adapter.get(name) for name in EXPORT_RECORD_FIELDS}
        self.pending[record["url"]] = record
        return item

    def state_write_failed(self, error: Exception) -> None:
        """Count it; the first time, say so in one line and close the crawl."""
        self.stats.inc_value(STATE_WRITE_ERRORS_STAT)
        if self.state_error is not None:
            return
        self.state_error = error
        logger.error(
            "State store %s: write failed (%s: %s); closing the crawl (%s), nothing of this run is marked exported",
            self.store.location,
            type(error).__name__,
            error,
            STATE_WRITE_FAILED,
        )
        if self.crawler is not None and self.crawler.crawling:
            # Not awaited: closing waits for the items in flight, this one included.
            deferred_from_coro(self.crawler.engine.close_spider_async(reason=STATE_WRITE_FAILED))

    def feed_exporter_closed(self) -> None:
        """All feeds are closed and stored (or failed): mark what they hold, if all went well;
        then save the crawl's memory (discovery, validators, sweep and re-check times) with them."""
        if not self.pending:
            if self.feeds_configured and self.state_error is None and not (self.audit and self.audit.problems()):
                self.save_memory()
            return
        reasons = []
        if not self.feeds_configured:
            reasons.append("no feed configured")
        if self.audit is not None:
            reasons += self.audit.problems()
        if self.state_error is not None:
            reasons.append(f"the state store failed ({type(self.state_error).__name__}: {self.state_error})")
        if reasons:
            self.not_marked("; ".join(reasons))
            return
        exported_at = utc_now_iso()
        self.archive(exported_at)
        try:
            self.store.mark_exported(self.pending.values(), exported_at)
        except Exception as error:
            self.stats.inc_value(STATE_WRITE_ERRORS_STAT)
            self.not_marked(f"state store {self.store.location}: write failed ({type(error).__name__}: {error})")
            return
        self.stats.inc_value(keys.EXPORTED_MARKED, len(self.pending))
        logger.info("Marked %d articles exported in the state store", len(self.pending))
        self.pending.clear()
        self.save_memory()

    def archive(self, exported_at: str) -> None:
        """Archive the durably exported items; a failure is said, counted, and keeps no mark from being written."""
        if not self.archiving or self.crawler is None:
            return
        try:
            archive = archive_for(self.crawler)
            added = archive.add_versions(self.pending.values(), exported_at) if archive is not None else 0
        except Exception as error:
            archive_failed(self.crawler, f"archiving {len(self.pending)} exported articles", error)
            return
        self.stats.inc_value(keys.ARCHIVED, added)

    def save_memory(self) -> None:
        """After the marks, never before: a validator must not hide unexported articles."""
        policy = crawl_policy(self.crawler) if self.crawler is not None else None
        if policy is None or policy.store is None:
            return
        try:
            self.store.save_memory(policy.memory_to_save())
        except Exception as error:  # the marks are saved; the next run only re-reads more
            self.stats.inc_value(STATE_WRITE_ERRORS_STAT)
            logger.error("State store %s: the crawl's memory was not saved (%s: %s)", self.store.location,
                         type(error).__name__, error)  # fmt: skip

    def not_marked(self, reason: str) -> None:
        self.stats.set_value(NOT_MARKED_STAT, len(self.pending))
        logger.error("%d articles NOT marked exported: %s; the next run exports them again", len(self.pending), reason)
