"""`scrapy cron`: one scheduled crawl — never two at once, a verdict, and a one-screen summary.

    scrapy cron [news] [-a NAME=VALUE ...] [-s NAME=VALUE ...] [-o FILE | -O FILE]

Spider arguments, settings and outputs are those of `scrapy crawl news`. The verdict is the
monitors' (bmkz_crawler/monitoring/monitors.py, run at engine stop after the feeds are stored):
each failed monitor is one `FAILED  <monitor>: <reason>` line of the summary. Exit codes:
0 the crawl went well; 1 it failed (the summary's last line says why); 2 a bad `-a`
argument; 75 (EX_TEMPFAIL, EXIT_LOCKED) an earlier run still holds the cron lock, or another
crawl the lock of the crawl state — nothing was started. A feed that lost items or failed to
store, and a state write that failed, make the run fail (nothing of it is marked exported); so
does an archive write that failed (the marks stay; `scrapy archive import` the run's feed).
With BMKZ_REPORT set, the run history's HTML report is written after the summary.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from scrapy import signals
from scrapy.exceptions import UsageError

from bmkz_crawler import stats_keys as keys
from bmkz_crawler.commands.crawl import Command as CrawlCommand
from bmkz_crawler.compat import create_crawler
from bmkz_crawler.feedstorage import WRITE_ERRORS_STAT
from bmkz_crawler.monitoring import RunVerdict, run_verdict
from bmkz_crawler.monitoring.alerts import alert_not_started
from bmkz_crawler.monitoring.monitors import OK_FINISH_REASONS, STATS_ONLY_CHECKS, MonitorContext, judge
from bmkz_crawler.pipelines.export_marker import STATE_WRITE_ERRORS_STAT
from bmkz_crawler.state.lock import EXIT_LOCKED, RunLock, crawl_lock_or_refuse, lock_path

__all__ = ["EXIT_LOCKED", "OK_FINISH_REASONS", "Command", "CrawlOutcome"]

EXIT_FAILED = 1
EXIT_BAD_ARGUMENT = 2
# Counted by the spider, but the site's doing, not a failure to crawl: shown apart.
GONE_PREFIX = keys.ERRORS_GONE


class Command(CrawlCommand):
    def syntax(self) -> str:
        return "[options] [spider]"

    def short_desc(self) -> str:
        return "Run one crawl for cron: locked, non-zero exit when it failed, a summary on stdout"

    def run(self, args: list[str], opts: argparse.Namespace) -> None:
        if len(args) > 1:
            raise UsageError("scrapy cron runs one spider")
        spider_name = args[0] if args else "news"
        if self.refuse_bad_input(spider_name, opts):  # a bad -a or setting: one line, exit 2
            return
        assert self.settings is not None
        lock = RunLock(lock_path(self.settings))
        if not lock.acquire():
            holder = lock.holder_pid()
            print(f"scrapy cron: another crawl (pid {holder or '?'}) holds {lock.path}; not starting", file=sys.stderr)
            self.exitcode = EXIT_LOCKED
            self._alert_if_stuck(lock, holder)
            return
        try:
            state_lock = crawl_lock_or_refuse(self.settings, "scrapy cron", holding=lock.path)
            if state_lock is None:
                self.exitcode = EXIT_LOCKED
                return
            try:
                self.exitcode = self._run_crawl(spider_name, opts)
            finally:
                state_lock.release()
        finally:
            lock.release()

    def _alert_if_stuck(self, lock: RunLock, holder: int | None) -> None:
        """A run that has held the cron lock for longer than BMKZ_STUCK_RUN_MINUTES (a hung crawl, a
        backfill still going) keeps every later run from starting: alerted as `Crawl started`
        failing, once; the next run that starts recovers it."""
        assert self.settings is not None
        limit = self.settings.getfloat("BMKZ_STUCK_RUN_MINUTES")
        if limit <= 0 or lock.path is None:
            return
        try:
            held = time.time() - lock.path.stat().st_mtime  # written when the holder took the lock
        except OSError:
            return
        if held >= limit * 60:
            minutes = int(held // 60)
            alert_not_started(
                self.settings,
                f"another crawl (pid {holder or '?'}) has held the cron lock {lock.path} for "
                f"{minutes // 60} h {minutes % 60:02d} min (BMKZ_STUCK_RUN_MINUTES={limit:g})",
            )

    def _run_crawl(self, spider_name: str, opts: argparse.Namespace) -> int:
        assert self.crawler_process is not None and self.settings is not None
        crawler = create_crawler(self, spider_name)
        feeds = FeedFiles()
        crawler.signals.connect(feeds.feed_slot_closed, signal=signals.feed_slot_closed)
        self.crawler_process.crawl(crawler, **opts.spargs)
        self.crawler_process.start()
        if self.crawler_process.bootstrap_failed or crawler.stats is None:
            print(f"scrapy cron: {spider_name} could not start (see the log)", file=sys.stderr)
            alert_not_started(self.settings, f"{spider_name} could not start (see the cron log)")
            return EXIT_FAILED
        outcome = CrawlOutcome(
            spider_name,
            crawler.stats.get_stats(),
            self.settings.getfloat("BMKZ_MAX_ERROR_RATE"),
            feeds.files,
            verdict=run_verdict(crawler),
        )
        print(outcome.summary(), flush=True)
        self._write_report()
        return EXIT_FAILED if outcome.failures() else 0

    def _write_report(self) -> None:
        """BMKZ_REPORT: the history's report after the run; a report that fails leaves the verdict alone."""
        assert self.settings is not None
        if not self.settings.get("BMKZ_REPORT"):
            return
        from bmkz_crawler.report import report_after_run

        try:
            path = report_after_run(self.settings)
        except Exception as error:  # the report is a view of the history, not part of the run
            print(f"scrapy cron: report not written: {error}", file=sys.stderr)
            return
        if path is not None:
            print(f"  {'report':<16}{path}", flush=True)


@dataclass
class FeedFiles:
    """The feed files a crawl stored, from Scrapy's `feed_slot_closed` signal."""

    files: list[tuple[str, int]] = field(default_factory=list)

    def feed_slot_closed(self, slot: Any) -> None:
        error = getattr(slot.storage, "write_error", None)  # DurableFileFeedStorage's
        uri = f"{slot.uri} (INCOMPLETE: {error.strerror or error})" if error else slot.uri
        self.files.append((uri, slot.itemcount))


@dataclass
class CrawlOutcome:
    """A finished crawl: its figures from the stats, its verdict from the monitors.

    Without a `verdict` (the monitors did not run: SPIDERMON_ENABLED off, or a test of the
    stats alone) the monitors' checks that need only the stats judge it.
    """

    spider_name: str
    stats: Mapping[str, Any]
    max_error_rate: float
    feeds: list[tuple[str, int]] = field(default_factory=list)
    verdict: RunVerdict | None = None

    def value(self, key: str) -> int:
        return int(self.stats.get(key) or 0)

    def counts(self, prefix: str, *, exclude: str = "") -> dict[str, int]:
        found = {k.removeprefix(prefix): int(v) for k, v in self.stats.items() if k.startswith(prefix) and v}
        return {k: v for k, v in sorted(found.items()) if not (exclude and (prefix + k).startswith(exclude))}

    @property
    def pages(self) -> int:
        return self.value("response_received_count")

    @property
    def errors(self) -> dict[str, int]:
        errors = self.counts(keys.ERRORS, exclude=GONE_PREFIX)
        if self.value("spider_exceptions/count"):
            errors["spider_exceptions"] = self.value("spider_exceptions/count")
        return errors

    @property
    def articles_seen(self) -> int:
        return self.value("item_scraped_count") + self.value("item_dropped_count")

    @property
    def known_skipped(self) -> int:
        return sum(self.value(key) for key in (keys.KNOWN_SKIPPED, keys.SITEMAP_UNCHANGED))

    @property
    def plan(self) -> str:
        """`sweep` (full discovery: home pages, menus, archives) or `planned` (remembered feeds and sitemaps)."""
        plan = str(self.stats.get(keys.PLAN) or "sweep")
        if plan == "planned" and self.value("bmkz/plan/burst_walks"):
            return "planned, archives walked after a burst"
        return "sweep (home pages, menus, archives)" if plan == "sweep" else "planned (remembered feeds and sitemaps)"

    @property
    def finish_reason(self) -> str:
        return str(self.stats.get("finish_reason") or "unknown")

    def failed_monitors(self) -> dict[str, str]:
        """Failed monitor name -> one-line reason."""
        if self.verdict is not None:
            return dict(self.verdict.failed)
        context = MonitorContext(self.stats, max_error_rate=self.max_error_rate)
        return judge(context, STATS_ONLY_CHECKS).failed

    def failures(self) -> list[str]:
        return list(self.failed_monitors().values())

    def summary(self) -> str:
        seconds = int(float(self.stats.get("elapsed_time_seconds") or 0))
        duration = f"{seconds // 3600}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"
        dropped = self.counts(keys.DROPPED)
        errors = self.errors
        rate = sum(errors.values()) / self.pages if self.pages else 0.0
        lines = [
            f"scrapy cron: {self.spider_name}, {duration}, finish reason {self.finish_reason}",
            _line("pages", self.pages, f"{self.value('downloader/request_count')} requests"),
            _line("not modified", self.value(keys.NOT_MODIFIED), "304: unchanged since the last run"),
            _line("re-checks", self.value(keys.RECHECKS), "recent articles fetched again at a re-check age"),
            f"  {'run':<16}{self.plan}",
            _line("articles seen", self.articles_seen),
            _line("known, skipped", self.known_skipped, "exported before, not fetched" if self.known_skipped else ""),
            _line("new", self.value(keys.NEW)),
            _line("updated", self.value(keys.UPDATED)),
            _line("unchanged", self.value(keys.UNCHANGED), _reexported(self.value(keys.REEXPORTED))),
            _line("dropped", sum(dropped.values()), _breakdown(dropped)),
            _line("errors", sum(errors.values()), f"{rate:.1%} of pages; {_breakdown(errors)}" if errors else ""),
            _line("gone (404/410)", sum(self.counts(GONE_PREFIX).values())),
            _line("marked exported", self.value(keys.EXPORTED_MARKED)),
        ]
        for label, key in (
            ("feed errors", WRITE_ERRORS_STAT),
            ("state errors", STATE_WRITE_ERRORS_STAT),
            ("archive errors", keys.ARCHIVE_WRITE_ERRORS),
        ):
            if self.value(key):
                lines.append(_line(label, self.value(key), "writes that failed"))
        lines += [f"  {'feed':<16}{items:>7}  {uri}" for uri, items in self.feeds]
        drift = self.stats.get(keys.MARKUP_DRIFT)
        if drift:
            lines.append(f"  {'markup changed?':<16}{drift}")
        failed = self.failed_monitors()
        lines += [f"  FAILED  {name}: {reason}" for name, reason in failed.items()]
        lines.append(f"  {'result':<16}FAILED: {'; '.join(failed.values())}" if failed else f"  {'result':<16}OK")
        return "\n".join(lines)


def _line(label: str, number: int, detail: str = "") -> str:
    return f"  {label:<16}{number:>7}" + (f"  ({detail})" if detail else "")


def _breakdown(counts: Mapping[str, int]) -> str:
    return ", ".join(f"{name} {count}" for name, count in counts.items())


def _reexported(count: int) -> str:
    return f"{count} exported again: mode=full" if count else ""
