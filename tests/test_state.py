"""The state stores and the store factory: WAL, upserts, lookups, atomic marking, reopening.

The contract tests run against every store (`store` is parametrized: SQLite, and Redis on the
session's own redis-server, see conftest.py); the SQLite-only ones use `sqlite_store`.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from scrapy import signals
from scrapy.utils.test import get_crawler

from bmkz_crawler.items import Article
from bmkz_crawler.state import StateStore, open_state_store, state_store_for, state_store_uri
from bmkz_crawler.state.sqlite import SQLiteStateStore

URL = "https://bm.kz/astana-news/"


def article(url: str = URL, **fields: object) -> Article:
    values: dict[str, object] = {
        "post_id": 101,
        "language": "ru",
        "content_hash": "a" * 64,
        "modified_at": None,
        "published_at": "2025-11-07T10:15:00+05:00",
        "crawled_at": "2025-11-07T06:00:00+00:00",
        **fields,
    }
    return Article(url=url, **values)  # type: ignore[arg-type]


@pytest.fixture
def sqlite_store(tmp_path: Path) -> SQLiteStateStore:
    store = SQLiteStateStore(tmp_path / "state.sqlite3")
    store.open()
    yield store
    store.close()


@pytest.fixture(params=["sqlite", "redis"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> StateStore:
    if request.param == "sqlite":
        store: StateStore = SQLiteStateStore(tmp_path / "state.sqlite3")
    else:
        store = open_state_store(request.getfixturevalue("redis_state_uri"))
    store.open()
    yield store
    store.close()


def test_store_satisfies_the_protocol(store: StateStore) -> None:
    assert isinstance(store, StateStore)


def test_file_store_uses_wal(sqlite_store: StateStore) -> None:
    assert sqlite_store.journal_mode() == "wal"


def test_unknown_url_is_none(store: StateStore) -> None:
    assert store.lookup(URL) is None
    assert store.lookup_post(101, "ru") is None
    assert store.lookup_hash("a" * 64) is None
    assert store.count() == 0


def test_record_seen_sets_first_seen_once_and_nothing_else(store: StateStore) -> None:
    store.record_seen(article())
    store.record_seen(article(post_id=999, crawled_at="2030-01-01T00:00:00+00:00"))
    state = store.lookup(URL)
    assert state is not None
    assert state.first_seen == "2025-11-07T06:00:00+00:00"
    assert state.post_id == 101
    assert state.last_exported is None and not state.exported
    assert state.content_hash is None  # only an export records the text it delivered
    assert store.count() == 1


def test_mark_exported_upserts_and_keeps_first_seen(store: StateStore) -> None:
    store.record_seen(article())
    store.mark_exported([article()], "2025-11-07T06:05:00+00:00")
    store.mark_exported(
        [article(content_hash="b" * 64, modified_at="2025-11-08T09:00:00+05:00")], "2025-11-08T06:00:00+00:00"
    )
    state = store.lookup(URL)
    assert state is not None
    assert state.content_hash == "b" * 64
    assert state.modified_at == "2025-11-08T09:00:00+05:00"
    assert state.last_exported == "2025-11-08T06:00:00+00:00"
    assert state.first_seen == "2025-11-07T06:00:00+00:00"
    assert store.count() == 1


def test_mark_exported_accepts_plain_mappings(store: StateStore) -> None:
    store.mark_exported(
        [{"url": URL, "post_id": 5, "language": "kk", "content_hash": "c" * 64}], "2025-11-07T06:00:00+00:00"
    )
    state = store.lookup(URL)
    assert state is not None and state.language == "kk" and state.first_seen == "2025-11-07T06:00:00+00:00"


def test_lookups_by_post_and_hash_prefer_the_latest_export(store: StateStore) -> None:
    store.mark_exported([article("https://bm.kz/old-slug/")], "2025-11-07T06:00:00+00:00")
    store.mark_exported([article("https://bm.kz/new-slug/")], "2025-11-08T06:00:00+00:00")
    store.record_seen(article("https://bm.kz/seen-only/"))
    assert store.lookup_post(101, "ru").url == "https://bm.kz/new-slug/"
    assert store.lookup_post(101, None).url == "https://bm.kz/new-slug/"
    assert store.lookup_post(101, "kk") is None
    assert store.lookup_hash("a" * 64).url == "https://bm.kz/new-slug/"


def test_lookup_ignores_tracking_parameters(store: StateStore) -> None:
    store.mark_exported([article()], "2025-11-07T06:00:00+00:00")
    assert store.lookup(URL + "?utm_source=telegram#comments") is not None


def test_mark_exported_is_one_transaction(store: StateStore) -> None:
    good = article("https://bm.kz/good/")
    unbindable = article("https://bm.kz/bad/", post_id=[1, 2])  # no store can keep a list
    with pytest.raises((sqlite3.Error, TypeError)):
        store.mark_exported([good, unbindable], "2025-11-07T06:00:00+00:00")
    assert store.count() == 0
    with pytest.raises(ValueError, match="needs a url"):
        store.mark_exported([good, {"post_id": 1}], "2025-11-07T06:00:00+00:00")
    assert store.count() == 0


def test_lookup_tells_exported_and_published_for_the_policys_settled_rule(store: StateStore) -> None:
    store.record_seen(article())
    seen = store.lookup(URL)
    assert seen is not None and not seen.exported  # seen, never exported: never settled
    store.mark_exported([article()], "2025-11-07T06:00:00+00:00")
    exported = store.lookup(URL + "?utm_source=tg")  # any variant of the URL asks the same row
    assert exported is not None and exported.exported
    assert exported.published_at == article().published_at
    assert store.lookup("https://bm.kz/unknown/") is None


def test_reopening_the_same_file_keeps_the_state(tmp_path: Path) -> None:
    path = tmp_path / "nested" / "state.sqlite3"
    first = SQLiteStateStore(path)
    first.open()
    first.mark_exported([article()], "2025-11-07T06:00:00+00:00")
    first.close()
    second = SQLiteStateStore(path)
    second.open()
    assert second.lookup(URL).last_exported == "2025-11-07T06:00:00+00:00"
    second.close()


def test_two_connections_share_the_file(tmp_path: Path) -> None:
    writer, reader = SQLiteStateStore(tmp_path / "s.db"), SQLiteStateStore(tmp_path / "s.db")
    writer.open()
    reader.open()
    writer.mark_exported([article()], "2025-11-07T06:00:00+00:00")
    assert reader.lookup(URL) is not None
    writer.close()
    reader.close()


def test_memory_store_forgets_on_close() -> None:
    store = open_state_store("memory:")
    store.mark_exported([article()], "2025-11-07T06:00:00+00:00")
    assert store.count() == 1
    store.close()
    store.open()
    assert store.count() == 0
    store.close()


@pytest.mark.parametrize(
    ("setting", "expected"),
    [
        ("memory:", "memory:"),
        ("sqlite:///abs/path.db", "sqlite:///abs/path.db"),
        ("/abs/plain.db", "sqlite:///abs/plain.db"),
        ("redis://localhost:6379/0", "redis://localhost:6379/0"),
    ],
)
def test_state_store_uri_forms(setting: str, expected: str) -> None:
    assert state_store_uri(setting) == expected


def test_default_and_relative_paths_go_to_the_data_folder() -> None:
    assert state_store_uri("").endswith("/.scrapy/bmkz_state.sqlite3")
    assert state_store_uri("other.db").endswith("/.scrapy/other.db")


def test_unknown_scheme_is_refused_by_name() -> None:
    with pytest.raises(ValueError, match="no state store for mongodb"):
        open_state_store("mongodb://localhost:27017/bmkz")


def test_one_store_per_crawler_closed_when_the_engine_stops(tmp_path: Path) -> None:
    crawler = get_crawler(settings_dict={"BMKZ_STATE_URI": str(tmp_path / "s.db")})
    store = state_store_for(crawler)
    assert state_store_for(crawler) is store
    assert state_store_for(get_crawler(settings_dict={"BMKZ_STATE_URI": "memory:"})) is not store
    crawler.signals.send_catch_log(signals.spider_closed, spider=None, reason="finished")
    assert store.count() == 0  # still open after the spider closed
    crawler.signals.send_catch_log(signals.engine_stopped)
    with pytest.raises(RuntimeError, match="not open"):
        store.count()


def test_memory_is_saved_in_one_go_and_read_back(store: StateStore) -> None:
    assert store.load_memory() == {}
    store.save_memory({"discovery": '{"feeds": ["https://bm.kz/feed/"]}', "sweep_at": '"2025-11-07T06:00:00+00:00"'})
    store.save_memory({"sweep_at": '"2025-11-08T06:00:00+00:00"'})
    assert store.load_memory() == {
        "discovery": '{"feeds": ["https://bm.kz/feed/"]}',
        "sweep_at": '"2025-11-08T06:00:00+00:00"',
    }
