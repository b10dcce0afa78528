"""Run history: the run record built from a run's stats, kept and pruned by SQLite and Redis stores."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from bmkz_crawler.monitoring.history import run_record
from bmkz_crawler.state import StateStore, open_state_store
from bmkz_crawler.state.sqlite import SQLiteStateStore

RUN_KEYS = {
    "run_id", "spider", "started_at", "finished_at", "duration_s", "verdict", "finish_reason", "plan",
    "failed_monitors", "failures", "requests", "pages", "not_modified", "new", "updated", "unchanged",
    "exported", "articles", "sections", "field_sources", "errors", "error_rate", "items_invalid",
}  # fmt: skip
START = datetime(2026, 11, 7, 6, 0, tzinfo=UTC)


@pytest.fixture(params=["sqlite", "redis"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[StateStore]:
    if request.param == "sqlite":
        opened: StateStore = SQLiteStateStore(tmp_path / "state.sqlite3")
        opened.open()
    else:
        opened = open_state_store(request.getfixturevalue("redis_state_uri"))
    yield opened
    opened.close()


def record(started: datetime, **values: Any) -> dict[str, Any]:
    stats = {"start_time": started.replace(tzinfo=None), "finish_time": started + timedelta(minutes=2)}
    return {**run_record(stats, spider="news", verdict="ok", failed={}), **values}


def test_run_record_holds_the_figures_of_a_run() -> None:
    stats = {
        "start_time": datetime(2026, 11, 7, 6, 0, 0),  # Scrapy's naive UTC
        "finish_time": datetime(2026, 11, 7, 6, 1, 30),
        "elapsed_time_seconds": 90.0,
        "finish_reason": "finished",
        "bmkz/plan": "planned",
        "downloader/request_count": 120,
        "response_received_count": 100,
        "bmkz/conditional/not_modified": 30,
        "bmkz/new": 7,
        "bmkz/updated": 2,
        "bmkz/unchanged": 40,
        "bmkz/exported_marked": 9,
        "bmkz/exported/edition/ru": 6,
        "bmkz/exported/edition/kk": 3,
        "bmkz/exported/section/Новости": 9,
        "article/title/jsonld": 40,
        "article/title/generic_h1": 9,
        "article/title/generic_example": "https://bm.kz/x/",
        "bmkz/errors/http/503": 2,
        "bmkz/errors/gone/404": 5,
        "spidermon/validation/fields/errors/regex_not_matched/published_at": 2,
        "spidermon/validation/fields/errors/missing_required_field/published_at": 1,
    }
    run = run_record(stats, spider="news", verdict="failed", failed={"Error rate": "3 errors on 100 pages"})
    assert set(run) == RUN_KEYS
    assert run["started_at"] == "2026-11-07T06:00:00+00:00" and run["finished_at"] == "2026-11-07T06:01:30+00:00"
    assert (run["duration_s"], run["plan"], run["verdict"]) == (90.0, "planned", "failed")
    assert run["failed_monitors"] == ["Error rate"] and run["failures"] == ["Error rate: 3 errors on 100 pages"]
    assert (run["requests"], run["pages"], run["not_modified"]) == (120, 100, 30)
    assert (run["new"], run["updated"], run["unchanged"], run["exported"]) == (7, 2, 40, 9)
    assert run["articles"] == {"kk": 3, "ru": 6} and run["sections"] == {"Новости": 9}
    assert run["field_sources"] == {"title": {"generic_h1": 9, "jsonld": 40}}
    assert run["errors"] == {"http/503": 2} and run["error_rate"] == 0.02  # gone pages are not errors
    assert run["items_invalid"] == {"published_at": 3}
    assert len(run["run_id"]) == 32


def test_runs_are_kept_oldest_first_and_read_since_a_time(store: StateStore) -> None:
    for hours in (2, 0, 1):  # recorded out of order
        store.record_run(record(START + timedelta(hours=hours), new=hours))
    assert [run["new"] for run in store.runs()] == [0, 1, 2]
    assert [run["new"] for run in store.runs(since=(START + timedelta(hours=1)).isoformat())] == [1, 2]
    assert [run["new"] for run in store.runs(since="2026-11-07T12:00:00+05:00")] == [1, 2]  # 07:00 UTC
    assert store.runs()[0]["sections"] == {} and store.runs()[0]["spider"] == "news"


def test_records_older_than_the_history_days_are_pruned(store: StateStore) -> None:
    store.record_run(record(START, new=1))
    store.record_run(record(START + timedelta(days=50), new=2), keep_days=90)
    assert [run["new"] for run in store.runs()] == [1, 2]
    store.record_run(record(START + timedelta(days=95), new=3), keep_days=90)
    assert [run["new"] for run in store.runs()] == [2, 3]


def test_a_state_file_from_before_the_history_gains_it_on_open(tmp_path: Path) -> None:
    import sqlite3

    path = tmp_path / "old.sqlite3"
    connection = sqlite3.connect(path)
    connection.executescript(
        "CREATE TABLE articles (url TEXT PRIMARY KEY, post_id INTEGER, language TEXT, content_hash TEXT,"
        " modified_at TEXT, published_at TEXT, first_seen TEXT NOT NULL, last_exported TEXT);"
        "PRAGMA user_version=2;"
    )
    connection.close()
    store = SQLiteStateStore(path)
    store.open()
    store.record_run(record(START))
    assert len(store.runs()) == 1
    store.close()
