"""Figure A: what the archive costs a crawl, and how fast it answers a search.

`python -m bmkz_crawler.bench --only archive [--quick] [--archive-postgres URL]`:

- **crawl**: one mirror crawled alternately with `BMKZ_ARCHIVE_URI=none` and with the default
  SQLite archive, `ROUNDS` times each on a fresh state, in one process run; the figure is the
  ratio of the median crawl times (goal: at most 1.10);
- **search**: an archive of 100,000 article versions (25,000 mirror articles, each with three
  later versions whose body gained a paragraph; 10,000 with --quick) built in SQLite and — given
  a server, or when Debian's PostgreSQL binaries are there to start a throw-away one — in
  PostgreSQL; then `QUERIES` two-word queries taken from the articles' own titles, each run
  through `ArchiveStore.search` (20 hits with their snippets, as `scrapy archive search` shows
  them). The figure is the median time per query (goal for SQLite: at most 20 ms).
"""

from __future__ import annotations

import contextlib
import json
import random
import re
import statistics
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from bmkz_crawler.archive.base import ArchiveStore, SearchQuery
from bmkz_crawler.bench.crawls import CrawlRun, _run, project_feeds
from bmkz_crawler.mirror.model import MirrorSite
from bmkz_crawler.mirror.testing import running_mirror
from bmkz_crawler.mirror.truth import iter_truth
from bmkz_crawler.processors import content_hash

GOAL_ARCHIVE_RATIO = 1.10
GOAL_SEARCH_MS = 20.0
ROUNDS = 2
VERSIONS_PER_ARTICLE = 4
QUERIES = 200
BATCH = 2000
_WORD = re.compile(r"[^\W\d_]{4,}")


def crawl(base_url: str, workdir: Path, *, archive: bool) -> CrawlRun:
    """`scrapy crawl news` as the bench's crawl figure runs it, with the archive on or off."""
    settings = {
        "BMKZ_BASE_URL": base_url,
        "BMKZ_STATE_URI": str(workdir / "state.sqlite3"),
        "BMKZ_ARCHIVE_URI": str(workdir / "archive.sqlite3") if archive else "none",
        "BMKZ_LOCK_FILE": str(workdir / "crawl.lock"),
        "FEEDS": json.dumps(project_feeds(workdir)),
    }
    return _run(["crawl", "news"], workdir, settings, timeout=900)


def crawl_figure(workdir: Path, articles: int, log: Any = print) -> dict[str, Any]:
    with running_mirror(workdir / "mirror-archive", articles=articles, write_truth=False) as mirror:
        runs: dict[bool, list[CrawlRun]] = {False: [], True: []}
        for round_number in range(ROUNDS):
            for archive in (False, True):  # alternated, so a slower minute hits both alike
                label = "on" if archive else "off"
                run = crawl(mirror.base_url, workdir / f"archive-{label}-{round_number}", archive=archive)
                log(f"  archive {label}: {run.crawl_seconds:.1f} s, {run.stat('item_scraped_count')} articles")
                runs[archive].append(run)
    off = statistics.median(run.crawl_seconds for run in runs[False])
    on = statistics.median(run.crawl_seconds for run in runs[True])
    size = (workdir / "archive-on-0" / "archive.sqlite3").stat().st_size
    return {
        "articles": runs[True][0].stat("item_scraped_count"),
        "archived": runs[True][0].stat("bmkz/archive/versions_added"),
        "off_seconds": round(off, 2),
        "on_seconds": round(on, 2),
        "ratio": round(on / off, 3),
        "archive_mb": round(size / 1e6, 1),
    }


def versions(articles: int, seed: int = 1) -> Iterator[list[dict[str, Any]]]:
    """Batches of article versions: each mirror article, then VERSIONS_PER_ARTICLE - 1 edits of it
    (a paragraph added to the body, a later crawl time), as a crawl would have exported them."""
    batch: list[dict[str, Any]] = []
    for row in iter_truth(MirrorSite(seed, articles), "https://bm.kz/"):
        item = {
            **row,
            "post_id": int(row["post_id"]),
            "views": None,
            "word_count": int(row["word_count"]),
            "modified_at": None,
            "crawled_at": "2026-11-01T00:00:00+00:00",
            "change": "new",
        }
        for number in range(VERSIONS_PER_ARTICLE):
            body = item["body"] + "".join(f"\n\nДополнение {n}: редакция уточнила детали." for n in range(number))
            batch.append(
                {
                    **item,
                    "body": body,
                    "content_hash": content_hash(item["title"], body),
                    "crawled_at": f"2026-11-0{number + 1}T00:00:00+00:00",
                    "change": "updated" if number else "new",
                }
            )
        if len(batch) >= BATCH:
            yield batch
            batch = []
    if batch:
        yield batch


def two_word_queries(articles: int, count: int, seed: int = 1) -> list[tuple[str, str]]:
    """(query, language): two words of one title, for articles spread over the archive."""
    rng = random.Random(seed)
    rows = list(iter_truth(MirrorSite(seed, min(articles, 2000)), "https://bm.kz/"))
    queries = []
    while len(queries) < count:
        row = rng.choice(rows)
        words = _WORD.findall(row["title"])
        if len(words) >= 2:
            queries.append((" ".join(rng.sample(words, 2)), row["language"]))
    return queries


def search_figure(store: ArchiveStore, articles: int, log: Any = print) -> dict[str, Any]:
    """Fill `store` (opened, empty) with the versions, then time the queries."""
    started = time.monotonic()
    added = sum(store.add_versions(batch, "2026-11-05T00:00:00+00:00") for batch in versions(articles))
    build = time.monotonic() - started
    log(f"  {store.location}: {added} versions in {build:.0f} s")
    timings, hits = [], []
    queries = two_word_queries(articles, QUERIES)
    store.search(SearchQuery(queries[0][0]))  # warm the caches once, as a second query would find them
    for text, language in queries:
        started = time.perf_counter()
        found = store.search(SearchQuery(text, language=language, limit=20))
        timings.append((time.perf_counter() - started) * 1000)
        hits.append(len(found))
    return {
        "versions": added,
        "build_seconds": round(build, 1),
        "queries": len(queries),
        "median_ms": round(statistics.median(timings), 2),
        "p90_ms": round(statistics.quantiles(timings, n=10)[-1], 2),
        "queries_with_hits": sum(1 for count in hits if count),
    }


@contextlib.contextmanager
def postgres_for_bench(uri: str | None, workdir: Path, log: Any = print) -> Iterator[str | None]:
    """The given server, or a throw-away one started as the tests do (None when neither)."""
    if uri:
        yield uri
        return
    try:
        from tests.servers import postgres_bin, running_postgres  # run from the project's folder
    except ImportError:
        log("  PostgreSQL: no --archive-postgres and no tests/servers.py here: skipped")
        yield None
        return
    try:
        postgres_bin()
    except RuntimeError as missing:
        log(f"  PostgreSQL: skipped ({missing})")
        yield None
        return
    with running_postgres(workdir) as started:
        yield started


def archive_figure(
    workdir: Path, crawl_articles: int, search_articles: int, postgres: str | None = None, log: Any = print
) -> dict[str, Any]:
    from bmkz_crawler.archive.postgres import PostgresArchive
    from bmkz_crawler.archive.sqlite import SQLiteArchive

    log(f"[A] crawl of a {crawl_articles}-article mirror, archive off and on")
    figure: dict[str, Any] = {"crawl": crawl_figure(workdir, crawl_articles, log)}
    log(f"[A] search on {search_articles * VERSIONS_PER_ARTICLE} versions")
    sqlite = SQLiteArchive(workdir / "search.sqlite3")
    sqlite.open()
    try:
        figure["sqlite"] = search_figure(sqlite, search_articles, log)
    finally:
        sqlite.close()
    figure["sqlite"]["archive_mb"] = round((workdir / "search.sqlite3").stat().st_size / 1e6, 1)
    with postgres_for_bench(postgres, Path(tempfile.mkdtemp(dir=workdir)), log) as uri:
        if uri is not None:
            store = PostgresArchive(uri)
            store.open()
            try:
                figure["postgresql"] = search_figure(store, search_articles, log)
            finally:
                store.close()
    figure["goal_ratio"], figure["goal_search_ms"] = GOAL_ARCHIVE_RATIO, GOAL_SEARCH_MS
    return figure


def archive_table(figure: dict[str, Any]) -> str:
    crawl, sqlite = figure["crawl"], figure["sqlite"]
    rows = [
        ("figure", "measured", "goal", "met"),
        (
            f"A crawl of {crawl['articles']} articles, archive off / on",
            f"{crawl['off_seconds']:.1f} s / {crawl['on_seconds']:.1f} s = {crawl['ratio']:.3f}",
            f"<= {figure['goal_ratio']}",
            "yes" if crawl["ratio"] <= figure["goal_ratio"] else "NO",
        ),
        (
            f"A search, SQLite, {sqlite['versions']} versions (two words)",
            f"median {sqlite['median_ms']:.1f} ms, p90 {sqlite['p90_ms']:.1f} ms",
            f"<= {figure['goal_search_ms']:g} ms",
            "yes" if sqlite["median_ms"] <= figure["goal_search_ms"] else "NO",
        ),
    ]
    postgres = figure.get("postgresql")
    if postgres:
        rows.append(
            (
                f"A search, PostgreSQL, {postgres['versions']} versions",
                f"median {postgres['median_ms']:.1f} ms, p90 {postgres['p90_ms']:.1f} ms",
                "(beside SQLite)",
                "",
            )
        )
    widths = [max(len(row[column]) for row in rows) for column in range(4)]
    return "\n".join("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)) for row in rows)
