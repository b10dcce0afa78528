"""`scrapy crawl` that answers bad input in one line before anything starts, and says when it fetched nothing.

The built-in command would start the crawler and log a traceback from the spider's
constructor; a user who typed `-a lang=en` or `-s BMKZ_SWEEP_HOURS=abc` deserves one
sentence and exit code 2. And a crawl that could not fetch a single page of the site (no
network, DNS, a refusing server, robots.txt) exits 1 with one line naming the cause, rather
than 0 with an empty feed.

`-o`/`-O` replace the project's default FEEDS (Scrapy merges the command line's feeds into
them, so `-O out.jsonl` would also write `feeds/news-*.jsonl`).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Mapping
from typing import Any

from scrapy.commands.crawl import Command as ScrapyCrawlCommand
from scrapy.exceptions import UsageError
from scrapy.settings import BaseSettings, Settings
from scrapy.utils.conf import feed_process_params_from_cli

from bmkz_crawler import stats_keys as keys
from bmkz_crawler.compat import create_crawler
from bmkz_crawler.config import check_settings
from bmkz_crawler.spiders.arguments import CrawlArguments
from bmkz_crawler.state.lock import EXIT_LOCKED, crawl_lock_or_refuse

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_BAD_INPUT = 2


def bad_input(spider_name: str, spider_arguments: Mapping[str, Any], settings: BaseSettings) -> str | None:
    """The one-line reason this crawl must not start, or None."""
    if spider_name != "news":
        return None
    try:
        CrawlArguments.parse(dict(spider_arguments))
        check_settings(settings)
    except ValueError as error:
        return str(error)
    return None


def keep_only_command_line_feeds(settings: BaseSettings, command_line_feeds: Mapping[str, Any]) -> None:
    """With `-o`/`-O`, the project's default FEEDS go: the command line names the output.

    (Scrapy merges the command line's feeds into FEEDS, raising every key to its priority.)
    """
    feeds = settings["FEEDS"]
    if not isinstance(feeds, BaseSettings):
        return
    for uri in list(feeds):
        if uri not in command_line_feeds:
            del feeds[uri]


def nothing_fetched(stats: Mapping[str, Any], base_url: str) -> str | None:
    """One line naming why no page of the site was fetched, or None when some page was."""
    if int(stats.get(keys.SITE_PAGES) or 0):
        return None
    causes = []
    forbidden = int(stats.get(keys.SCRAPY_ROBOTS_FORBIDDEN) or 0)
    if forbidden:
        causes.append(f"robots.txt forbids it ({forbidden} requests refused)")
    for prefix, label in ((keys.ERRORS_DOWNLOAD, ""), (keys.ERRORS_HTTP, "HTTP ")):
        for key, count in sorted(stats.items()):
            if key.startswith(prefix) and count:
                causes.append(f"{label}{key.removeprefix(prefix)} ×{count}")
    if int(stats.get(keys.OFFSITE) or 0):
        causes.append(f"its answers lead off the site ({stats[keys.OFFSITE]} requests refused)")
    reason = "; ".join(causes) or "no answer"
    return f"error: no page of {base_url} was fetched: {reason}"


class Command(ScrapyCrawlCommand):
    def process_options(self, args: list[str], opts: argparse.Namespace) -> None:
        super().process_options(args, opts)
        if opts.output or opts.overwrite_output:
            assert self.settings is not None
            # With default settings, this gives the command line's feeds alone (with the
            # project's, it gives their merge).
            command_line_feeds = feed_process_params_from_cli(
                Settings(), opts.output, overwrite_output=opts.overwrite_output
            )
            keep_only_command_line_feeds(self.settings, command_line_feeds)

    def refuse_bad_input(self, spider_name: str, opts: argparse.Namespace) -> bool:
        """Print the one-line reason and set exit code 2 when the crawl must not start."""
        assert self.settings is not None
        reason = bad_input(spider_name, opts.spargs, self.settings)
        if reason is None:
            return False
        print(f"error: {reason}", file=sys.stderr)
        self.exitcode = EXIT_BAD_INPUT
        return True

    def run(self, args: list[str], opts: argparse.Namespace) -> None:
        if len(args) != 1:
            raise UsageError("scrapy crawl runs one spider: scrapy crawl news")
        spider_name = args[0]
        if self.refuse_bad_input(spider_name, opts):
            return
        assert self.crawler_process is not None and self.settings is not None
        # One crawl at a time on one state (not in Redis mode); held until the process ends.
        self.state_lock = crawl_lock_or_refuse(self.settings, "scrapy crawl")
        if self.state_lock is None:
            self.exitcode = EXIT_LOCKED
            return
        crawler = create_crawler(self, spider_name)
        self.crawler_process.crawl(crawler, **opts.spargs)
        self.crawler_process.start()
        if self.crawler_process.bootstrap_failed:
            self.exitcode = EXIT_FAILED
            return
        if spider_name == "news" and crawler.stats is not None:
            reason = nothing_fetched(crawler.stats.get_stats(), self.settings.get("BMKZ_BASE_URL"))
            if reason:
                print(reason, file=sys.stderr)
                self.exitcode = EXIT_FAILED
