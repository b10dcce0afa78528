"""SQLiteStateStore: the default StateStore, one SQLite file in the project's `.scrapy/` folder.

WAL mode lets a `scrapy crawl` run read while another process (a report, a second crawl
waiting on the cron lock's refusal) reads too; `synchronous=NORMAL` is enough because losing
the last transaction on a power cut only means re-exporting (at least once, never lost).
"""

from __future__ import annotations

import json
import sqlite3
import uuid
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any, Self

from itemadapter import ItemAdapter

from bmkz_crawler.processors import utc_now_iso
from bmkz_crawler.sqlite_file import MEMORY, connect, transaction
from bmkz_crawler.state.base import (
    DEFAULT_RUN_HISTORY_DAYS,
    EXPORT_RECORD_FIELDS,
    ArticleState,
    iso_utc,
    required_url,
    run_history_cutoff,
    state_key,
)

SCHEMA_VERSION = 3  # 2: the `memory` table, 3: the `runs` table (an older store gains them on open)
SCHEMA = """
CREATE TABLE IF NOT EXISTS articles (
    url TEXT PRIMARY KEY,
    post_id INTEGER,
    language TEXT,
    content_hash TEXT,
    modified_at TEXT,
    published_at TEXT,
    first_seen TEXT NOT NULL,
    last_exported TEXT
);
CREATE INDEX IF NOT EXISTS articles_post ON articles (post_id, language);
CREATE INDEX IF NOT EXISTS articles_hash ON articles (content_hash);
CREATE TABLE IF NOT EXISTS memory (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS runs (
    run_id TEXT PRIMARY KEY,
    started_at TEXT NOT NULL,
    record TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS runs_started ON runs (started_at);
"""
_COLUMNS = "url, post_id, language, content_hash, modified_at, published_at, first_seen, last_exported"
# Exported rows first, the latest export first: the answer to "what did we deliver last?".
_LATEST_EXPORT = "ORDER BY last_exported IS NULL, last_exported DESC LIMIT 1"


class SQLiteStateStore:
    """StateStore on a SQLite file (or `:memory:` for tests), standard library only."""

    def __init__(self, path: str | Path) -> None:
        self.path = str(path)
        self._connection: sqlite3.Connection | None = None

    @classmethod
    def from_uri(cls, uri: str) -> Self:
        """`sqlite:///abs/path.db`, `sqlite://relative.db`, or `memory:`; see state_store_uri."""
        if uri.startswith("memory:"):
            return cls(MEMORY)
        return cls(uri.removeprefix("sqlite://"))

    @property
    def location(self) -> str:
        return "in memory" if self.path == MEMORY else self.path

    # --- lifecycle ----------------------------------------------------------------------------

    def open(self) -> None:
        if self._connection is None:
            self._connection = connect(self.path, schema=SCHEMA, schema_version=SCHEMA_VERSION)

    def close(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None

    @property
    def connection(self) -> sqlite3.Connection:
        if self._connection is None:
            raise RuntimeError(f"state store {self.path} is not open")
        return self._connection

    def journal_mode(self) -> str:
        return str(self.connection.execute("PRAGMA journal_mode").fetchone()[0])

    # --- reads ----------------------------------------------------------------------------------

    def lookup(self, url: str) -> ArticleState | None:
        return self._one(f"SELECT {_COLUMNS} FROM articles WHERE url = ?", (state_key(url),))

    def lookup_post(self, post_id: int, language: str | None) -> ArticleState | None:
        if language is None:
            return self._one(f"SELECT {_COLUMNS} FROM articles WHERE post_id = ? {_LATEST_EXPORT}", (post_id,))
        return self._one(
            f"SELECT {_COLUMNS} FROM articles WHERE post_id = ? AND language = ? {_LATEST_EXPORT}",
            (post_id, language),
        )

    def lookup_hash(self, content_hash: str) -> ArticleState | None:
        return self._one(f"SELECT {_COLUMNS} FROM articles WHERE content_hash = ? {_LATEST_EXPORT}", (content_hash,))

    def count(self) -> int:
        return int(self.connection.execute("SELECT COUNT(*) FROM articles").fetchone()[0])

    def _one(self, query: str, parameters: tuple[Any, ...]) -> ArticleState | None:
        row = self.connection.execute(query, parameters).fetchone()
        return ArticleState(**dict(row)) if row else None

    # --- writes ---------------------------------------------------------------------------------

    def record_seen(self, item: Mapping[str, Any] | Any) -> None:
        adapter = ItemAdapter(item)
        url = state_key(required_url(adapter))
        first_seen = adapter.get("crawled_at") or utc_now_iso()
        self.connection.execute(
            "INSERT INTO articles (url, post_id, language, published_at, first_seen) VALUES (?, ?, ?, ?, ?)"
            " ON CONFLICT (url) DO NOTHING",
            (url, adapter.get("post_id"), adapter.get("language"), adapter.get("published_at"), first_seen),
        )

    def load_memory(self) -> dict[str, str]:
        return {row["key"]: row["value"] for row in self.connection.execute("SELECT key, value FROM memory")}

    def save_memory(self, values: Mapping[str, str]) -> None:
        with transaction(self.connection) as connection:
            connection.executemany(
                "INSERT INTO memory (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                list(values.items()),
            )

    def mark_exported(self, items: Iterable[Mapping[str, Any]], exported_at: str) -> None:
        rows = []
        for item in items:
            adapter = ItemAdapter(item)
            record = {name: adapter.get(name) for name in EXPORT_RECORD_FIELDS}
            record["url"] = state_key(required_url(adapter))
            rows.append((*record.values(), adapter.get("crawled_at") or exported_at, exported_at))
        with transaction(self.connection) as connection:
            connection.executemany(
                f"INSERT INTO articles ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
                " ON CONFLICT (url) DO UPDATE SET post_id = excluded.post_id, language = excluded.language,"
                " content_hash = excluded.content_hash, modified_at = excluded.modified_at,"
                " published_at = excluded.published_at, last_exported = excluded.last_exported",
                rows,
            )

    # --- run history ----------------------------------------------------------------------------

    def record_run(self, run: Mapping[str, Any], *, keep_days: float = DEFAULT_RUN_HISTORY_DAYS) -> None:
        started_at = iso_utc(str(run.get("started_at") or "")) or utc_now_iso()
        cutoff = run_history_cutoff(run, keep_days).isoformat(timespec="seconds")
        record = json.dumps(dict(run), ensure_ascii=False, sort_keys=True)
        with transaction(self.connection) as connection:
            connection.execute(
                "INSERT OR REPLACE INTO runs (run_id, started_at, record) VALUES (?, ?, ?)",
                (str(run.get("run_id") or uuid.uuid4().hex), started_at, record),
            )
            connection.execute("DELETE FROM runs WHERE started_at < ?", (cutoff,))

    def runs(self, since: str | None = None) -> list[dict[str, Any]]:
        start = iso_utc(since) or ""
        rows = self.connection.execute(
            "SELECT record FROM runs WHERE started_at >= ? ORDER BY started_at, rowid", (start,)
        )
        return [json.loads(row["record"]) for row in rows]
