"""FeedAudit: did every feed of this run store every item it was given, without an error?

Scrapy's FeedExporter reports a failure only when `storage.store()` raises
(`feedexport/failed_count/*`). Two other failures pass unseen: an exception while exporting
an item (the item_scraped signal dispatcher logs and swallows it: the item is simply missing
from the file), and one in the exporter's `finish_exporting` (the feed's closing task dies:
the feed is neither stored nor counted failed). So the audit compares, per feed:

- items given (every item_scraped that the feed's item filter accepts) with items written
  (the feed slots' `itemcount`, over all its batches);
- feeds that had to be stored (a slot with items, or an empty first batch with `store_empty`)
  with feeds whose closing finished (`feed_slot_closed`) without an error: Scrapy's success
  count must equal the feeds to store, its failed count be 0, and no DurableFileFeedStorage
  may have seen a write error.

`problems()` lists what went wrong, one phrase per feed; an empty list means every item is
in every feed that accepts it, flushed and stored.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from typing import Any

from scrapy import Spider, signals
from scrapy.crawler import Crawler
from scrapy.extensions.feedexport import FeedExporter, FeedSlot

from bmkz_crawler import stats_keys as keys

FAILED_FEEDS_STAT = keys.FEED_FAILED
MISSING_ITEMS_STAT = keys.FEED_ITEMS_MISSING


class FeedAudit:
    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.given: Counter[str] = Counter()  # feed URI template -> items it accepted
        self.closed: list[FeedSlot] = []  # slots whose store() was attempted

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> FeedAudit:
        audit = cls(crawler)
        crawler.signals.connect(audit.item_scraped, signal=signals.item_scraped)
        crawler.signals.connect(audit.feed_slot_closed, signal=signals.feed_slot_closed)
        return audit

    @property
    def exporter(self) -> FeedExporter | None:
        """Scrapy's feed export extension of this crawl (None when no feed is configured)."""
        extensions = getattr(self.crawler, "extensions", None)
        for extension in getattr(extensions, "middlewares", ()):
            if isinstance(extension, FeedExporter):
                return extension
        return None

    def item_scraped(self, item: Any, spider: Spider | None = None) -> None:
        exporter = self.exporter
        if exporter is None:
            return
        for template, item_filter in exporter.filters.items():
            if item_filter.accepts(item):
                self.given[template] += 1

    def feed_slot_closed(self, slot: FeedSlot) -> None:
        self.closed.append(slot)

    def problems(self) -> list[str]:
        """What went wrong, one phrase per failure (empty: every feed stored every item).

        Sets `bmkz/feed/failed` (feeds that failed) and `bmkz/feed/items_missing`."""
        exporter = self.exporter
        if exporter is None:
            return []
        closed = {id(slot) for slot in self.closed}
        slots = self.closed + [slot for slot in exporter.slots if id(slot) not in closed]
        problems: list[str] = []
        failed_feeds: set[str] = set()
        missing = to_store = 0
        for template in exporter.feeds:
            feed_slots = [slot for slot in slots if slot.uri_template == template]
            written = sum(slot.itemcount for slot in feed_slots)
            if written != self.given[template]:
                uri = feed_slots[-1].uri if feed_slots else template
                problems.append(f"{uri}: {written} of {self.given[template]} items written")
                failed_feeds.add(template)
                missing += self.given[template] - written
            for slot in feed_slots:
                if not (slot.itemcount or (slot.store_empty and slot.batch_id == 1)):
                    continue  # Scrapy stores no file for it
                to_store += 1
                error = getattr(slot.storage, "write_error", None)
                if error is not None:
                    problems.append(f"{slot.uri}: {error.strerror or error}")
                    failed_feeds.add(template)
                elif id(slot) not in closed:
                    problems.append(f"{slot.uri}: closing the feed failed (see the traceback above)")
                    failed_feeds.add(template)
        stats = self.crawler.stats.get_stats()
        failed = _total(stats, keys.SCRAPY_FEED_FAILED)
        stored = _total(stats, keys.SCRAPY_FEED_STORED)
        if failed or stored < to_store:
            problems.append(f"{stored} of {to_store} feeds stored, {failed} failed to store")
        if problems:
            self.crawler.stats.set_value(FAILED_FEEDS_STAT, max(len(failed_feeds), failed, to_store - stored, 1))
        if missing:
            self.crawler.stats.set_value(MISSING_ITEMS_STAT, missing)
        return problems


def _total(stats: Mapping[str, Any], prefix: str) -> int:
    return sum(int(value) for key, value in stats.items() if key.startswith(prefix))
