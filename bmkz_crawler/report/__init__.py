"""The crawl report: the run history drawn as charts in one self-contained HTML file.

    write_report(runs, path, days=7, now=...)   # run records (monitoring.history) -> HTML file
    report_after_run(settings)                  # scrapy cron, when BMKZ_REPORT is set
    prune_reports(folder, keep_days)            # retention of report-*.html files

The runs are the records `scrapy crawl` / `scrapy cron` keep in the state store
(`open_history(settings).runs(since=...)`); `scrapy report` is the command.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from scrapy.settings import BaseSettings

logger = logging.getLogger(__name__)

__all__ = ["DEFAULT_DAYS", "prune_reports", "report_after_run", "report_path", "runs_since", "write_report"]

DEFAULT_DAYS = 7
REPORT_GLOB = "report-*.html"
DEFAULT_NAME = "report-{date}.html"


def write_report(runs: Sequence[Mapping[str, Any]], path: Path, *, days: float, now: datetime) -> Path:
    """Draw the runs of the `days` before `now` into one HTML file at `path` (written atomically)."""
    from bmkz_crawler.report.charts import draw_charts
    from bmkz_crawler.report.history import Period, build_series, duration_label, runs_in_period
    from bmkz_crawler.report.page import render_page

    period = Period.ending(now, days)
    kept = runs_in_period(runs, period)
    charts = draw_charts(build_series(kept, period)) if kept else []
    spiders = sorted({str(run.get("spider")) for run in kept if run.get("spider")})
    title = f"Crawl report: {', '.join(spiders) or 'bmkz_crawler'}, last {duration_label(days * 1440)}"
    html = render_page(kept, period, charts, title=title)
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    partial.write_text(html, encoding="utf-8")
    partial.replace(path)  # a reader (or a browser refreshing it) never sees half a page
    return path


def report_path(template: str, now: datetime) -> Path:
    """Where a report goes: `template` with `{date}` as the UTC date; a folder gets report-<date>.html."""
    date = now.astimezone(UTC).strftime("%Y-%m-%d")
    if template.endswith(("/", os.sep)) or Path(template).is_dir():
        return Path(template) / DEFAULT_NAME.format(date=date)
    return Path(template.format(date=date))


def runs_since(settings: BaseSettings, since: datetime) -> list[dict[str, Any]]:
    """The run records kept in the configured state store since `since`, oldest first."""
    from bmkz_crawler.monitoring.history import open_history

    store = open_history(settings)
    try:
        return store.runs(since=since.astimezone(UTC).isoformat(timespec="seconds"))
    finally:
        store.close()


def prune_reports(folder: Path, keep_days: float, *, now: float | None = None) -> list[Path]:
    """Delete the report-*.html files in `folder` last written more than `keep_days` ago (0: keep all)."""
    if keep_days <= 0 or not folder.is_dir():
        return []
    cutoff = (time.time() if now is None else now) - keep_days * 86400
    removed = []
    for path in sorted(folder.glob(REPORT_GLOB)):
        try:
            if path.is_file() and path.stat().st_mtime < cutoff:
                path.unlink()
                removed.append(path)
        except OSError as error:  # another run pruning at once, or a file we may not delete
            logger.warning("Could not remove old report %s: %s", path, error)
    return removed


def report_after_run(settings: BaseSettings) -> Path | None:
    """scrapy cron's report: written per BMKZ_REPORT (None when it is empty), old ones pruned.

    A report that cannot be written is logged as an error and gives None: the crawl's verdict is
    the crawl's, not the report's.
    """
    template = (settings.get("BMKZ_REPORT") or "").strip()
    if not template:
        return None
    now = datetime.now(UTC)
    path = report_path(template, now)
    try:
        runs = runs_since(settings, now - timedelta(days=DEFAULT_DAYS))
        write_report(runs, path, days=DEFAULT_DAYS, now=now)
    except Exception as error:  # the report is a by-product: never let it fail the run
        logger.error("Could not write the report %s: %r", path, error)
        return None
    prune_reports(path.parent, settings.getfloat("BMKZ_REPORT_KEEP_DAYS"))
    logger.info("Report written: %s", path)
    return path
