"""`scrapy cron`: the run lock, the verdict on a finished crawl, and the command end to end."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from scrapy.settings import Settings

from bmkz_crawler.commands.cron import EXIT_LOCKED, CrawlOutcome
from bmkz_crawler.state.lock import RunLock, crawl_lock_or_refuse, lock_path, state_lock_path

PROJECT = Path(__file__).resolve().parents[1]
ENV = {**os.environ, "PYTHONPATH": str(PROJECT)}


# --- the lock ----------------------------------------------------------------------------------


def hold_lock_in_subprocess(path: Path) -> subprocess.Popen[str]:
    code = (
        "import sys, time\n"
        "from bmkz_crawler.state.lock import RunLock\n"
        f"lock = RunLock({str(path)!r})\n"  # the lock lives as long as this object
        "assert lock.acquire()\n"
        "print('locked', flush=True)\n"
        "time.sleep(60)\n"
    )
    holder = subprocess.Popen([sys.executable, "-c", code], cwd=PROJECT, env=ENV, stdout=subprocess.PIPE, text=True)
    assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
    return holder


def test_second_holder_fails_at_once(tmp_path: Path) -> None:
    first, second = RunLock(tmp_path / "cron.lock"), RunLock(tmp_path / "cron.lock")
    assert first.acquire()
    started = time.monotonic()
    assert not second.acquire()
    assert time.monotonic() - started < 1
    assert second.holder_pid() == os.getpid()
    first.release()
    assert second.acquire()
    second.release()


def test_lock_of_a_killed_process_is_released(tmp_path: Path) -> None:
    path = tmp_path / "cron.lock"
    holder = hold_lock_in_subprocess(path)
    try:
        assert not RunLock(path).acquire()
        assert RunLock(path).holder_pid() == holder.pid
    finally:
        holder.send_signal(signal.SIGKILL)
        holder.wait(timeout=10)
    assert path.exists()  # the file stays; only the lock went with the process
    lock = RunLock(path)
    assert lock.acquire()
    lock.release()


def test_lock_as_context_manager(tmp_path: Path) -> None:
    with RunLock(tmp_path / "x.lock"), pytest.raises(BlockingIOError), RunLock(tmp_path / "x.lock"):
        pass


def test_the_state_lock_is_next_to_a_sqlite_state_and_absent_in_redis_mode(tmp_path: Path) -> None:
    state = tmp_path / "state.sqlite3"
    assert state_lock_path(Settings({"BMKZ_STATE_URI": str(state)})) == Path(f"{state}.lock")
    assert state_lock_path(Settings({"BMKZ_STATE_URI": f"sqlite://{state}"})) == Path(f"{state}.lock")
    assert state_lock_path(Settings({"BMKZ_STATE_URI": "memory:"})) is None
    redis_mode = {"BMKZ_STATE_URI": str(state), "BMKZ_REDIS_URL": "redis://127.0.0.1:6379/0"}
    assert state_lock_path(Settings(redis_mode)) is None
    redis_state = Settings({"BMKZ_STATE_URI": "redis://h:6379/0", "BMKZ_LOCK_FILE": str(tmp_path / "cron.lock")})
    other_state = Settings({"BMKZ_STATE_URI": "redis://h:6379/1", "BMKZ_LOCK_FILE": str(tmp_path / "cron.lock")})
    assert state_lock_path(redis_state).parent == tmp_path  # next to the cron lock, one per state
    assert state_lock_path(redis_state) != state_lock_path(other_state)


def test_crawl_lock_refuses_in_one_line_while_another_crawl_holds_it(tmp_path: Path, capsys: Any) -> None:
    settings = Settings({"BMKZ_STATE_URI": str(tmp_path / "state.sqlite3")})
    holder = hold_lock_in_subprocess(tmp_path / "state.sqlite3.lock")
    try:
        assert crawl_lock_or_refuse(settings, "scrapy crawl") is None
    finally:
        holder.send_signal(signal.SIGKILL)
        holder.wait(timeout=10)
    assert capsys.readouterr().err == (
        f"scrapy crawl: another crawl (pid {holder.pid}) holds {tmp_path / 'state.sqlite3.lock'},"
        " the lock of its state; not starting\n"
    )
    lock = crawl_lock_or_refuse(settings, "scrapy crawl")
    assert lock is not None and lock.holder_pid() == os.getpid()
    lock.release()


def test_cron_whose_lock_is_the_state_lock_does_not_refuse_itself(tmp_path: Path) -> None:
    """flock is per open file: taking the same file twice in one process would fail."""
    path = tmp_path / "state.sqlite3.lock"
    settings = Settings({"BMKZ_STATE_URI": str(tmp_path / "state.sqlite3"), "BMKZ_LOCK_FILE": str(path)})
    with RunLock(lock_path(settings)) as cron_lock:
        state_lock = crawl_lock_or_refuse(settings, "scrapy cron", holding=cron_lock.path)
        assert state_lock is not None and state_lock.path is None  # held already, by cron's own lock
        assert not RunLock(path).acquire()  # and still held against anyone else
        state_lock.release()


# --- the verdict ---------------------------------------------------------------------------------


def outcome(**stats: Any) -> CrawlOutcome:
    base = {"finish_reason": "finished", "response_received_count": 100, "item_scraped_count": 10}
    return CrawlOutcome("news", {**base, **stats}, max_error_rate=0.1)


def test_a_good_crawl_passes() -> None:
    assert outcome().failures() == []
    assert outcome(finish_reason="max_articles").failures() == []


def test_no_pages_fails() -> None:
    assert "no pages fetched" in outcome(response_received_count=0, item_scraped_count=0).failures()


def test_errors_above_the_rate_fail_and_gone_pages_do_not_count() -> None:
    assert outcome(**{"bmkz/errors/http/503": 10}).failures() == []
    assert outcome(**{"bmkz/errors/gone/404": 50}).failures() == []
    failures = outcome(**{"bmkz/errors/http/503": 8, "bmkz/errors/download/TimeoutError": 3}).failures()
    assert failures == ["11 errors on 100 pages, above BMKZ_MAX_ERROR_RATE=0.1"]


def test_no_article_from_a_site_with_articles_fails() -> None:
    assert outcome(item_scraped_count=0).failures() == ["no article found on the site"]
    assert outcome(item_scraped_count=0, item_dropped_count=3).failures() == []
    # an incremental run that recognized every article as exported already is fine
    assert outcome(item_scraped_count=0, **{"bmkz/incremental/known_skipped": 40}).failures() == []


def test_other_finish_reasons_and_failed_feeds_fail() -> None:
    assert outcome(finish_reason="shutdown").failures() == ["finish reason shutdown"]
    assert outcome(finish_reason="closespider_errorcount").failures() == ["finish reason closespider_errorcount"]
    assert outcome(**{"feedexport/failed_count/S3FeedStorage": 1}).failures() == [
        "1 feeds failed to store (nothing marked exported)"
    ]


def test_feeds_failed_without_scrapy_noticing_and_state_errors_fail() -> None:
    """A feed whose closing died in finish_exporting is in no feedexport/* count: the audit's is."""
    assert outcome(**{"bmkz/feed/failed": 1, "bmkz/export_not_marked": 10}).failures() == [
        "1 feeds failed to store (nothing marked exported)"
    ]
    assert outcome(finish_reason="state_write_failed", **{"bmkz/state/write_errors": 3}).failures() == [
        "finish reason state_write_failed",
        "3 state store writes failed (nothing marked exported)",
    ]
    assert outcome(**{"bmkz/export_not_marked": 10}).failures() == ["10 articles not marked exported"]
    lines = outcome(**{"bmkz/feed/write_errors": 416, "bmkz/feed/failed": 1}).summary().splitlines()
    assert "  feed errors         416  (writes that failed)" in lines


def test_summary_fits_one_screen() -> None:
    result = outcome(
        elapsed_time_seconds=83.4,
        item_dropped_count=40,
        **{
            "bmkz/new": 7,
            "bmkz/updated": 3,
            "bmkz/unchanged": 38,
            "bmkz/dropped/missing_published_at": 2,
            "bmkz/errors/http/503": 1,
        },
    )
    result.feeds = [("feeds/news-20251107T101500Z.jsonl", 10)]
    text = result.summary()
    lines = text.splitlines()
    assert lines[0] == "scrapy cron: news, 0:01:23, finish reason finished"
    assert "  new                   7" in lines
    assert any(line.startswith("  unchanged") and line.endswith("38") for line in lines)
    assert any(line.startswith("  dropped") and "missing_published_at 2" in line for line in lines)
    assert any("http/503 1" in line for line in lines)
    assert lines[-1] == "  result          OK"
    assert len(lines) <= 24 and max(map(len, lines)) <= 100


# --- the command -----------------------------------------------------------------------------------


def cron(workdir: Path, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    argv = [sys.executable, "-m", "scrapy", "cron", *args, "-s", f"BMKZ_LOCK_FILE={workdir / 'cron.lock'}"]
    return subprocess.run(argv, cwd=PROJECT, env=ENV, capture_output=True, text=True, timeout=timeout)


def test_cron_refuses_at_once_while_the_lock_is_held(tmp_path: Path) -> None:
    with RunLock(tmp_path / "cron.lock"):
        started = time.monotonic()
        completed = cron(tmp_path, "-s", "BMKZ_BASE_URL=http://127.0.0.1:9/")
    assert completed.returncode == EXIT_LOCKED
    assert completed.stderr.strip().splitlines()[-1].startswith(f"scrapy cron: another crawl (pid {os.getpid()}) holds")
    assert completed.stdout == ""
    assert time.monotonic() - started < 15  # the interpreter's start-up, not a crawl


def test_cron_rejects_a_bad_argument(tmp_path: Path) -> None:
    completed = cron(tmp_path, "-a", "mode=sometimes")
    assert completed.returncode == 2
    assert "mode='sometimes' is not accepted" in completed.stderr


def test_cron_rejects_a_bad_setting_in_one_line_before_the_crawl(tmp_path: Path) -> None:
    completed = cron(tmp_path, "-s", "BMKZ_MAX_ERROR_RATE=abc")
    assert completed.returncode == 2
    # (Scrapy's start-up lines come first on stderr without a LOG_FILE; no crawl starts.)
    assert completed.stderr.strip().splitlines()[-1] == "error: BMKZ_MAX_ERROR_RATE='abc' is not accepted: use a number"
    assert "Spider opened" not in completed.stderr and "Traceback" not in completed.stderr


def test_cron_fails_when_no_page_can_be_fetched(tmp_path: Path) -> None:
    completed = cron(
        tmp_path,
        "-s", "BMKZ_BASE_URL=http://127.0.0.1:9/",  # discard port: connection refused
        "-s", "RETRY_ENABLED=False",
        "-s", f"BMKZ_STATE_URI={tmp_path / 'state.db'}",
        "-s", "LOG_LEVEL=WARNING",
        "-O", str(tmp_path / "items.jsonl"),
    )  # fmt: skip
    assert completed.returncode == 1, completed.stdout + completed.stderr[-2000:]
    assert "FAILED: no pages fetched" in completed.stdout


def test_cron_twice_on_the_mirror_exports_then_skips(tmp_path: Path) -> None:
    """The default FEEDS, state and lock, end to end: a second run has nothing new."""
    from bmkz_crawler.mirror.testing import running_mirror
    from tests.crawl import FAST_SETTINGS

    (tmp_path / "mirror").mkdir()
    workdir = tmp_path / "run"
    workdir.mkdir()
    with running_mirror(tmp_path / "mirror", articles=30, seed=5) as mirror:
        settings = {
            **FAST_SETTINGS,
            "BMKZ_BASE_URL": mirror.base_url,
            "BMKZ_STATE_URI": f"sqlite://{tmp_path / 'state.sqlite3'}",
            "BMKZ_LOCK_FILE": str(tmp_path / "cron.lock"),
            "LOG_FILE": str(tmp_path / "crawl.log"),
        }
        argv = [sys.executable, "-m", "scrapy", "cron"]
        for key, value in settings.items():
            argv += ["-s", f"{key}={value}"]
        # From a folder of its own, so that the default relative `feeds/` lands there.
        env = {**ENV, "SCRAPY_SETTINGS_MODULE": "bmkz_crawler.settings"}
        first = subprocess.run(argv, cwd=workdir, env=env, capture_output=True, text=True, timeout=120)
        second = subprocess.run(argv, cwd=workdir, env=env, capture_output=True, text=True, timeout=120)
    assert first.returncode == 0, first.stdout + first.stderr[-2000:]
    assert second.returncode == 0, second.stdout + second.stderr[-2000:]
    feeds = sorted(path.name for path in (workdir / "feeds").iterdir())
    assert len(feeds) == 2 and feeds[0].endswith(".csv") and feeds[1].endswith(".jsonl")
    assert feeds[0].removesuffix(".csv") == feeds[1].removesuffix(".jsonl")  # one run, one name
    assert re.fullmatch(r"news-\d{8}T\d{6}Z-[0-9a-f]{6}", feeds[1].removesuffix(".jsonl"))  # time, then run id
    rows = (workdir / "feeds" / feeds[1]).read_text(encoding="utf-8").splitlines()
    assert len(rows) == 30
    assert f"  new                  {len(rows)}" in first.stdout.splitlines()
    assert "  new                   0" in second.stdout.splitlines()
    assert second.stdout.splitlines()[-1] == "  result          OK"
