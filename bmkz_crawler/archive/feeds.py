"""Feeds in and out of the archive: importing JSON Lines feeds, writing found articles as a feed.

An import reads a feed the crawler delivered (`.jsonl`, or `.jsonl.gz`) and archives each
line as a version exported when the file was last written (its mtime): importing a file
twice, or a feed the archive already holds, adds nothing. Lines that are not an article
(not JSON, or without url, title, body or published_at) are skipped and counted.

Articles found by `scrapy archive search -o` are written with the feeds' own exporters: the
Article CSV exporter (formula neutralizing, list joining, schema order) or JSON Lines.
"""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

from scrapy.exporters import BaseItemExporter, JsonLinesItemExporter

from bmkz_crawler.archive.base import ArchiveStore
from bmkz_crawler.exporters import ArticleCsvItemExporter
from bmkz_crawler.items import ARTICLE_FIELDS, REQUIRED_FIELDS

FEED_FORMATS = {".csv": "csv", ".jsonl": "jsonlines"}


@dataclass
class ImportResult:
    path: Path
    lines: int = 0
    added: int = 0
    skipped: int = 0


def import_feed(store: ArchiveStore, path: Path) -> ImportResult:
    result = ImportResult(path)
    exported_at = datetime.fromtimestamp(path.stat().st_mtime, UTC).isoformat(timespec="seconds")
    result.added = store.add_versions(_articles(path, result), exported_at)
    return result


def _articles(path: Path, result: ImportResult) -> Iterator[dict[str, Any]]:
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8") as lines:
        for line in lines:
            if not line.strip():
                continue
            result.lines += 1
            try:
                item = json.loads(line)
            except ValueError:
                result.skipped += 1
                continue
            if not isinstance(item, dict) or not all(item.get(name) for name in REQUIRED_FIELDS):
                result.skipped += 1
                continue
            if not all(_whole_number(item.get(name)) for name in INTEGER_FIELDS):
                result.skipped += 1  # "post_id": "abc" is no article of ours, in any store
                continue
            yield item


INTEGER_FIELDS = ("post_id", "views", "word_count")


def _whole_number(value: Any) -> bool:
    return value is None or (isinstance(value, int) and not isinstance(value, bool))


def feed_format(path: str) -> str | None:
    """`csv` or `jsonlines` from the file's name, None for any other."""
    return FEED_FORMATS.get(Path(path).suffix.lower())


def write_feed(path: Path, items: Iterable[Mapping[str, Any]], *, csv_bom: bool = False) -> int:
    """Write the items as a feed in the format the name says; the number written."""
    with path.open("wb") as file:
        exporter = _exporter(feed_format(str(path)), file, csv_bom=csv_bom)
        exporter.start_exporting()
        count = 0
        for item in items:
            exporter.export_item(dict(item))
            count += 1
        exporter.finish_exporting()
    return count


def _exporter(kind: str | None, file: IO[bytes], *, csv_bom: bool) -> BaseItemExporter:
    fields = list(ARTICLE_FIELDS)
    if kind == "csv":
        return ArticleCsvItemExporter(file, bom=csv_bom, fields_to_export=fields, encoding="utf-8")
    if kind == "jsonlines":
        return JsonLinesItemExporter(file, fields_to_export=fields, encoding="utf-8")
    raise ValueError(f"{kind!r} is no feed format")
