"""CleanPipeline: the Article schema's normalization, for items that do not come from the extractor.

The extractor's ArticleLoader runs the contract's processors on every field and marks its
Articles (`items.mark_contract_clean`): those pass here untouched (`bmkz/clean/trusted`), since
cleaning them again cost a tenth of the crawl. Any other item (a future spider, a hand-fed
item) is normalized here, so the feed obeys the schema anyway. It is idempotent: a clean item
passes unchanged — tests/test_pipelines.py proves that full cleaning changes nothing on the
extractor's output, which is what makes trusting it safe.
"""

from __future__ import annotations

from typing import Any, Self

from itemadapter import ItemAdapter
from scrapy.crawler import Crawler

from bmkz_crawler.items import LIST_FIELDS, is_contract_clean
from bmkz_crawler.processors import (
    canonicalize_url,
    content_hash,
    count_words,
    language_code,
    normalize_body,
    normalize_text,
    parse_views,
    to_almaty_iso,
    to_int,
)

TEXT_FIELDS = ("title", "description", "category", "image_url", "image_caption", "dateline", "crawled_at", "change")
PAGE_DATE_FIELDS = ("published_at", "modified_at")


class CleanPipeline:
    def __init__(self, stats: Any = None) -> None:
        self.stats = stats

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        return cls(crawler.stats)

    def process_item(self, item: Any) -> Any:
        if is_contract_clean(item):
            if self.stats is not None:
                self.stats.inc_value("bmkz/clean/trusted")
            return item
        return clean_article(item)


def clean_article(item: Any) -> Any:
    """Every field in the contract's form (idempotent)."""
    adapter = ItemAdapter(item)
    for name in TEXT_FIELDS:
        _update(adapter, name, normalize_text)
    _update(adapter, "body", normalize_body)
    # An unreadable value is kept as it is, so that ValidatePipeline can name the problem.
    _update(adapter, "language", lambda value: language_code(value) or normalize_text(value))
    for name in PAGE_DATE_FIELDS:
        _update(adapter, name, lambda value: to_almaty_iso(value) or normalize_text(value))
    _update(adapter, "url", lambda value: canonicalize_url(value) or normalize_text(value))
    _update(adapter, "post_id", lambda value: value if isinstance(value, int) else to_int(value))
    _update(adapter, "views", parse_views)
    for name in LIST_FIELDS:
        clean = canonicalize_url if name == "related_urls" else normalize_text
        _update(adapter, name, lambda values, clean=clean: _clean_list(values, clean))
    if adapter.get("word_count") is None and adapter.get("body") is not None:
        adapter["word_count"] = count_words(adapter["body"])
    if not adapter.get("content_hash") and adapter.get("title") and adapter.get("body"):
        adapter["content_hash"] = content_hash(adapter["title"], adapter["body"])
    return item


def _update(adapter: ItemAdapter, name: str, clean: Any) -> None:
    """Apply clean to a field the item has and that holds a value; other fields stay absent."""
    if name not in adapter or adapter[name] is None:
        return
    value = clean(adapter[name])
    if value != adapter[name]:
        adapter[name] = value


def _clean_list(values: Any, clean: Any) -> list[str]:
    if isinstance(values, str):
        values = [values]
    cleaned: list[str] = []
    for value in values or ():
        value = clean(value)
        if value and value not in cleaned:
            cleaned.append(value)
    return cleaned
