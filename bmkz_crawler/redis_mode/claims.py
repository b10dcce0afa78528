"""CrossProcessClaimPipeline: in Redis mode, an article goes into one worker's feed only.

DedupePipeline drops duplicates within its own process; several workers of one crawl can still
meet the same article under two URLs (a changed slug, the same text syndicated). Each item
claims its URL, post id + language and content hash in the crawl's `claims` hash in one atomic
step; an item whose key another live worker holds is dropped as `duplicate_other_process`.
A dead worker's claims are released with its requests (SharedFrontier.recover).
"""

from __future__ import annotations

from typing import Any, Self

from itemadapter import ItemAdapter
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from scrapy.statscollectors import StatsCollector

from bmkz_crawler.pipelines.drops import drop_item
from bmkz_crawler.redis_mode.frontier import SharedFrontier, frontier_for


class CrossProcessClaimPipeline:
    def __init__(self, frontier: SharedFrontier, stats: StatsCollector) -> None:
        self.frontier = frontier
        self.stats = stats

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        if not crawler.settings.get("BMKZ_REDIS_URL"):
            raise NotConfigured("BMKZ_REDIS_URL is not set")
        assert crawler.stats is not None
        return cls(frontier_for(crawler), crawler.stats)

    def process_item(self, item: Any) -> Any:
        adapter = ItemAdapter(item)
        url = adapter.get("url")
        holder = self.frontier.claim(claim_fields(adapter))
        if holder is not None:
            raise drop_item(self.stats, "duplicate_other_process", url, f"{holder} is taken", quiet=True)
        return item


def claim_fields(adapter: ItemAdapter) -> list[str]:
    """The keys that identify an article, as DedupePipeline compares them."""
    fields = []
    if adapter.get("url"):
        fields.append(f"u:{adapter['url']}")
    if adapter.get("post_id") is not None:
        fields.append(f"p:{adapter['post_id']}:{adapter.get('language')}")
    if adapter.get("content_hash"):
        fields.append(f"h:{adapter['content_hash']}")
    return fields
