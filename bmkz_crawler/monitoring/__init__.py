"""Monitoring of each run: the Article contract validated on every item, spidermon monitors at
engine stop, the run's verdict, alerts and the run history.

This module stays light (no spidermon import) so that commands and alerts can read a crawl's
verdict: `run_verdict(crawler)` is what `VerdictAction` (monitors.py) left on the crawler.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from scrapy.crawler import Crawler

__all__ = ["RunVerdict", "run_verdict", "set_run_verdict"]

_CRAWLER_ATTRIBUTE = "bmkz_run_verdict"


@dataclass
class RunVerdict:
    """The monitors' results of one run: each failed monitor's name with a one-line reason."""

    failed: dict[str, str] = field(default_factory=dict)
    passed: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.failed


def run_verdict(crawler: Crawler) -> RunVerdict | None:
    """The verdict of the crawler's run, None when the monitors did not run (SPIDERMON_ENABLED off)."""
    return getattr(crawler, _CRAWLER_ATTRIBUTE, None)


def set_run_verdict(crawler: Crawler, verdict: RunVerdict) -> None:
    setattr(crawler, _CRAWLER_ATTRIBUTE, verdict)
