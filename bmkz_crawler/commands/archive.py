"""`scrapy archive`: search, history, edits, import and stats of the archive of every version.

    scrapy archive search QUERY [--lang ru|kk] [--section S] [--since D] [--until D] [--limit N] [-o out.csv|out.jsonl]
    scrapy archive history URL|POST_ID [--lang ru|kk] [--format text|json]
    scrapy archive edits [--since D] [--silent] [--deleted] [--format text|json|csv]
    scrapy archive import FILE...
    scrapy archive stats

The archive is BMKZ_ARCHIVE_URI's (see bmkz_crawler.archive). Exit codes: 0 done; 1 no
archive yet, or the article asked for is not in it; 2 a bad argument or setting (one line).
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import re
import sqlite3
import sys
from collections.abc import Callable, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from scrapy.commands import ScrapyCommand

from bmkz_crawler.archive import archive_scheme, archive_uri, open_archive
from bmkz_crawler.archive.base import AmbiguousArticle, ArchiveStore, SearchQuery, Version
from bmkz_crawler.archive.changes import Edit, compare, edits, render_changes, word_diff
from bmkz_crawler.archive.feeds import feed_format, import_feed, write_feed
from bmkz_crawler.exporters import neutralize_formula
from bmkz_crawler.processors import day_end, parse_cli_date

EXIT_NOT_FOUND = 1
EXIT_BAD_INPUT = 2
SUBCOMMANDS = ("search", "history", "edits", "import", "stats")
# Which options each subcommand takes (dest names); any other given is refused.
OPTIONS: dict[str, frozenset[str]] = {
    "search": frozenset({"lang", "section", "since", "until", "limit", "output"}),
    "history": frozenset({"lang", "format"}),
    "edits": frozenset({"since", "silent", "deleted", "format"}),
    "import": frozenset(),
    "stats": frozenset({"format"}),
}
FORMATS = {"history": ("text", "json"), "edits": ("text", "json", "csv"), "stats": ("text", "json")}
EDIT_COLUMNS = (
    "url", "post_id", "language", "title", "crawled_at", "exported_at", "previous_crawled_at",
    "modified_at", "previous_modified_at", "silent", "fields", "summary",
)  # fmt: skip
GONE_COLUMNS = ("url", "post_id", "language", "title", "status", "found_gone_at", "last_exported_at")
_DATE_ONLY = re.compile(r"\d{4}-\d{2}-\d{2}")


class BadInput(ValueError):
    """A bad argument: one line, exit 2."""


class Command(ScrapyCommand):
    requires_project = True
    requires_crawler_process = False

    def syntax(self) -> str:
        return "search QUERY | history URL|POST_ID | edits | import FILE... | stats  [options]"

    def short_desc(self) -> str:
        return "Search the archive of every exported version; history, edits, import, stats"

    def add_options(self, parser: argparse.ArgumentParser) -> None:
        super().add_options(parser)
        group = parser.add_argument_group("Archive options")
        group.add_argument("--lang", help="edition: ru or kk (search, history)")
        group.add_argument("--section", help="category label, any case (search)")
        group.add_argument("--since", help="YYYY-MM-DD (Almaty day) or ISO 8601 (search: published; edits: crawled)")
        group.add_argument("--until", help="YYYY-MM-DD or ISO 8601: published until (search)")
        group.add_argument("--limit", help="at most N hits (search; default 20)")
        group.add_argument("-o", "--output", metavar="FILE", help="write the found articles to FILE.csv or FILE.jsonl")
        group.add_argument("--format", help="text, json (history, stats) or csv (edits)")
        group.add_argument("--silent", action="store_true", help="only edits the page's modified_at did not announce")
        group.add_argument("--deleted", action="store_true", help="articles found gone (404/410) after export")

    def run(self, args: list[str], opts: argparse.Namespace) -> None:
        try:
            self.exitcode = self._run(args, opts)
        except BadInput as error:
            print(f"error: {error}", file=sys.stderr)
            self.exitcode = EXIT_BAD_INPUT
        except BrokenPipeError:  # `| head` has read what it wanted: no traceback at exit either
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        except (OSError, UnicodeDecodeError, sqlite3.Error) as error:  # a file, a disk, an archive file
            print(f"error: {_one_line(error)}", file=sys.stderr)
            self.exitcode = EXIT_NOT_FOUND
        except Exception as error:  # a server's error (psycopg.Error, not importable without the extra)
            if not type(error).__module__.startswith("psycopg"):
                raise
            print(f"error: the archive's PostgreSQL server: {_one_line(error)}", file=sys.stderr)
            self.exitcode = EXIT_NOT_FOUND

    def _run(self, args: list[str], opts: argparse.Namespace) -> int:
        if not args or args[0] not in SUBCOMMANDS:
            given = f" {args[0]!r}" if args else ""
            raise BadInput(f"unknown subcommand{given}: use one of {', '.join(SUBCOMMANDS)}")
        subcommand, rest = args[0], args[1:]
        given = {
            name for name in ("lang", "section", "since", "until", "limit", "output", "format") if getattr(opts, name)
        }
        given |= {name for name in ("silent", "deleted") if getattr(opts, name)}
        refused = sorted(given - OPTIONS[subcommand])
        if refused:
            raise BadInput(f"scrapy archive {subcommand} takes no --{refused[0]}")
        if opts.lang is not None and opts.lang not in ("ru", "kk"):
            raise BadInput(f"--lang={opts.lang!r} is not accepted: use ru or kk")
        if opts.format is not None and opts.format not in FORMATS.get(subcommand, ()):
            raise BadInput(f"--format={opts.format!r} is not accepted: use {' or '.join(FORMATS[subcommand])}")
        handler: Callable[[ArchiveStore, list[str], argparse.Namespace], int] = getattr(self, f"do_{subcommand}")
        if subcommand == "import":
            paths = [Path(name) for name in rest]
            if not paths:
                raise BadInput("scrapy archive import needs at least one JSON Lines feed file")
            missing = [str(path) for path in paths if not path.is_file()]
            if missing:
                raise BadInput(f"no such file: {missing[0]}")
        store = self._open(create=subcommand == "import")
        if store is None:
            return EXIT_NOT_FOUND
        try:
            return handler(store, rest, opts)
        finally:
            store.close()

    def _open(self, *, create: bool) -> ArchiveStore | None:
        assert self.settings is not None
        setting, state = self.settings.get("BMKZ_ARCHIVE_URI"), self.settings.get("BMKZ_STATE_URI")
        uri = archive_uri(setting, state)
        if uri is None:
            raise BadInput("the archive is off (BMKZ_ARCHIVE_URI=none)")
        if archive_scheme(uri) == "sqlite" and not create and not Path(uri.removeprefix("sqlite://")).exists():
            print(
                f"error: no archive at {uri.removeprefix('sqlite://')} yet: crawls write it, "
                "`scrapy archive import FEED.jsonl` fills it from delivered feeds",
                file=sys.stderr,
            )
            return None
        try:
            return open_archive(setting, state)
        except ValueError as error:
            raise BadInput(str(error)) from None

    # --- subcommands --------------------------------------------------------------------------------

    def do_search(self, store: ArchiveStore, rest: list[str], opts: argparse.Namespace) -> int:
        if not rest:
            raise BadInput('scrapy archive search needs a QUERY: words, "a phrase", a prefix*')
        if opts.output and feed_format(opts.output) is None:
            raise BadInput(f"-o {opts.output}: use a file name ending in .csv or .jsonl")
        query = SearchQuery(
            " ".join(rest),
            language=opts.lang,
            section=opts.section,
            since=_date(opts.since, "--since"),
            until=_date(opts.until, "--until", end_of_day=True),
            limit=_limit(opts.limit),
        )
        try:
            hits = store.search(query)
        except ValueError as error:
            raise BadInput(str(error)) from None
        if opts.output:
            assert self.settings is not None
            count = write_feed(
                Path(opts.output),
                (hit.version.as_item() for hit in hits),
                csv_bom=self.settings.getbool("BMKZ_CSV_BOM"),
            )
            print(f"{count} articles written to {opts.output}")
            return 0
        for number, hit in enumerate(hits, 1):
            version = hit.version
            published = str(version["published_at"] or "")[:10]
            print(f"{number:>3}. [{version['language']}] {published}  {version['category'] or ''}  {version['title']}")
            print(f"     {version['url']}")
            print(f"     {hit.snippet}")
        print(f"{len(hits)} articles found" + (f" (at most {query.limit})" if len(hits) == query.limit else ""))
        return 0

    def do_history(self, store: ArchiveStore, rest: list[str], opts: argparse.Namespace) -> int:
        if len(rest) != 1:
            raise BadInput("scrapy archive history takes one URL or post id")
        try:
            versions = store.history(rest[0], opts.lang)
        except AmbiguousArticle as error:
            raise BadInput(str(error)) from None
        if not versions:
            print(f"error: {rest[0]} is not in the archive", file=sys.stderr)
            return EXIT_NOT_FOUND
        if opts.format == "json":
            print(json.dumps(history_records(versions), ensure_ascii=False, indent=2))
            return 0
        latest = versions[-1]
        print(f"{latest['url']}  (post {latest['post_id']}, {latest['language']}): {len(versions)} versions")
        previous: Version | None = None
        for number, version in enumerate(versions, 1):
            header = (
                f"version {number}  crawled {version['crawled_at']}  exported {version.exported_at}  "
                f"modified {version['modified_at'] or '-'}  hash {str(version['content_hash'])[:12]}"
            )
            if previous is None:
                print(f"{header}\n  title: {version['title']}")
            else:
                edit = compare(previous, version)
                print(
                    f"{header}\n  changed: {edit.summary() or 'nothing in the text'}"
                    + ("  SILENT" if edit.silent else "")
                )
                if version["url"] != previous["url"]:
                    print(f"  url: {previous['url']} -> {version['url']}")
                for name in ("title", "body"):
                    changes = word_diff(previous[name], version[name])
                    if changes:
                        print(f"  {name}:")
                        print("\n".join(f"    {line}" for line in render_changes(changes).splitlines()))
            previous = version
        return 0

    def do_edits(self, store: ArchiveStore, rest: list[str], opts: argparse.Namespace) -> int:
        if rest:
            raise BadInput(f"scrapy archive edits takes no argument {rest[0]!r}")
        since = _date(opts.since, "--since")
        form = opts.format or "text"
        if opts.deleted and opts.silent:
            raise BadInput("--silent and --deleted do not go together: a deletion has no text to compare")
        if opts.deleted:
            records = [
                {
                    "url": gone.url,
                    "post_id": gone.last_version["post_id"],
                    "language": gone.last_version["language"],
                    "title": gone.last_version["title"],
                    "status": gone.status,
                    "found_gone_at": gone.found_at,
                    "last_exported_at": gone.last_version.exported_at,
                }
                for gone in store.gone(since)
            ]
            text = [
                f"{r['found_gone_at']}  gone {r['status']}  [{r['language']}] {r['url']}  {r['title']}" for r in records
            ]
        else:
            found: list[Edit] = edits(store.edited(since), since=since, silent_only=opts.silent)
            records = [edit.as_record() for edit in found]
            text = [
                f"{r['crawled_at']}  [{r['language']}] {r['url']}  {'SILENT  ' if r['silent'] else ''}{r['summary']}"
                for r in records
            ]
        _print_records(records, text, form, GONE_COLUMNS if opts.deleted else EDIT_COLUMNS)
        return 0

    def do_import(self, store: ArchiveStore, rest: list[str], opts: argparse.Namespace) -> int:
        for name in rest:
            result = import_feed(store, Path(name))
            skipped = f", {result.skipped} lines skipped (not an article)" if result.skipped else ""
            print(f"{name}: {result.lines} lines, {result.added} new versions{skipped}")
        return 0

    def do_stats(self, store: ArchiveStore, rest: list[str], opts: argparse.Namespace) -> int:
        if rest:
            raise BadInput(f"scrapy archive stats takes no argument {rest[0]!r}")
        stats = store.stats()
        if opts.format == "json":
            print(json.dumps(stats.__dict__, ensure_ascii=False, indent=2))
            return 0
        print(f"archive {store.location}: {stats.articles} articles, {stats.versions} versions, {stats.gone} gone")
        for title, table in (("edition", stats.by_language), ("section", stats.by_section), ("month", stats.by_month)):
            print(f"  {title:<24}{'articles':>9}{'versions':>9}")
            for key, (articles, versions) in table.items():
                print(f"    {key:<22}{articles:>9}{versions:>9}")
        return 0


def history_records(versions: Sequence[Version]) -> list[dict[str, Any]]:
    records = []
    for number, version in enumerate(versions, 1):
        record: dict[str, Any] = {"version": number, "exported_at": version.exported_at, **version.as_item()}
        if number > 1:
            previous = versions[number - 2]
            edit = compare(previous, version)
            record["changed"] = edit.as_record()
            record["diff"] = {
                name: [change.__dict__ for change in word_diff(previous[name], version[name])]
                for name in ("title", "body")
            }
        records.append(record)
    return records


def _print_records(records: list[dict[str, Any]], text: list[str], form: str, columns: Sequence[str]) -> None:
    if form == "json":
        print(json.dumps(records, ensure_ascii=False, indent=2))
    elif form == "csv":
        writer = csv.DictWriter(sys.stdout, fieldnames=list(columns), extrasaction="ignore")
        writer.writeheader()
        for record in records:
            writer.writerow({k: neutralize_formula(v) if isinstance(v, str) else _cell(v) for k, v in record.items()})
    else:
        print("\n".join(text) if text else "nothing found")


def _cell(value: Any) -> Any:
    if isinstance(value, list):
        return " | ".join(str(part) for part in value)
    return "" if value is None else value


def _date(value: str | None, option: str, *, end_of_day: bool = False) -> datetime | None:
    if value is None:
        return None
    try:
        moment = parse_cli_date(value)
    except ValueError:
        raise BadInput(f"{option}={value!r} is not accepted: use a date YYYY-MM-DD or ISO 8601 date-time") from None
    return day_end(moment) if end_of_day and _DATE_ONLY.fullmatch(value.strip()) else moment


def _limit(value: str | None) -> int:
    if value is None:
        return 20
    try:
        limit = int(value)
    except ValueError:
        limit = 0
    if limit < 1:
        raise BadInput(f"--limit={value!r} is not accepted: use a whole number of at least 1")
    return limit


def _one_line(error: BaseException) -> str:
    text = " ".join(str(error).split()) or type(error).__name__
    return f"{type(error).__name__}: {text}" if not isinstance(error, OSError) else text
