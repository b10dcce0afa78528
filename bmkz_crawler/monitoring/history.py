"""Run history: one record per finished run (scrapy crawl or cron), kept in the state store.

`run_record` turns a run's Scrapy stats and its verdict into the record that the cross-run
monitors, the alerts and `scrapy report` read back with `StateStore.runs()`; `RunCounts`
counts the exported articles per edition and section that the record holds, and the fields
they have (the field coverage monitor's figures).
"""

from __future__ import annotations

import logging
import uuid
from collections import Counter
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any, Self

from itemadapter import ItemAdapter
from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.settings import BaseSettings

from bmkz_crawler import stats_keys as keys
from bmkz_crawler.items import ARTICLE_FIELDS, Article
from bmkz_crawler.state import StateStore, open_state_store

logger = logging.getLogger(__name__)

# Exported articles per edition and per section (category label), counted by RunCounts.
EXPORTED_EDITION = "bmkz/exported/edition/"
EXPORTED_SECTION = "bmkz/exported/section/"
NO_SECTION = "(none)"
# Field coverage of exported articles: how many were exported, and how many had each field
# (None, "" and [] do not count).
COVERAGE_ARTICLES = "bmkz/coverage/articles"
COVERAGE = "bmkz/coverage/"
HISTORY_WRITE_ERRORS = "bmkz/history/write_errors"
# Spidermon's per-field validation errors: spidermon/validation/fields/errors/<message>/<field>.
VALIDATION_ERRORS = "spidermon/validation/fields/errors/"


def open_history(settings: BaseSettings) -> StateStore:
    """The configured state store (BMKZ_STATE_URI), opened: its `runs()` is the run history."""
    return open_state_store(settings.get("BMKZ_STATE_URI"))


def as_utc(value: Any) -> datetime | None:
    """A stats time (Scrapy's are naive UTC datetimes) as an aware UTC datetime."""
    if not isinstance(value, datetime):
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def iso(value: datetime) -> str:
    """ISO 8601 UTC with seconds and +00:00, the run records' format."""
    return value.astimezone(UTC).isoformat(timespec="seconds")


def counts(stats: Mapping[str, Any], prefix: str) -> dict[str, int]:
    """{rest of the key: count} of the integer stats under a prefix."""
    return {
        key[len(prefix) :]: int(value)
        for key, value in sorted(stats.items())
        if key.startswith(prefix) and isinstance(value, int) and not isinstance(value, bool) and value
    }


def run_errors(stats: Mapping[str, Any]) -> dict[str, int]:
    """Error kind -> count, as `scrapy cron` shows them: gone pages (404/410) are not errors."""
    errors = {kind: count for kind, count in counts(stats, keys.ERRORS).items() if not kind.startswith("gone/")}
    if stats.get("spider_exceptions/count"):
        errors["spider_exceptions"] = int(stats["spider_exceptions/count"])
    return errors


def field_sources(stats: Mapping[str, Any]) -> dict[str, dict[str, int]]:
    """Per contract field, per extraction layer: how many articles took the field from it."""
    sources: dict[str, dict[str, int]] = {}
    for field_name in ARTICLE_FIELDS:
        layers = counts(stats, keys.ARTICLE_FIELD.format(field=field_name))
        layers = {name: count for name, count in layers.items() if "/" not in name}
        if layers:
            sources[field_name] = layers
    return sources


def validation_errors(stats: Mapping[str, Any]) -> dict[str, int]:
    """JSON Schema validation errors per field, summed over spidermon's per-message counts."""
    per_field: dict[str, int] = {}
    for key, count in counts(stats, VALIDATION_ERRORS).items():
        if "/" in key:
            field_name = key.split("/", 1)[1]
            per_field[field_name] = per_field.get(field_name, 0) + count
    return per_field


def run_record(stats: Mapping[str, Any], *, spider: str, verdict: str, failed: Mapping[str, str]) -> dict[str, Any]:
    """The history record of a finished run (the format `StateStore.record_run` keeps)."""
    finished = as_utc(stats.get("finish_time")) or datetime.now(UTC)
    started = as_utc(stats.get("start_time")) or finished
    started_at, finished_at = iso(started), iso(finished)
    duration = stats.get("elapsed_time_seconds")
    if duration is None:
        duration = (finished - started).total_seconds()
    pages = int(stats.get("response_received_count") or 0)
    errors = run_errors(stats)
    return {
        "run_id": uuid.uuid4().hex,
        "spider": spider,
        "started_at": started_at,
        "finished_at": finished_at,
        "duration_s": round(float(duration or 0.0), 3),
        "verdict": verdict,
        "finish_reason": str(stats.get("finish_reason") or "unknown"),
        "plan": "planned" if stats.get(keys.PLAN) == "planned" else "sweep",
        "failed_monitors": list(failed),
        "failures": [f"{name}: {reason}" for name, reason in failed.items()],
        "requests": int(stats.get("downloader/request_count") or 0),
        "pages": pages,
        "not_modified": int(stats.get(keys.NOT_MODIFIED) or 0),
        "new": int(stats.get(keys.NEW) or 0),
        "updated": int(stats.get(keys.UPDATED) or 0),
        "unchanged": int(stats.get(keys.UNCHANGED) or 0),
        "exported": int(stats.get(keys.EXPORTED_MARKED) or 0),
        "articles": counts(stats, EXPORTED_EDITION),
        "sections": counts(stats, EXPORTED_SECTION),
        "field_sources": field_sources(stats),
        "errors": errors,
        "error_rate": round(sum(errors.values()) / pages, 6) if pages else 0.0,
        "items_invalid": validation_errors(stats),
    }


def record_run(crawler: Crawler, record: Mapping[str, Any]) -> bool:
    """Append the run to the history of the crawl's state store; a failure is logged and counted."""
    settings = crawler.settings
    try:
        store = open_history(settings)
        try:
            store.record_run(record, keep_days=settings.getfloat("BMKZ_RUN_HISTORY_DAYS"))
        finally:
            store.close()
    except Exception as error:  # the crawl is over: a history write must not turn it into a traceback
        logger.error("Run history not recorded in %s: %s", settings.get("BMKZ_STATE_URI") or "the state store", error)
        if crawler.stats is not None:
            crawler.stats.inc_value(HISTORY_WRITE_ERRORS)
        return False
    return True


class RunCounts:
    """Counts each exported article under its edition and section (for the run record and the
    monitors that notice one going silent) and each field it has (field coverage).

    Counted in plain counters and written to the stats once, when the spider closes: a stats
    call per field and item was a third of monitoring's cost on a 2,500-article crawl.
    """

    def __init__(self, crawler: Crawler) -> None:
        assert crawler.stats is not None
        self.stats = crawler.stats
        self.counts: Counter[str] = Counter()

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        extension = cls(crawler)
        crawler.signals.connect(extension.item_scraped, signal=signals.item_scraped)
        crawler.signals.connect(extension.spider_closed, signal=signals.spider_closed)
        return extension

    def item_scraped(self, item: Any) -> None:
        values: Mapping[str, Any] = (
            {name: getattr(item, name) for name in ARTICLE_FIELDS} if isinstance(item, Article) else ItemAdapter(item)
        )
        counts = self.counts
        counts[COVERAGE_ARTICLES] += 1
        for name in ARTICLE_FIELDS:
            value = values.get(name)
            if value is not None and value != "" and value != []:
                counts[COVERAGE + name] += 1
        counts[EXPORTED_EDITION + str(values.get("language") or NO_SECTION)] += 1
        counts[EXPORTED_SECTION + str(values.get("category") or NO_SECTION)] += 1

    def spider_closed(self) -> None:
        for key, count in self.counts.items():
            self.stats.inc_value(key, count)
        self.counts.clear()
