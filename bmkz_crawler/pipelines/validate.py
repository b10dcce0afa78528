"""ValidatePipeline: an item that breaks the Article contract is not exported.

Dropped with a reason (stats `bmkz/dropped/<reason>`) and a warning naming the URL:
`missing_<field>` for a required field (url, title, body, published_at) without a value,
`missing_language` / `invalid_language` unless it is `ru` or `kk`, and
`invalid_published_at` / `invalid_modified_at` for a date that is not ISO 8601.
"""

from __future__ import annotations

import logging
from typing import Any, Self

from itemadapter import ItemAdapter
from scrapy.crawler import Crawler
from scrapy.statscollectors import StatsCollector

from bmkz_crawler.items import REQUIRED_FIELDS
from bmkz_crawler.pipelines.drops import drop_item
from bmkz_crawler.processors import parse_iso_datetime

logger = logging.getLogger(__name__)

LANGUAGES = frozenset({"ru", "kk"})


class ValidatePipeline:
    def __init__(self, stats: StatsCollector) -> None:
        self.stats = stats

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        assert crawler.stats is not None
        return cls(crawler.stats)

    def process_item(self, item: Any) -> Any:
        adapter = ItemAdapter(item)
        problem = contract_problem(adapter)
        if problem is not None:
            reason, detail = problem
            url = adapter.get("url")
            logger.warning("Article not exported (%s): %s %s", reason, url or "(no url)", detail)
            raise drop_item(self.stats, reason, url, detail)
        return item


def contract_problem(adapter: ItemAdapter) -> tuple[str, str] | None:
    """(reason, detail) of the first way the item breaks the contract, or None."""
    for name in REQUIRED_FIELDS:
        if not adapter.get(name):
            return f"missing_{name}", ""
    language = adapter.get("language")
    if not language:
        return "missing_language", ""
    if language not in LANGUAGES:
        return "invalid_language", repr(language)
    for name in ("published_at", "modified_at"):
        value = adapter.get(name)
        if value and parse_iso_datetime(value) is None:
            return f"invalid_{name}", repr(value)
    return None
