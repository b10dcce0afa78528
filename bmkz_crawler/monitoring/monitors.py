"""The monitors judged at the end of every run, and the action that turns them into its verdict.

Each monitor is one check on the run's stats (and, for the cross-run ones, the run history)
with a human name and a one-line reason when it fails. The checks are plain functions of a
`MonitorContext` (tested on their own); `RunMonitorSuite` runs them as spidermon monitors at
engine stop — after the feeds were stored, so a failed feed store is seen — and `VerdictAction`
leaves the `RunVerdict` on the crawler (`scrapy cron`'s exit status and summary) and appends
the run to the history. AlertAction (alerts.py) then sends what changed.
"""

from __future__ import annotations

import logging
import statistics
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar

from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from scrapy.settings import BaseSettings
from scrapy.utils.misc import load_object
from spidermon import Monitor, MonitorSuite, monitors
from spidermon.contrib.scrapy.runners import SpiderMonitorResult, SpiderMonitorRunner
from spidermon.core.actions import Action
from spidermon.settings import MONITOR

from bmkz_crawler import stats_keys as keys
from bmkz_crawler.extensions import markup_drift
from bmkz_crawler.monitoring import RunVerdict, set_run_verdict
from bmkz_crawler.monitoring.alerts import AlertAction
from bmkz_crawler.monitoring.history import (
    COVERAGE,
    COVERAGE_ARTICLES,
    EXPORTED_EDITION,
    EXPORTED_SECTION,
    counts,
    record_run,
    run_errors,
    run_record,
    validation_errors,
)
from bmkz_crawler.monitoring.schema import schema_required_fields
from bmkz_crawler.processors import parse_instant

logger = logging.getLogger(__name__)

STATUS = MONITOR.STATUS
# Deliberate stops: the spider's max_articles, the user's own CLOSESPIDER_* budgets and BMKZ_MAX_REQUESTS.
OK_FINISH_REASONS = frozenset(
    {"finished", "max_articles", "closespider_timeout", "closespider_itemcount", "closespider_pagecount", "request_cap"}
)
# Spider stats that show it recognized articles without fetching them (known, out of window).
RECOGNIZED_PREFIXES = (keys.INCREMENTAL, keys.SINCE)
FAILED_FEEDS = keys.FEED_FAILED
NOT_MARKED = keys.EXPORT_NOT_MARKED

# Share of exported articles that must have each optional field. Set from the offline mirror
# (its truth for 2,000 articles: category 100%, related_urls 91%, dateline 86%, image_url 84%,
# tags 79%, image_caption 68%, authors 59%, views 31%, modified_at 18%; description is in every
# truth record but 83-85% of exported articles carry one, the rest equal their lead) and the 33 real article
# pages in /work/shared/real-pages (most have a description, an image and a byline, few a
# dateline, views or related block): about half the mirror's figure, so a quiet hour's sample
# passes and a field whose selector stopped matching (near 0%) fails. views and modified_at are
# often absent on real pages: no threshold.
OPTIONAL_FIELD_COVERAGE: dict[str, float] = {
    "post_id": 0.8,
    "description": 0.5,
    "category": 0.8,
    "image_url": 0.4,
    "tags": 0.3,
    "related_urls": 0.3,
    "dateline": 0.3,
    "image_caption": 0.25,
    "authors": 0.25,
}
# Optional-field thresholds are judged only on runs that exported at least this many articles.
COVERAGE_MIN_ARTICLES = 30
# A section's or edition's exported-article rate is measured over this much history.
SILENCE_WINDOW = timedelta(days=7)


class NotJudged(Exception):
    """The check has nothing to judge this run (no pages, no articles, a planned run for a
    sweep-only check, no history yet): the monitor is skipped, neither passed nor failed, so an
    alert's state does not change — a quiet run does not announce "recovered"."""


# Markup drift is judged on runs that extracted at least this many articles (a share of 2 is noise).
DRIFT_MIN_ARTICLES = 5
# Editions and Sections compare with the median of at least this many earlier sweep intervals
# (a median, so the first sweep's back catalogue or a mode=full run does not set the rate).
SILENCE_MIN_INTERVALS = 3


@dataclass(frozen=True)
class MonitorContext:
    """What the checks judge: the run's stats, the thresholds, and the earlier runs' records."""

    stats: Mapping[str, Any]
    max_error_rate: float = 0.1
    drift_share: float = 0.5
    no_new_hours: float = 6.0
    silent_expected: float = 5.0
    history: Sequence[Mapping[str, Any]] = ()
    now: datetime = field(default_factory=lambda: datetime.now(UTC))

    @classmethod
    def from_settings(
        cls, stats: Mapping[str, Any], settings: BaseSettings, history: Sequence[Mapping[str, Any]] = ()
    ) -> MonitorContext:
        finished = stats.get("finish_time")
        now = finished.replace(tzinfo=finished.tzinfo or UTC) if isinstance(finished, datetime) else datetime.now(UTC)
        return cls(
            stats,
            max_error_rate=settings.getfloat("BMKZ_MAX_ERROR_RATE"),
            drift_share=settings.getfloat("BMKZ_MARKUP_DRIFT_SHARE"),
            no_new_hours=settings.getfloat("BMKZ_MONITOR_NO_NEW_HOURS"),
            silent_expected=settings.getfloat("BMKZ_MONITOR_SILENT_EXPECTED"),
            history=history,
            now=now,
        )

    def value(self, key: str) -> int:
        value = self.stats.get(key)
        return int(value) if isinstance(value, int | float) else 0

    @property
    def pages(self) -> int:
        return self.value("response_received_count")

    @property
    def sweep(self) -> bool:
        return self.stats.get(keys.PLAN) != "planned"


Check = Callable[[MonitorContext], str | None]


# --- checks on the run's stats --------------------------------------------------------------------


def check_finish_reason(context: MonitorContext) -> str | None:
    reason = str(context.stats.get("finish_reason") or "unknown")
    return None if reason in OK_FINISH_REASONS else f"finish reason {reason}"


def check_pages_fetched(context: MonitorContext) -> str | None:
    return "no pages fetched" if context.pages == 0 else None


def check_error_rate(context: MonitorContext) -> str | None:
    """Errors (gone pages and 304s are not errors) against the pages fetched."""
    if not context.pages:
        raise NotJudged("no pages fetched")
    errors = sum(run_errors(context.stats).values())
    if context.pages and errors > context.max_error_rate * context.pages:
        return f"{errors} errors on {context.pages} pages, above BMKZ_MAX_ERROR_RATE={context.max_error_rate}"
    return None


def check_articles_found(context: MonitorContext) -> str | None:
    if not context.pages:
        raise NotJudged("no pages fetched")
    seen = context.value("item_scraped_count") + context.value("item_dropped_count")
    # A 304 is a success: the feed or sitemap has not changed since the last stored run.
    recognized = any(counts(context.stats, prefix) for prefix in RECOGNIZED_PREFIXES)
    if context.pages and not seen and not recognized and not context.value(keys.NOT_MODIFIED):
        return "no article found on the site"
    return None


def check_feeds_stored(context: MonitorContext) -> str | None:
    failed = max(sum(counts(context.stats, keys.SCRAPY_FEED_FAILED).values()), context.value(FAILED_FEEDS))
    if failed:
        return f"{failed} feeds failed to store (nothing marked exported)"
    not_marked = context.value(NOT_MARKED)
    if not_marked and not context.value(keys.STATE_WRITE_ERRORS):
        return f"{not_marked} articles not marked exported"
    return None


def check_state_writes(context: MonitorContext) -> str | None:
    errors = context.value(keys.STATE_WRITE_ERRORS)
    return f"{errors} state store writes failed (nothing marked exported)" if errors else None


def check_archive_writes(context: MonitorContext) -> str | None:
    errors = context.value(keys.ARCHIVE_WRITE_ERRORS)
    return f"{errors} archive writes failed (marks kept: scrapy archive import the feed)" if errors else None


def check_article_schema(context: MonitorContext) -> str | None:
    """Items that broke the Article JSON Schema (before dedup: unchanged ones included)."""
    invalid = context.value("spidermon/validation/items/errors")
    if not context.value("spidermon/validation/items"):
        raise NotJudged("no article checked")
    if not invalid:
        return None
    checked = context.value("spidermon/validation/items")
    per_field = sorted(validation_errors(context.stats).items(), key=lambda pair: -pair[1])
    fields = ", ".join(f"{name} {count}" for name, count in per_field[:4])
    return f"{invalid} of {checked} articles break the contract ({fields})"


def check_field_coverage(context: MonitorContext) -> str | None:
    exported = context.value(COVERAGE_ARTICLES)
    if not exported:
        raise NotJudged("no article exported")
    short = []
    for name in schema_required_fields():
        share = context.value(COVERAGE + name) / exported
        if share < 1:
            short.append(f"{name} {share:.0%} (required)")
    if exported >= COVERAGE_MIN_ARTICLES:
        for name, threshold in OPTIONAL_FIELD_COVERAGE.items():
            share = context.value(COVERAGE + name) / exported
            if share < threshold:
                short.append(f"{name} {share:.0%} (expected {threshold:.0%})")
    if not short and exported < COVERAGE_MIN_ARTICLES:
        raise NotJudged(f"{exported} articles: too few to judge optional fields")
    return f"of {exported} articles: {', '.join(short)}" if short else None


def check_markup_drift(context: MonitorContext) -> str | None:
    """Most articles took a field from a generic layer: the site's markup changed (extensions.py)."""
    if context.value(keys.ARTICLE_EXTRACTED) < DRIFT_MIN_ARTICLES:
        raise NotJudged("too few articles extracted to judge")
    lines = markup_drift(dict(context.stats), context.drift_share)
    return "; ".join(lines) if lines else None


# --- checks across runs (the run history) ---------------------------------------------------------


def check_new_articles(context: MonitorContext) -> str | None:
    """No new article for BMKZ_MONITOR_NO_NEW_HOURS on a site that publishes all day."""
    if context.no_new_hours <= 0:
        raise NotJudged("off (BMKZ_MONITOR_NO_NEW_HOURS=0)")
    if context.value(keys.NEW):
        return None
    if not context.history:
        raise NotJudged("no earlier run to compare with")
    limit = context.now - timedelta(hours=context.no_new_hours)
    with_new = [run for run in context.history if run.get("new")]
    if with_new:
        last = parse_instant(str(with_new[-1].get("finished_at")))
        if last is not None and last < limit:
            quiet = _duration((context.now - last).total_seconds())
            return f"no new article for {quiet} (last in the run that ended {with_new[-1]['finished_at']})"
        return None
    first = parse_instant(str(context.history[0].get("started_at")))
    if first is not None and first < limit:
        return f"no new article in {len(context.history) + 1} runs since {context.history[0]['started_at']}"
    return None


def _duration(seconds: float) -> str:
    if seconds >= 3600:
        return f"{seconds / 3600:.1f} hours"
    return f"{seconds / 60:.0f} minutes" if seconds >= 60 else f"{seconds:.0f} seconds"


def silent_groups(context: MonitorContext, kind: str, current: Mapping[str, int]) -> list[str]:
    """Groups (editions or sections) that exported nothing since the previous sweep although the
    median of their exports per sweep interval over SILENCE_WINDOW is at least
    BMKZ_MONITOR_SILENT_EXPECTED. A median, so one interval's back catalogue (a first sweep, a
    mode=full run) does not set the rate; NotJudged on planned runs and with too little history."""
    if not context.sweep:
        raise NotJudged("judged on sweeps only")
    window_start = context.now - SILENCE_WINDOW
    history = [
        run
        for run in context.history
        if (started := parse_instant(str(run.get("started_at")))) is not None and started >= window_start
    ]
    # Sweep intervals: what the planned runs after one sweep and the next sweep itself exported;
    # the open one (planned runs since the last sweep) ends with this run.
    completed: list[dict[str, int]] = []
    open_interval: dict[str, int] = {}
    for run in history:
        for name, count in (run.get(kind) or {}).items():
            open_interval[name] = open_interval.get(name, 0) + int(count)
        if run.get("plan") == "sweep":
            completed.append(open_interval)
            open_interval = {}
    if len(completed) < SILENCE_MIN_INTERVALS:
        raise NotJudged(f"fewer than {SILENCE_MIN_INTERVALS} sweeps in the history")
    recent: dict[str, int] = dict(current)
    for name, count in open_interval.items():
        recent[name] = recent.get(name, 0) + count
    silent = []
    for name in sorted({name for interval in completed for name in interval}):
        expected = statistics.median(interval.get(name, 0) for interval in completed)
        if not recent.get(name) and expected >= context.silent_expected:
            silent.append(f"{name} (0, expected {expected:.0f})")
    return silent


def check_editions(context: MonitorContext) -> str | None:
    silent = silent_groups(context, "articles", counts(context.stats, EXPORTED_EDITION))
    return f"no article on this sweep from edition {', '.join(silent)}" if silent else None


def check_sections(context: MonitorContext) -> str | None:
    silent = silent_groups(context, "sections", counts(context.stats, EXPORTED_SECTION))
    return f"{len(silent)} sections silent on this sweep: {', '.join(silent)}" if silent else None


# Name -> check, in the order the summary lists them. Names are what alerts and history show.
RUN_CHECKS: dict[str, Check] = {
    "Finish reason": check_finish_reason,
    "Pages fetched": check_pages_fetched,
    "Error rate": check_error_rate,
    "Articles found": check_articles_found,
    "Feeds stored": check_feeds_stored,
    "State writes": check_state_writes,
    "Archive writes": check_archive_writes,
    "Article schema": check_article_schema,
    "Field coverage": check_field_coverage,
    "Markup drift": check_markup_drift,
}
HISTORY_CHECKS: dict[str, Check] = {
    "Editions": check_editions,
    "Sections": check_sections,
    "New articles": check_new_articles,
}
# The checks `scrapy cron` had before the monitors, judged on stats alone (CrawlOutcome.failures).
STATS_ONLY_CHECKS = (
    "Finish reason",
    "Pages fetched",
    "Error rate",
    "Articles found",
    "Feeds stored",
    "State writes",
    "Archive writes",
)


def judge(context: MonitorContext, names: Sequence[str] | None = None) -> RunVerdict:
    """The verdict of the checks (all, or those named) on one context, without spidermon."""
    verdict = RunVerdict()
    for name, check in {**RUN_CHECKS, **HISTORY_CHECKS}.items():
        if names is not None and name not in names:
            continue
        try:
            reason = check(context)
        except NotJudged:
            continue
        if reason:
            verdict.failed[name] = reason
        else:
            verdict.passed.append(name)
    return verdict


# --- spidermon ------------------------------------------------------------------------------------

_CONTEXT_ATTRIBUTE = "bmkz_monitor_context"


def monitor_context(crawler: Crawler, stats: Mapping[str, Any]) -> MonitorContext:
    """One context per run, the history read once (from the state store, before this run is added)."""
    context: MonitorContext | None = getattr(crawler, _CONTEXT_ATTRIBUTE, None)
    if context is None:
        from bmkz_crawler.monitoring.history import open_history

        started = stats.get("start_time")
        since = started.replace(tzinfo=started.tzinfo or UTC) if isinstance(started, datetime) else datetime.now(UTC)
        no_new = timedelta(hours=max(crawler.settings.getfloat("BMKZ_MONITOR_NO_NEW_HOURS"), 0.0))
        history_since = (since - max(SILENCE_WINDOW, no_new)).isoformat(timespec="seconds")
        try:
            store = open_history(crawler.settings)
            try:
                history = store.runs(since=history_since)
            finally:
                store.close()
        except Exception:  # a store that cannot be read: the run-only monitors still judge the run
            history = []
        context = MonitorContext.from_settings(stats, crawler.settings, history)
        setattr(crawler, _CONTEXT_ATTRIBUTE, context)
    return context


class CheckMonitor(Monitor):
    """A spidermon monitor running one check; subclasses name it and pick the check."""

    check_name = ""

    @monitors.name("check")
    def test_check(self) -> None:
        checks = {**RUN_CHECKS, **HISTORY_CHECKS}
        try:
            reason = checks[self.check_name](monitor_context(self.data.crawler, self.data.stats))
        except NotJudged as nothing:
            self.skipTest(str(nothing))
        if reason:
            self.fail(reason)


def _monitor_class(name: str) -> type[CheckMonitor]:
    monitor = type(f"{name.title().replace(' ', '')}Monitor", (CheckMonitor,), {"check_name": name})
    return monitors.name(name)(monitor)


class VerdictAction(Action):
    """Turns the monitors' results into the run's RunVerdict and appends the run to the history."""

    def run_action(self) -> None:
        verdict = RunVerdict()
        for result in self.result.monitor_results:
            name = result.item.monitor_name
            if result.status == STATUS.SKIPPED:
                continue  # not judged this run (a sweep-only check on a planned run): no change of state
            if result.status == STATUS.SUCCESS:
                verdict.passed.append(name)
            else:  # a failure's message, or the last line of a monitor that raised
                error_lines = (result.error or "monitor error").strip().splitlines()
                verdict.failed[name] = " ".join(str(result.reason or error_lines[-1]).split())
        crawler = self.data.crawler
        set_run_verdict(crawler, verdict)
        stats = crawler.stats.get_stats()
        record = run_record(
            stats, spider=crawler.spider.name, verdict="ok" if verdict.ok else "failed", failed=verdict.failed
        )
        record_run(crawler, record)


class RunMonitorSuite(MonitorSuite):
    """Every monitor of a run (SPIDERMON_ENGINE_STOP_MONITORS), then the verdict and the alerts."""

    monitors: ClassVar[list[type[Monitor]]] = [_monitor_class(name) for name in (*RUN_CHECKS, *HISTORY_CHECKS)]
    monitors_finished_actions: ClassVar[list[type[Action]]] = [VerdictAction, AlertAction]


# --- running the suites at engine stop ---------------------------------------------------------------


class OneLineMonitorResult(SpiderMonitorResult):
    """spidermon's result report, with a failed monitor as one line (its reason), not a traceback
    that reads like a crash, and through a logger: spidermon's own goes through the deprecated
    Spider.log(), one deprecation warning per run that says nothing to our users."""

    def log(self, msg: str, level: int = logging.DEBUG) -> None:
        logger.log(level, "[Spidermon] %s", msg)

    def write_errors(self) -> None:
        for status in self.step.error_statuses:
            for result in self.step.items_for_status(status):
                if result.status == STATUS.FAILURE:
                    self.log_error(f"FAILED {result.item.monitor_name}: {result.reason}")
                else:  # a monitor that raised: its traceback is the way to the bug
                    self.log_error(f"{result.status}: {result.item.name}\n{result.error}")


class OneLineMonitorRunner(SpiderMonitorRunner):
    def create_result(self) -> OneLineMonitorResult:
        return OneLineMonitorResult(self.spider)


class EngineStopMonitors:
    """Runs the SPIDERMON_ENGINE_STOP_MONITORS suites (RunMonitorSuite) once the engine has stopped,
    after the feeds were stored; off with SPIDERMON_ENABLED=False.

    In place of spidermon's Spidermon extension, which would run the same suites at the same
    moment but report each failed monitor as a traceback through Spider.log().
    """

    def __init__(self, crawler: Crawler, suites: list[type[MonitorSuite]]) -> None:
        self.crawler = crawler
        self.suites = suites

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> EngineStopMonitors:
        if not crawler.settings.getbool("SPIDERMON_ENABLED"):
            raise NotConfigured("SPIDERMON_ENABLED is off")
        suites = [load_object(path) for path in crawler.settings.getlist("SPIDERMON_ENGINE_STOP_MONITORS")]
        extension = cls(crawler, suites)
        crawler.signals.connect(extension.engine_stopped, signal=signals.engine_stopped)
        return extension

    def engine_stopped(self) -> None:
        spider = self.crawler.spider
        assert self.crawler.stats is not None and spider is not None
        for suite in self.suites:
            OneLineMonitorRunner(spider=spider).run(
                suite(crawler=self.crawler),
                stats=self.crawler.stats.get_stats(),
                stats_history=[],
                crawler=self.crawler,
                spider=spider,
                sc_spider_name=spider.name,
                job=None,
            )
