"""ExportMarkerPipeline: an article counts as exported only once its feed is safely stored.

Every item reaching this last pipeline is recorded as seen (first_seen) at once, and
remembered. When Scrapy's feed exports have all closed (`feed_exporter_closed`), and only
if at least one feed was configured and none failed to store
(`feedexport/failed_count/*` = 0), the remembered articles are marked exported in one
transaction (stats `bmkz/exported_marked`).

A crawl killed mid-way (SIGKILL, OOM, power cut) never gets there, so it has marked nothing
and the next run exports the same articles again: at least once, never lost.
"""

from __future__ import annotations

import logging
from typing import Any, Self

from itemadapter import ItemAdapter
from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.statscollectors import StatsCollector

from bmkz_crawler.processors import utc_now_iso
from bmkz_crawler.state import StateStore, state_store_for
from bmkz_crawler.state.base import EXPORT_RECORD_FIELDS

logger = logging.getLogger(__name__)


class ExportMarkerPipeline:
    def __init__(self, store: StateStore, stats: StatsCollector, *, feeds_configured: bool) -> None:
        self.store = store
        self.stats = stats
        self.feeds_configured = feeds_configured
        self.pending: dict[str, dict[str, Any]] = {}  # url -> EXPORT_RECORD_FIELDS

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        assert crawler.stats is not None
        feeds_configured = bool(crawler.settings.getdict("FEEDS") or crawler.settings.get("FEED_URI"))
        pipeline = cls(state_store_for(crawler), crawler.stats, feeds_configured=feeds_configured)
        crawler.signals.connect(pipeline.feed_exporter_closed, signal=signals.feed_exporter_closed)
        return pipeline

    def open_spider(self) -> None:
        if not self.feeds_configured:
            logger.warning("No feed configured (FEEDS, -o, -O): no article will be marked exported")

    def process_item(self, item: Any) -> Any:
        adapter = ItemAdapter(item)
        self.store.record_seen(item)
        record = {name: adapter.get(name) for name in EXPORT_RECORD_FIELDS}
        self.pending[record["url"]] = record
        return item

    def feed_exporter_closed(self) -> None:
        """All feeds are closed and stored (or failed): mark what they hold, if all went well."""
        if not self.pending:
            return
        stats = self.stats.get_stats()
        failed = sum(v for k, v in stats.items() if k.startswith("feedexport/failed_count/"))
        stored = sum(v for k, v in stats.items() if k.startswith("feedexport/success_count/"))
        if not self.feeds_configured or failed or not stored:
            logger.error(
                "%d articles NOT marked exported (%d feeds stored, %d failed): the next run exports them again",
                len(self.pending),
                stored,
                failed,
            )
            return
        self.store.mark_exported(self.pending.values(), utc_now_iso())
        self.stats.inc_value("bmkz/exported_marked", len(self.pending))
        logger.info("Marked %d articles exported in the state store", len(self.pending))
        self.pending.clear()
