"""Nothing lost: a feed or a state that fails to write fails the run, and marks nothing.

In-process tests drive Scrapy's real FeedExporter (the project's feed settings, a real
spider_opened / item_scraped / close_spider sequence on an asyncio loop) with the project's
ExportMarkerPipeline, on disks that fill: tests.diskfaults' FillingDiskFeedStorage (the
project's storage over an OS file that refuses writes with ENOSPC) and /dev/full. The crawl
tests run the real `scrapy cron` / `scrapy crawl news` against the mirror.
"""

from __future__ import annotations

import asyncio
import csv
import errno
import json
import logging
import os
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
import redis
from scrapy import Spider, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import DropItem
from scrapy.extensions.feedexport import FeedExporter
from scrapy.utils.test import get_crawler

from bmkz_crawler import settings as project_settings
from bmkz_crawler.items import Article
from bmkz_crawler.pipelines import ExportMarkerPipeline
from bmkz_crawler.processors import content_hash, count_words
from bmkz_crawler.state import state_store_for
from bmkz_crawler.state.lock import EXIT_LOCKED, RunLock
from tests.crawl import FAST_SETTINGS, PROJECT, crawl_command, start_crawl
from tests.servers import running_redis

FAULTY = "tests.diskfaults.FillingDiskFeedStorage"
FEED_SETTINGS = {
    name: getattr(project_settings, name)
    for name in ("FEED_STORAGES", "FEED_EXPORTERS", "FEED_EXPORT_ENCODING", "FEED_EXPORT_FIELDS")
}
BIG_BODY = "Абзац текста о тарифах. " * 600  # ~14 kB in UTF-8: more than the file's 8 kB buffer


def article(number: int, body: str = "Короткий текст.") -> Article:
    title = f"Новость {number}"
    return Article(
        url=f"https://bm.kz/novost-{number}/",
        post_id=number,
        language="ru",
        title=title,
        body=body,
        published_at="2025-11-07T10:15:00+05:00",
        word_count=count_words(body),
        content_hash=content_hash(title, body),
        crawled_at="2025-11-07T05:20:00+00:00",
    )


def run_feeds(tmp_path: Path, feeds: dict[str, dict[str, Any]], items: list[Article], **settings: Any) -> Crawler:
    """One run through the real feed exports and ExportMarkerPipeline; the crawler, for its stats."""
    crawler = get_crawler(
        settings_dict={
            **FEED_SETTINGS,
            "FEEDS": feeds,
            "BMKZ_STATE_URI": str(tmp_path / "state.sqlite3"),
            **settings,
        }
    )
    exporter = next(ext for ext in crawler.extensions.middlewares if isinstance(ext, FeedExporter))
    spider = Spider.from_crawler(crawler, name="news")
    crawler.spider = spider
    pipeline = ExportMarkerPipeline.from_crawler(crawler)
    pipeline.open_spider()

    async def crawl() -> None:
        crawler.signals.send_catch_log(signals.spider_opened, spider=spider)
        for item in items:
            pipeline.process_item(item)
            crawler.signals.send_catch_log(signals.item_scraped, item=item, response=None, spider=spider)
        await exporter.close_spider(spider)

    asyncio.run(crawl())
    return crawler


def exported_urls(crawler: Crawler) -> set[str]:
    store = state_store_for(crawler)
    return {
        url
        for url in (f"https://bm.kz/novost-{n}/" for n in range(100))
        if (state := store.lookup(url)) is not None and state.exported
    }


def stat(crawler: Crawler, key: str) -> int:
    return int(crawler.stats.get_value(key, 0))


def lines(path: Path) -> list[str]:
    return path.read_text(encoding="utf-8").splitlines()


# --- feeds -------------------------------------------------------------------------------------


def test_healthy_feeds_are_stored_and_marked(tmp_path: Path) -> None:
    feeds = {str(tmp_path / "a.jsonl"): {"format": "jsonlines"}, str(tmp_path / "a.csv"): {"format": "csv"}}
    crawler = run_feeds(tmp_path, feeds, [article(n, BIG_BODY) for n in range(5)])
    assert len(lines(tmp_path / "a.jsonl")) == 5
    assert stat(crawler, "bmkz/exported_marked") == 5 and len(exported_urls(crawler)) == 5
    assert stat(crawler, "bmkz/feed/write_errors") == 0 and stat(crawler, "bmkz/feed/failed") == 0


def test_disk_that_fills_and_frees_while_exporting_items_fails_the_feed(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """ENOSPC inside export_item, which Scrapy's signal dispatcher swallows: the file misses
    items but would have counted as stored. The other feed (exported first) stores fine;
    nothing is marked."""
    feeds = {
        str(tmp_path / "fine.csv"): {"format": "csv"},
        str(tmp_path / "full.jsonl"): {"format": "jsonlines", "full_disk": {"at": 40_000, "refusals": 3}},
    }
    with caplog.at_level(logging.ERROR):
        crawler = run_feeds(tmp_path, feeds, [article(n, BIG_BODY) for n in range(12)], FEED_STORAGES={"": FAULTY})
    written = lines(tmp_path / "full.jsonl")
    assert 0 < len(written) < 12  # the disk freed again: later items are in the file, some are not
    assert len(lines(tmp_path / "fine.csv")) == 13  # header + 12: that feed was stored whole
    assert stat(crawler, "bmkz/feed/write_errors") >= 3
    assert stat(crawler, "bmkz/feed/failed") == 1
    assert stat(crawler, "feedexport/success_count/FillingDiskFeedStorage") == 1
    assert stat(crawler, "bmkz/exported_marked") == 0 and exported_urls(crawler) == set()
    assert stat(crawler, "bmkz/export_not_marked") == 12
    messages = [record.getMessage() for record in caplog.records if record.levelno == logging.ERROR]
    assert any(m.startswith(f"Feed {tmp_path / 'full.jsonl'}: write failed (No space left") for m in messages)
    assert any(m.startswith("12 articles NOT marked exported: ") and "full.jsonl" in m for m in messages)


def test_disk_full_at_the_final_flush_fails_the_store(tmp_path: Path) -> None:
    """Small items stay in the 8 kB buffer: the first write to the disk is storage.store's flush."""
    feeds = {str(tmp_path / "a.jsonl"): {"format": "jsonlines", "full_disk": {"at": 0, "refusals": 1}}}
    crawler = run_feeds(tmp_path, feeds, [article(n) for n in range(3)], FEED_STORAGES={"": FAULTY})
    assert stat(crawler, "feedexport/failed_count/FillingDiskFeedStorage") == 1
    assert stat(crawler, "bmkz/feed/write_errors") >= 1 and stat(crawler, "bmkz/feed/failed") == 1
    assert exported_urls(crawler) == set()


def test_feeds_are_fsynced_at_close_and_a_failed_fsync_fails_the_feed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The data is only on the disk once fsync says so; an fsync error (EIO: the kernel dropped
    dirty pages) means the file may have lost data that every write() had accepted."""
    synced: list[int] = []
    real_fsync = os.fsync

    def fsync(fd: int) -> None:
        synced.append(fd)
        if os.readlink(f"/proc/self/fd/{fd}").endswith("lost.jsonl"):
            raise OSError(errno.EIO, os.strerror(errno.EIO))
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", fsync)
    feeds = {
        str(tmp_path / "kept.jsonl"): {"format": "jsonlines"},
        str(tmp_path / "lost.jsonl"): {"format": "jsonlines"},
    }
    crawler = run_feeds(tmp_path, feeds, [article(n) for n in range(3)])
    assert len(synced) >= 3  # both files, and the folder they were created in
    assert stat(crawler, "feedexport/success_count/DurableFileFeedStorage") == 1
    assert stat(crawler, "feedexport/failed_count/DurableFileFeedStorage") == 1
    assert stat(crawler, "bmkz/feed/failed") == 1
    assert exported_urls(crawler) == set()


def test_disk_full_inside_finish_exporting_fails_the_feed(tmp_path: Path) -> None:
    """The XML exporter flushes in finish_exporting: the closing task dies before Scrapy stores
    or counts the feed (neither success nor failed_count), and the audit notices."""
    feeds = {
        str(tmp_path / "a.xml"): {"format": "xml", "full_disk": {"at": 0, "refusals": 1}},
        str(tmp_path / "b.jsonl"): {"format": "jsonlines"},
    }
    crawler = run_feeds(tmp_path, feeds, [article(n) for n in range(3)], FEED_STORAGES={"": FAULTY})
    assert stat(crawler, "feedexport/failed_count/FillingDiskFeedStorage") == 0  # Scrapy did not see it
    assert stat(crawler, "feedexport/success_count/FillingDiskFeedStorage") == 1
    assert stat(crawler, "bmkz/feed/failed") == 1
    assert exported_urls(crawler) == set()


def test_custom_feed_on_dev_full_fails_without_any_test_storage(tmp_path: Path) -> None:
    if not Path("/dev/full").exists():
        pytest.skip("no /dev/full on this system")
    feeds = {str(tmp_path / "ok.jsonl"): {"format": "jsonlines"}, "/dev/full": {"format": "jsonlines"}}
    crawler = run_feeds(tmp_path, feeds, [article(n, BIG_BODY) for n in range(4)])
    assert len(lines(tmp_path / "ok.jsonl")) == 4
    assert stat(crawler, "bmkz/feed/write_errors") >= 1
    assert stat(crawler, "bmkz/feed/failed") == 1
    assert exported_urls(crawler) == set()


def test_an_item_a_feed_cannot_encode_is_missing_and_fails_the_run(tmp_path: Path) -> None:
    """Not a disk error: an ASCII CSV feed raises on Cyrillic inside export_item. Scrapy logs it
    and moves on; the item count shows the hole."""
    feeds = {str(tmp_path / "a.csv"): {"format": "csv", "encoding": "ascii"}}
    crawler = run_feeds(tmp_path, feeds, [article(n) for n in range(3)])
    assert stat(crawler, "bmkz/feed/items_missing") == 3
    assert stat(crawler, "bmkz/feed/failed") == 1
    assert exported_urls(crawler) == set()


def test_fsync_of_a_feed_that_is_no_file_is_not_an_error(tmp_path: Path) -> None:
    """A feed into a FIFO (a pipe to another program) has nothing to fsync: stored and marked."""
    import os
    import threading

    fifo = tmp_path / "pipe.jsonl"
    os.mkfifo(fifo)
    received: list[bytes] = []
    reader = threading.Thread(target=lambda: received.append(fifo.read_bytes()))
    reader.start()
    crawler = run_feeds(tmp_path, {str(fifo): {"format": "jsonlines"}}, [article(1)])
    reader.join(timeout=10)
    assert json.loads(received[0])["title"] == "Новость 1"
    assert stat(crawler, "bmkz/exported_marked") == 1


# --- state ---------------------------------------------------------------------------------------


def state_crawler(tmp_path: Path) -> Crawler:
    feeds = {str(tmp_path / "a.jsonl"): {"format": "jsonlines"}}
    return get_crawler(
        settings_dict={**FEED_SETTINGS, "FEEDS": feeds, "BMKZ_STATE_URI": str(tmp_path / "state.sqlite3")}
    )


def test_full_sqlite_state_fails_loudly_and_drops_what_it_could_not_record(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    crawler = state_crawler(tmp_path)
    store = state_store_for(crawler)
    store.connection.execute("PRAGMA max_page_count=5")  # type: ignore[attr-defined]
    pipeline = ExportMarkerPipeline.from_crawler(crawler)
    recorded, dropped = 0, 0
    with caplog.at_level(logging.ERROR):
        for number in range(200):
            try:
                pipeline.process_item(article(number, "x" * 300))
                recorded += 1
            except DropItem as error:
                assert str(error).startswith(f"state write_failed: https://bm.kz/novost-{number}/")
                dropped += 1
        crawler.stats.inc_value("feedexport/success_count/DurableFileFeedStorage")
        crawler.signals.send_catch_log(signals.feed_exporter_closed)
    assert recorded and dropped
    assert stat(crawler, "bmkz/state/write_errors") == dropped
    assert stat(crawler, "bmkz/dropped/state_write_failed") == dropped
    assert stat(crawler, "bmkz/exported_marked") == 0
    errors = [r.getMessage() for r in caplog.records if r.levelno == logging.ERROR]
    assert errors[0] == (
        f"State store {tmp_path / 'state.sqlite3'}: write failed (OperationalError: database or disk is full);"
        " closing the crawl (state_write_failed), nothing of this run is marked exported"
    )
    assert sum("State store" in message for message in errors) == 1


def test_a_failed_mark_is_counted_and_logged(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    crawler = state_crawler(tmp_path)
    pipeline = ExportMarkerPipeline.from_crawler(crawler)
    pipeline.process_item(article(1))
    state_store_for(crawler).connection.execute("PRAGMA query_only=ON")  # type: ignore[attr-defined]
    crawler.stats.inc_value("feedexport/success_count/DurableFileFeedStorage")
    with caplog.at_level(logging.ERROR):
        crawler.signals.send_catch_log(signals.feed_exporter_closed)
    assert stat(crawler, "bmkz/state/write_errors") == 1
    assert stat(crawler, "bmkz/export_not_marked") == 1
    assert any("1 articles NOT marked exported: state store" in r.getMessage() for r in caplog.records)
    with sqlite3.connect(tmp_path / "state.sqlite3") as connection:
        assert connection.execute("SELECT COUNT(*) FROM articles WHERE last_exported IS NOT NULL").fetchone() == (0,)


# --- whole runs against the mirror ---------------------------------------------------------------


def scrapy(
    workdir: Path, *command: str, settings: dict[str, str], prefix: tuple[str, ...] = ("-m", "scrapy")
) -> subprocess.CompletedProcess[str]:
    """`python -m scrapy COMMAND` run from workdir, so that the default FEEDS land in workdir/feeds."""
    workdir.mkdir(parents=True, exist_ok=True)
    merged = {
        **FAST_SETTINGS,
        "BMKZ_STATS_FILE": str(workdir / "stats.json"),
        "BMKZ_STATE_URI": str(workdir / "state.sqlite3"),
        "BMKZ_LOCK_FILE": str(workdir / "cron.lock"),
        "LOG_FILE": str(workdir / "crawl.log"),
        **settings,
    }
    argv = [sys.executable, *prefix, *command]
    for key, value in merged.items():
        argv += ["-s", f"{key}={value}"]
    env = {**os.environ, "PYTHONPATH": str(PROJECT), "SCRAPY_SETTINGS_MODULE": "bmkz_crawler.settings"}
    return subprocess.run(argv, cwd=workdir, env=env, capture_output=True, text=True, timeout=150)


def feed_files(workdir: Path, suffix: str) -> list[Path]:
    folder = workdir / "feeds"
    return sorted(folder.glob(f"*{suffix}")) if folder.exists() else []


def exported_in_state(path: Path) -> set[str]:
    with sqlite3.connect(path) as connection:
        return {row[0] for row in connection.execute("SELECT url FROM articles WHERE last_exported IS NOT NULL")}


def test_cron_on_a_feed_disk_that_fills_and_frees_fails_and_marks_nothing(mirror300, tmp_path: Path) -> None:
    """The adversary's run: the default FEEDS, the CSV file's disk fills after 100 kB and frees
    after 30 refused writes; the JSON Lines feed stores fine. Before: result OK, exit 0,
    everything marked, the CSV's missing articles never delivered again."""
    completed = scrapy(
        tmp_path,
        "cron",
        settings={
            "BMKZ_BASE_URL": mirror300.base_url,
            "FEED_STORAGES": json.dumps({"": FAULTY}),
            "TEST_FULL_DISK": json.dumps({".csv": [100_000, 30]}),
        },
    )
    output = completed.stdout + completed.stderr
    assert completed.returncode == 1, output[-3000:]
    assert (
        completed.stdout.splitlines()[-1]
        == "  result          FAILED: 1 feeds failed to store (nothing marked exported)"
    )
    stats = json.loads((tmp_path / "stats.json").read_text(encoding="utf-8"))
    assert stats["bmkz/feed/write_errors"] >= 30 and stats["bmkz/feed/failed"] == 1
    [jsonl], [csv_feed] = feed_files(tmp_path, ".jsonl"), feed_files(tmp_path, ".csv")
    articles = len(mirror300.truth())
    assert len(lines(jsonl)) == articles  # the other feed is whole
    with csv_feed.open(encoding="utf-8", newline="") as rows:
        assert len(list(csv.DictReader(rows))) < articles  # holes where the disk was full
    log = (tmp_path / "crawl.log").read_text(encoding="utf-8")
    assert f"ERROR: Feed {csv_feed.relative_to(tmp_path)}: write failed (No space left on device)" in log
    assert f"ERROR: {articles} articles NOT marked exported: " in log
    assert exported_in_state(tmp_path / "state.sqlite3") == set()  # the next run delivers them all again


@pytest.mark.parametrize("store", ["sqlite", "redis"])
def test_a_state_that_fills_closes_the_crawl_and_fails_the_run(
    store: str, mirror300, tmp_path: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """SQLite limited to 12 pages ("database or disk is full"), or a Redis at its maxmemory
    (OOM on write): one ERROR line, the crawl closes, the run fails, nothing is marked."""
    settings = {"BMKZ_BASE_URL": mirror300.base_url}
    if store == "sqlite":
        completed = scrapy(tmp_path, "scrapy", "cron", settings=settings, prefix=("-m", "tests.diskfaults", "12"))
        location, reason = tmp_path / "state.sqlite3", "OperationalError: database or disk is full"
    else:
        with running_redis(tmp_path_factory.mktemp("full-redis")) as url:
            client = redis.Redis.from_url(url)
            used = int(client.info("memory")["used_memory"])
            client.config_set("maxmemory", used + 500_000)  # ~4.5 kB an article: room for ~100 of 300
            completed = scrapy(tmp_path, "cron", settings={**settings, "BMKZ_STATE_URI": f"{url}?prefix=full"})
            exported = [key for key in client.scan_iter("full:article:*") if client.hget(key, "last_exported")]
            client.close()
        location, reason = url.replace("redis://", ""), "OutOfMemoryError: command not allowed when used memory"
    output = completed.stdout + completed.stderr
    assert completed.returncode == 1, output[-3000:]
    verdict = completed.stdout.splitlines()[-1]
    assert verdict.startswith("  result          FAILED: finish reason state_write_failed; ")
    assert "state store writes failed (nothing marked exported)" in verdict
    stats = json.loads((tmp_path / "stats.json").read_text(encoding="utf-8"))
    assert stats["finish_reason"] == "state_write_failed"
    assert stats["bmkz/state/write_errors"] >= 1
    assert stats["bmkz/dropped/state_write_failed"] == stats["bmkz/state/write_errors"]
    log = (tmp_path / "crawl.log").read_text(encoding="utf-8")
    errors = [line for line in log.splitlines() if "ERROR: State store " in line]
    assert len(errors) == 1, errors
    assert str(location) in errors[0] and f"write failed ({reason}" in errors[0]
    [jsonl] = feed_files(tmp_path, ".jsonl")
    assert 0 < len(lines(jsonl)) < len(mirror300.truth())  # closed early
    if store == "sqlite":
        assert exported_in_state(tmp_path / "state.sqlite3") == set()
    else:
        assert exported == []


def test_a_second_crawl_on_the_same_state_is_refused_before_it_starts(mirror300, tmp_path: Path) -> None:
    """Before: two crawls on one state both exported nearly everything as new, into one feed
    file when started in the same second. Now the second `scrapy crawl` (or `scrapy cron`,
    with a cron lock of its own) refuses in one line, exit 75, and writes nothing."""
    state = tmp_path / "state.sqlite3"
    slow = {"DOWNLOAD_DELAY": "0.2", "CONCURRENT_REQUESTS_PER_DOMAIN": "1", "BMKZ_STATE_URI": str(state)}
    first = start_crawl(mirror300.base_url, tmp_path / "first", settings=slow, output="first.jsonl")
    try:
        deadline = time.monotonic() + 30
        while RunLock(f"{state}.lock").holder_pid() != first.pid and time.monotonic() < deadline:
            time.sleep(0.05)
        refusal = f"another crawl (pid {first.pid}) holds {state}.lock, the lock of its state; not starting"
        for command in ("crawl", "cron"):
            started = time.monotonic()
            argv, env = crawl_command(
                mirror300.base_url, tmp_path / command, settings={"BMKZ_STATE_URI": str(state)}, command=command
            )
            second = subprocess.run(argv, cwd=PROJECT, env=env, capture_output=True, text=True, timeout=60)
            assert second.returncode == EXIT_LOCKED, second.stderr[-2000:]
            assert second.stderr.strip().splitlines()[-1] == f"scrapy {command}: {refusal}"
            assert second.stdout == ""
            assert not (tmp_path / command / "items.jsonl").exists()
            assert time.monotonic() - started < 15  # the interpreter's start-up, not a crawl
        assert first.poll() is None, "the first crawl should still be running"
    finally:
        first.kill()
        first.wait()
