"""Feed export pieces: the Article CSV exporter and the run-time parameter of feed file names.

ArticleCsvItemExporter (registered for `csv` in FEED_EXPORTERS, so `-O x.csv` uses it too):

- header in schema order (ARTICLE_FIELDS unless FEED_EXPORT_FIELDS says otherwise), written
  even when the feed has no rows;
- lists joined with ` | `; None is an empty cell;
- formula injection: a text cell beginning with `=`, `+`, `-`, `@`, tab or carriage return
  gets a leading `'`, which spreadsheets show as text and do not evaluate (OWASP's advice).
  Numbers are never changed: integer fields (post_id, views, word_count) and a text cell
  that is nothing but a plain number (`-5`, `+7,5`) cannot run anything, and prefixing them
  would corrupt them. The JSON Lines feed always carries the exact text;
- `BMKZ_CSV_BOM = True` starts the file with a UTF-8 byte order mark, so that Excel reads
  UTF-8 (Cyrillic, Kazakh letters) rather than the system code page.

Gzip is Scrapy's feed post-processing, per feed:
`FEEDS = {"feeds/%(name)s-%(run_time)s-%(run_id)s.csv.gz": {"format": "csv",
"postprocessing": ["scrapy.extensions.postprocessing.GzipPlugin"]}}`.
"""

from __future__ import annotations

import re
import secrets
from datetime import UTC, datetime
from typing import Any, BinaryIO, Self

from scrapy import Spider
from scrapy.crawler import Crawler
from scrapy.exporters import CsvItemExporter

from bmkz_crawler.compat import csv_write_header
from bmkz_crawler.items import ARTICLE_FIELDS

LIST_SEPARATOR = " | "
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"[+-]?\d+(?:[.,]\d+)?")
UTF8_BOM = "\ufeff"


def neutralize_formula(value: str) -> str:
    """`=HYPERLINK(...)` -> `'=HYPERLINK(...)`; a plain number stays as it is."""
    if value.startswith(FORMULA_PREFIXES) and not _PLAIN_NUMBER.fullmatch(value):
        return "'" + value
    return value


class ArticleCsvItemExporter(CsvItemExporter):
    def __init__(self, file: BinaryIO, *, bom: bool = False, **kwargs: Any) -> None:
        kwargs.setdefault("join_multivalued", LIST_SEPARATOR)
        if not kwargs.get("fields_to_export"):
            kwargs["fields_to_export"] = list(ARTICLE_FIELDS)
        super().__init__(file, **kwargs)
        self.bom = bom

    @classmethod
    def from_crawler(cls, crawler: Crawler, file: BinaryIO, *args: Any, **kwargs: Any) -> Self:
        kwargs.setdefault("bom", crawler.settings.getbool("BMKZ_CSV_BOM"))
        return cls(file, *args, **kwargs)

    def start_exporting(self) -> None:
        if self.bom and self.encoding.lower().replace("_", "-") in {"utf-8", "utf8"}:
            self.stream.write(UTF8_BOM)  # (`utf-8-sig` writes its own)
        if self.include_headers_line and self.fields_to_export:
            # Written here rather than with the first row, so an empty feed still has its header.
            csv_write_header(self)

    def serialize_field(self, field: Any, name: str, value: Any) -> Any:
        value = super().serialize_field(field, name, value)
        if value is None:
            return ""
        if isinstance(value, str):
            return neutralize_formula(value)
        return value


def run_time_uri_params(params: dict[str, Any], spider: Spider) -> dict[str, Any]:
    """FEEDS `uri_params`: `%(run_time)s` is the crawl's UTC start, `20251107T101500Z`, and
    `%(run_id)s` a short random id of this process's run, `4f2a9c`.

    Scrapy's `%(time)s` (`2025-11-07T10-15-00+00-00`) is taken anew for each feed, so the
    JSON Lines and CSV files of one run could differ by a second; these are taken once per
    spider, sort by name and hold no `:` or `+`. Two crawls started in the same second
    (two Redis-mode workers, two containers whose crawlers are all pid 1) differ by run_id,
    so `news-%(run_time)s-%(run_id)s` never names another process's file.
    """
    run = getattr(spider, "_bmkz_feed_run", None)
    if run is None:
        started = spider.crawler.stats.get_value("start_time") if spider.crawler.stats else None
        moment = started if isinstance(started, datetime) else datetime.now(UTC)
        run = {"run_time": moment.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ"), "run_id": secrets.token_hex(3)}
        spider._bmkz_feed_run = run  # type: ignore[attr-defined]
    return {**params, **run}
