"""`scrapy crawl` that rejects bad spider arguments with one line, before anything starts.

The built-in command would start the crawler and log a traceback from the spider's
constructor; a user who typed `-a lang=en` deserves one sentence and exit code 2.
"""

from __future__ import annotations

import argparse
import sys

from scrapy.commands.crawl import Command as ScrapyCrawlCommand

from bmkz_crawler.spiders.arguments import CrawlArguments


class Command(ScrapyCrawlCommand):
    def run(self, args: list[str], opts: argparse.Namespace) -> None:
        if args and args[0] == "news":
            try:
                CrawlArguments.parse(opts.spargs)
            except ValueError as error:
                print(f"error: {error}", file=sys.stderr)
                self.exitcode = 2
                return
        super().run(args, opts)
