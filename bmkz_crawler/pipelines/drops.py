"""How a pipeline drops an item: counted under `bmkz/dropped/<reason>`, the URL in the message."""

from __future__ import annotations

from scrapy.exceptions import DropItem
from scrapy.statscollectors import StatsCollector

from bmkz_crawler import stats_keys as keys


def drop_item(
    stats: StatsCollector, reason: str, url: str | None, detail: str = "", *, quiet: bool = False, counted: bool = True
) -> DropItem:
    """The DropItem to raise. `reason` is a stats key part (`missing_published_at`); the
    message reads `missing published_at: <url>`. Quiet drops (duplicates) log at DEBUG;
    uncounted ones (unchanged articles) have their own stats key."""
    if counted:
        stats.inc_value(f"{keys.DROPPED}{reason}")
    message = f"{reason.replace('_', ' ', 1)}: {url or '(no url)'}"
    if detail:
        message += f" ({detail})"
    return DropItem(message, log_level="DEBUG" if quiet else None)
