"""Crawl-wide extensions: a progress line for long crawls."""

from __future__ import annotations

import json
import logging
import time
from typing import Any, Self

from scrapy import Spider, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from scrapy.utils.asyncio import create_looping_call

from bmkz_crawler import stats_keys as keys
from bmkz_crawler.policy import crawl_policy

logger = logging.getLogger(__name__)


class CrawlProgress:
    """Every BMKZ_PROGRESS_INTERVAL seconds: pages fetched, articles emitted, requests queued,
    rate, and an ETA when the sitemaps told how many articles there are."""

    def __init__(self, crawler: Crawler, interval: float) -> None:
        self.crawler = crawler
        self.interval = interval
        self.task: Any = None
        self.started = time.monotonic()

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        interval = crawler.settings.getfloat("BMKZ_PROGRESS_INTERVAL")
        if interval <= 0:
            raise NotConfigured
        extension = cls(crawler, interval)
        crawler.signals.connect(extension.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(extension.spider_closed, signal=signals.spider_closed)
        return extension

    def spider_opened(self, spider: Spider) -> None:
        self.started = time.monotonic()
        self.task = create_looping_call(self.log_progress, spider)
        self.task.start(self.interval, now=False)

    def spider_closed(self, spider: Spider, reason: str) -> None:
        if self.task is not None and self.task.running:
            self.task.stop()

    def progress_line(self, spider: Spider) -> str:
        stats = self.crawler.stats
        pages = stats.get_value("response_received_count", 0)
        articles = stats.get_value("item_scraped_count", 0)
        try:
            scheduler = self.crawler.engine.scheduler
        except RuntimeError:  # no engine yet (before the crawl starts)
            scheduler = None
        queued = len(scheduler) if scheduler is not None and hasattr(scheduler, "__len__") else 0
        elapsed = max(time.monotonic() - self.started, 1e-6)
        rate = pages / elapsed * 60
        line = f"progress: {pages} pages, {articles} articles, {queued} queued, {rate:.0f} pages/min"
        policy = crawl_policy(self.crawler)
        total = policy.expected_total if policy is not None else None
        emitted = policy.articles_emitted if policy is not None else articles
        if total and emitted and total > emitted:
            eta = (total - emitted) / (emitted / elapsed)
            line += f", ETA {eta / 60:.0f} min for {total} articles the sitemaps list"
        return line

    def log_progress(self, spider: Spider) -> None:
        logger.info(self.progress_line(spider))


class StatsFile:
    """Writes the crawl's final stats as JSON to BMKZ_STATS_FILE (for monitoring and tests)."""

    def __init__(self, crawler: Crawler, path: str) -> None:
        self.crawler = crawler
        self.path = path

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        path = crawler.settings.get("BMKZ_STATS_FILE")
        if not path:
            raise NotConfigured
        extension = cls(crawler, path)
        # engine_stopped: after the spider and the feed exports have closed and been counted.
        crawler.signals.connect(extension.engine_stopped, signal=signals.engine_stopped)
        return extension

    def engine_stopped(self) -> None:
        stats = self.crawler.stats.get_stats()
        with open(self.path, "w", encoding="utf-8") as handle:
            json.dump(stats, handle, ensure_ascii=False, indent=1, sort_keys=True, default=str)


# Fields whose winning layer tells whether the site's markup is still the one the profile knows.
DRIFT_FIELDS = ("title", "body", "published_at", "authors", "category", "tags", "image_url")
MARKUP_DRIFT_STAT = keys.MARKUP_DRIFT


def markup_drift(stats: dict[str, Any], threshold: float) -> list[str]:
    """One line per field that most articles took from a generic layer: the markup-changed signal.

    Sources named `generic*` and `main_text` are the generic page-evidence and main-text layers
    (extraction/article.py); their share is taken of the articles the extractor returned.
    """
    extracted = int(stats.get(keys.ARTICLE_EXTRACTED) or 0)
    lines = []
    unprofiled = int(stats.get(keys.NO_PROFILE) or 0)
    if extracted and unprofiled / extracted > threshold:
        example = stats.get(keys.NO_PROFILE_EXAMPLE, "")
        lines.append(
            f"no site profile matched {unprofiled / extracted:.0%} of articles"
            f" ({unprofiled}/{extracted}), e.g. {example}"
        )
    for field_name in DRIFT_FIELDS if extracted else ():
        prefix = keys.ARTICLE_FIELD.format(field=field_name)
        generic = sum(
            int(value)
            for key, value in stats.items()
            if key.startswith(prefix)
            and isinstance(value, int)
            and (key[len(prefix) :].startswith("generic") or key[len(prefix) :] == "main_text")
        )
        if generic and generic / extracted > threshold:
            example = stats.get(f"{prefix}generic_example", "")
            lines.append(
                f"{field_name} from a generic layer on {generic / extracted:.0%}"
                f" ({generic}/{extracted}), e.g. {example}"
            )
    return lines


class MarkupDriftWarning:
    """At the end of a run, one warning when most articles' field came from a generic layer.

    That is how a redesign of the site shows: the profile's selectors stop matching and the
    generic layers take over. The lines are also kept in the `bmkz/markup_drift` stat, which
    `scrapy cron` prints in its summary.
    """

    def __init__(self, crawler: Crawler, threshold: float) -> None:
        self.crawler = crawler
        self.threshold = threshold

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        threshold = crawler.settings.getfloat("BMKZ_MARKUP_DRIFT_SHARE", 0.5)
        if not 0 < threshold <= 1:
            raise ValueError(f"BMKZ_MARKUP_DRIFT_SHARE must be in (0, 1], not {threshold}")
        extension = cls(crawler, threshold)
        # Registered before StatsFile (EXTENSIONS order), so the stats file holds the drift line too.
        crawler.signals.connect(extension.spider_closed, signal=signals.spider_closed)
        return extension

    def spider_closed(self, spider: Spider, reason: str) -> None:
        stats = self.crawler.stats
        lines = markup_drift(stats.get_stats(), self.threshold)
        if lines:
            stats.set_value(MARKUP_DRIFT_STAT, "; ".join(lines))
            logger.warning("Site markup changed? %s", "; ".join(lines))
