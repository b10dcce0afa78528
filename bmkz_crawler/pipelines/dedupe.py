"""DedupePipeline: each article once per run, and only what changed since the last export.

Within a run the first item wins; a later one with the same `post_id` and language, the
same canonical `url`, or the same `content_hash` (the same text from another URL) is
dropped as `duplicate_post_id` / `duplicate_url` / `duplicate_content_hash`.

Across runs the state store says what was exported before (looked up by URL, then by post
id — a slug may change —, then by content hash):

- never exported: `change = "new"` (stats `bmkz/new`);
- exported with another content_hash, or the page now states another modified_at:
  `change = "updated"` (stats `bmkz/updated`);
- unchanged (stats `bmkz/unchanged`): dropped in `incremental` mode; in `full` mode exported
  again with `change = "updated"` (stats `bmkz/reexported`), because it *was* delivered
  before and a consumer that upserts "updated" rows stays correct, while "new" would ask it
  to insert a second copy.

Text found before under another URL (a hash match only) is dropped as
`duplicate_content_hash` in incremental mode, like the same text twice in one run.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Self

from itemadapter import ItemAdapter
from scrapy.crawler import Crawler
from scrapy.statscollectors import StatsCollector

from bmkz_crawler import stats_keys as keys
from bmkz_crawler.pipelines.drops import drop_item
from bmkz_crawler.policy import crawl_policy
from bmkz_crawler.processors import parse_iso_datetime
from bmkz_crawler.state import ArticleState, StateStore, state_store_for

INCREMENTAL = "incremental"
FULL = "full"


def crawl_mode(crawler: Crawler) -> str:
    """The crawl's `-a mode=` argument, from its policy (`incremental` for any other spider)."""
    policy = crawl_policy(crawler)
    return policy.args.mode if policy is not None else INCREMENTAL


class DedupePipeline:
    def __init__(self, store: StateStore, stats: StatsCollector, crawler: Crawler | None = None) -> None:
        self.store = store
        self.stats = stats
        self.crawler = crawler
        self.mode = INCREMENTAL
        self._urls: set[str] = set()
        self._posts: set[tuple[int, str | None]] = set()
        self._hashes: set[str] = set()

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        assert crawler.stats is not None
        return cls(state_store_for(crawler), crawler.stats, crawler)

    def open_spider(self) -> None:
        # The spider exists by now; its arguments were parsed when it was built.
        if self.crawler is not None:
            self.mode = crawl_mode(self.crawler)

    def process_item(self, item: Any) -> Any:
        adapter = ItemAdapter(item)
        self._drop_duplicate_in_run(adapter)
        previous, matched_by = self._previous_export(adapter)
        url = adapter.get("url")
        if previous is None:
            adapter["change"] = "new"
            self.stats.inc_value(keys.NEW)
        elif _changed_since(previous, adapter):
            adapter["change"] = "updated"
            self.stats.inc_value(keys.UPDATED)
        elif self.mode == FULL:
            adapter["change"] = "updated"
            self.stats.inc_value(keys.UNCHANGED)
            self.stats.inc_value(keys.REEXPORTED)
        elif matched_by == "content_hash":
            raise drop_item(self.stats, "duplicate_content_hash", url, f"exported as {previous.url}", quiet=True)
        else:
            self.stats.inc_value(keys.UNCHANGED)
            raise drop_item(self.stats, "unchanged", url, quiet=True, counted=False)
        return item

    def _drop_duplicate_in_run(self, adapter: ItemAdapter) -> None:
        url = adapter.get("url")
        post = (adapter.get("post_id"), adapter.get("language"))
        digest = adapter.get("content_hash")
        if url in self._urls:
            raise drop_item(self.stats, "duplicate_url", url, quiet=True)
        if post[0] is not None and post in self._posts:
            raise drop_item(self.stats, "duplicate_post_id", url, f"post {post[0]} ({post[1]})", quiet=True)
        if digest and digest in self._hashes:
            raise drop_item(self.stats, "duplicate_content_hash", url, quiet=True)
        self._urls.add(url)
        if post[0] is not None:
            self._posts.add(post)
        if digest:
            self._hashes.add(digest)

    def _previous_export(self, adapter: ItemAdapter) -> tuple[ArticleState | None, str]:
        """The last exported version of this article, and which key found it."""
        known = self.store.lookup(adapter["url"])
        if known is not None and known.exported:
            return known, "url"
        post_id = adapter.get("post_id")
        if post_id is not None:
            known = self.store.lookup_post(post_id, adapter.get("language"))
            if known is not None and known.exported:
                return known, "post_id"
        digest = adapter.get("content_hash")
        if digest:
            known = self.store.lookup_hash(digest)
            if known is not None and known.exported:
                return known, "content_hash"
        return None, ""


def _changed_since(previous: ArticleState, adapter: ItemAdapter) -> bool:
    if adapter.get("content_hash") != previous.content_hash:
        return True
    # A page that stops stating its modified time has not been edited for that reason alone.
    modified = _instant(adapter.get("modified_at"))
    return modified is not None and modified != _instant(previous.modified_at)


def _instant(value: str | None) -> datetime | None:
    parsed = parse_iso_datetime(value) if value else None
    return parsed[0] if parsed else None
