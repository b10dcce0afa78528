"""`scrapy report`: the run history of the last days drawn into one self-contained HTML file.

    scrapy report [--days N] [-o FILE]

N defaults to 7; FILE to reports/report-<UTC date>.html (relative to the working folder). The
runs are those kept in the state store (BMKZ_STATE_URI) by `scrapy crawl` and `scrapy cron`.
Prints the path written. Exit codes: 0 written (an empty history gives a page saying so);
1 the history could not be read or the file written; 2 a bad argument or setting (one line).
"""

from __future__ import annotations

import argparse
import math
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from scrapy.commands import ScrapyCommand

from bmkz_crawler.report import DEFAULT_DAYS, report_path, runs_since, write_report
from bmkz_crawler.state import state_store_uri

EXIT_NOT_WRITTEN = 1
EXIT_BAD_INPUT = 2
MAX_DAYS = 366


class BadInput(ValueError):
    """A bad argument: one line, exit 2."""


class HistoryUnreadable(RuntimeError):
    """The state store could not be read (a server down, a damaged file): one line, exit 1."""


class Command(ScrapyCommand):
    requires_project = True
    requires_crawler_process = False

    def syntax(self) -> str:
        return "[--days N] [-o FILE]"

    def short_desc(self) -> str:
        return "Draw the run history (articles, sections, field sources, errors, costs, verdicts) as an HTML report"

    def add_options(self, parser: argparse.ArgumentParser) -> None:
        super().add_options(parser)
        group = parser.add_argument_group("Report options")
        group.add_argument("--days", default=str(DEFAULT_DAYS), help=f"the last N days (default {DEFAULT_DAYS})")
        group.add_argument(
            "-o", "--output", metavar="FILE", help="the HTML file (default reports/report-<UTC date>.html)"
        )

    def run(self, args: list[str], opts: argparse.Namespace) -> None:
        try:
            self.exitcode = self._run(args, opts)
        except BadInput as error:
            print(f"error: {error}", file=sys.stderr)
            self.exitcode = EXIT_BAD_INPUT

    def _run(self, args: list[str], opts: argparse.Namespace) -> int:
        assert self.settings is not None
        if args:
            raise BadInput(f"scrapy report takes no argument {args[0]!r}: use --days N and -o FILE")
        days = _days(opts.days)
        now = datetime.now(UTC).replace(microsecond=0)
        path = Path(opts.output) if opts.output else report_path("reports/", now)
        if path.suffix.lower() not in {".html", ".htm"} or path.is_dir():
            raise BadInput(f"-o {opts.output}: use a file name ending in .html")
        try:
            runs = [] if self._no_state_yet() else self._runs(now - timedelta(days=days))
        except HistoryUnreadable as error:
            print(f"error: could not read the run history: {error}", file=sys.stderr)
            return EXIT_NOT_WRITTEN
        try:
            write_report(runs, path, days=days, now=now)
        except OSError as error:
            print(f"error: could not write {path}: {error.strerror or error}", file=sys.stderr)
            return EXIT_NOT_WRITTEN
        print(path)
        return 0

    def _no_state_yet(self) -> bool:
        """A SQLite state file that does not exist has no runs: say so rather than create it."""
        assert self.settings is not None
        uri = state_store_uri(self.settings.get("BMKZ_STATE_URI"))
        if urlsplit(uri).scheme != "sqlite" or Path(uri.removeprefix("sqlite://")).exists():
            return False
        print(f"no state at {uri.removeprefix('sqlite://')} yet: the report shows no run", file=sys.stderr)
        return True

    def _runs(self, since: datetime) -> list[dict[str, Any]]:
        assert self.settings is not None
        try:
            return runs_since(self.settings, since)
        except ValueError as error:  # an unknown BMKZ_STATE_URI scheme
            raise BadInput(str(error)) from None
        except Exception as error:  # redis, sqlite3 and OS errors alike: a line, not a traceback
            raise HistoryUnreadable(" ".join(str(error).split()) or type(error).__name__) from None


def _days(raw: str) -> float:
    try:
        days = float(raw)
    except ValueError:
        raise BadInput(f"--days={raw!r} is not accepted: use a number of days, e.g. 7") from None
    if not math.isfinite(days) or not 0 < days <= MAX_DAYS:
        raise BadInput(f"--days={raw!r} is not accepted: use a number of days in (0, {MAX_DAYS}]")
    return days
