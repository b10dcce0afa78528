"""SQLiteArchive: the default ArchiveStore, one SQLite file (WAL) with an FTS5 index.

Tables: `articles` (one row per article: latest URL, post id, edition, when found gone),
`article_urls` (every URL an article had: a slug change links by post id and edition),
`versions` (every exported version, every contract field; lists as JSON; unique per
(article, content_hash, modified_at), never updated) and `versions_fts`, an FTS5 index over
title, description, body and tags whose content is the view `versions_text`: the versions'
own text with `ё` folded to `е`. The original text is stored once; triggers keep the index in
step with inserts and deletes (so pruning is a plain DELETE, see docs/operating.md).

unicode61 folds the case of Cyrillic and of the Kazakh letters (Ә/ә, Қ/қ, Ү/ү, ...) and keeps
й apart from и; it does not fold ё, hence the view. `synchronous=FULL`: a commit returns once
the archive is on disk, before the export marks are written.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Iterator, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Self

from itemadapter import ItemAdapter

from bmkz_crawler.archive.base import (
    ELLIPSIS,
    MARK_END,
    MARK_START,
    SEARCH_FIELDS,
    ArchiveStats,
    GoneArticle,
    SearchHit,
    SearchQuery,
    Version,
    by_article,
    in_original_text,
    instant_key,
    one_edition,
    post_id_of,
    query_terms,
    version_recurrence,
)
from bmkz_crawler.items import ARTICLE_FIELDS, LIST_FIELDS
from bmkz_crawler.processors import content_hash, parse_instant
from bmkz_crawler.sqlite_file import MEMORY, connect, transaction
from bmkz_crawler.state.base import state_key

SCHEMA_VERSION = 2  # 2: `recurrence` — a text the article went back to is a version again


def _folded(expression: str) -> str:
    return f"replace(replace({expression}, 'ё', 'е'), 'Ё', 'Е')"


_TAGS_TEXT = "(SELECT group_concat(value, ' | ') FROM json_each({row}.tags))"
_FTS_COLUMNS = "title, description, body, tags"


def _fts_values(row: str, *, named: bool = False) -> str:
    """The indexed text of a `versions` row (`new` or `old` in a trigger): the view's columns."""
    values = [
        _folded(f"{row}.title"),
        _folded(f"coalesce({row}.description, '')"),
        _folded(f"{row}.body"),
        _folded(f"coalesce({_TAGS_TEXT.format(row=row)}, '')"),
    ]
    if named:
        values = [f"{value} AS {name}" for value, name in zip(values, _FTS_COLUMNS.split(", "), strict=True)]
    return ", ".join(values)


_VERSION_COLUMNS = ", ".join(
    f"{name} {'INTEGER' if name in {'post_id', 'views', 'word_count'} else 'TEXT'}" for name in ARTICLE_FIELDS
)
SCHEMA = f"""
CREATE TABLE IF NOT EXISTS articles (
    id INTEGER PRIMARY KEY,
    url TEXT NOT NULL,
    post_id INTEGER,
    language TEXT,
    first_exported TEXT NOT NULL,
    gone_at TEXT,
    gone_status INTEGER,
    gone_url TEXT
);
CREATE INDEX IF NOT EXISTS articles_post ON articles (post_id, language);
CREATE INDEX IF NOT EXISTS articles_gone ON articles (gone_at) WHERE gone_at IS NOT NULL;
CREATE TABLE IF NOT EXISTS article_urls (
    url TEXT PRIMARY KEY,
    article_id INTEGER NOT NULL REFERENCES articles (id)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS versions (
    id INTEGER PRIMARY KEY,
    article_id INTEGER NOT NULL REFERENCES articles (id),
    modified_key TEXT NOT NULL,
    exported_at TEXT NOT NULL,
    published_utc TEXT,
    {_VERSION_COLUMNS},
    recurrence INTEGER NOT NULL DEFAULT 0,
    UNIQUE (article_id, content_hash, modified_key, recurrence)
);
CREATE INDEX IF NOT EXISTS versions_crawled ON versions (crawled_at);
CREATE INDEX IF NOT EXISTS versions_article ON versions (article_id, crawled_at);
CREATE VIEW IF NOT EXISTS versions_text AS SELECT id, {_fts_values("versions", named=True)} FROM versions;
CREATE VIRTUAL TABLE IF NOT EXISTS versions_fts USING fts5(
    {_FTS_COLUMNS}, content='versions_text', content_rowid='id', tokenize='unicode61 remove_diacritics 2'
);
CREATE TRIGGER IF NOT EXISTS versions_indexed AFTER INSERT ON versions BEGIN
    INSERT INTO versions_fts (rowid, {_FTS_COLUMNS}) VALUES (new.id, {_fts_values("new")});
END;
CREATE TRIGGER IF NOT EXISTS versions_unindexed AFTER DELETE ON versions BEGIN
    INSERT INTO versions_fts (versions_fts, rowid, {_FTS_COLUMNS}) VALUES ('delete', old.id, {_fts_values("old")});
END;
"""
# Ranking weights of title, description, body, tags (bm25: smaller is better).
BM25 = "bm25(versions_fts, 10.0, 4.0, 1.0, 5.0)"
SNIPPET_TOKENS = 16
_SNIP_START, _SNIP_END, _SNIP_CUT = "\x02", "\x03", "\x01"


def fts_query(text: str) -> str:
    """The user's words as an FTS5 query that cannot be a syntax error: each word or "phrase"
    a quoted string (operators, quotes and brackets become plain words or go), every term
    required, `word*` kept as a prefix. Raises ValueError when nothing searchable is left."""
    return " ".join('"' + " ".join(term.words) + '"' + (" *" if term.prefix else "") for term in query_terms(text))


def _casefold(value: str | None) -> str | None:
    return value.casefold() if value is not None else None


def _utc(moment: datetime | None) -> str | None:
    return moment.astimezone(UTC).isoformat(timespec="seconds") if moment is not None else None


class SQLiteArchive:
    """ArchiveStore on a SQLite file (or `:memory:` for tests), standard library only."""

    def __init__(self, path: str | Path) -> None:
        self.path = str(path)
        self._connection: sqlite3.Connection | None = None

    @classmethod
    def from_uri(cls, uri: str) -> Self:
        """`sqlite:///abs/path`, or `memory:`; see bmkz_crawler.archive.archive_uri."""
        if uri.startswith("memory:"):
            return cls(MEMORY)
        return cls(uri.removeprefix("sqlite://"))

    @property
    def location(self) -> str:
        return "in memory" if self.path == MEMORY else self.path

    # --- lifecycle ------------------------------------------------------------------------------

    def open(self) -> None:
        if self._connection is None:
            if self.path != MEMORY and Path(self.path).exists():
                _migrate(self.path)
            # FULL: a version is archived with the export marks and must survive a power cut.
            self._connection = connect(
                self.path,
                schema=SCHEMA,
                schema_version=SCHEMA_VERSION,
                synchronous="FULL",
                functions={"bmkz_casefold": _casefold},
            )

    def close(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None

    @property
    def connection(self) -> sqlite3.Connection:
        if self._connection is None:
            raise RuntimeError(f"archive {self.path} is not open")
        return self._connection

    # --- writes ---------------------------------------------------------------------------------

    def add_versions(self, items: Iterable[Mapping[str, Any]], exported_at: str) -> int:
        added = 0
        with transaction(self.connection):
            for item in items:
                added += self._add_version(dict(ItemAdapter(item).items()), exported_at)
        return added

    def _add_version(self, fields: dict[str, Any], exported_at: str) -> int:
        url = state_key(str(fields["url"]))
        fields["url"] = url
        if not fields.get("content_hash"):
            fields["content_hash"] = content_hash(fields.get("title"), fields.get("body"))
        article_id = self._article_for(url, fields.get("post_id"), fields.get("language"), exported_at)
        values = {name: fields.get(name) for name in ARTICLE_FIELDS}
        for name in LIST_FIELDS:
            values[name] = json.dumps(list(values[name] or []), ensure_ascii=False)
        # Exported again, so live at its newest URL: a slug change or a passing 404 is not a deletion.
        self.connection.execute(
            "UPDATE articles SET url = ?, gone_at = NULL, gone_status = NULL, gone_url = NULL WHERE id = ?",
            (url, article_id),
        )
        key = (values["content_hash"], instant_key(values["modified_at"]))
        recurrence = self._recurrence(article_id, key, str(values["crawled_at"] or exported_at))
        if recurrence is None:
            return 0
        self.connection.execute(
            f"INSERT OR IGNORE INTO versions (article_id, modified_key, exported_at, published_utc, recurrence, "
            f"{', '.join(ARTICLE_FIELDS)}) VALUES (?, ?, ?, ?, ?, {', '.join('?' * len(ARTICLE_FIELDS))})",
            (article_id, key[1], exported_at, _utc(parse_instant(values["published_at"])), recurrence,
             *values.values()),
        )  # fmt: skip
        return 1

    def _recurrence(self, article_id: int, key: tuple[str, str], crawled_at: str) -> int | None:
        """None when the article's state at `crawled_at` is this text already (the version seen
        last before it, or first after it, has the same content_hash and modified_at: a re-export,
        an import of an older feed); else how often the text was a version before (a text the
        article went back to — a silent revert — is a version again)."""
        return version_recurrence(
            self.connection.execute(
                "SELECT content_hash, modified_key, crawled_at FROM versions WHERE article_id = ? "
                "ORDER BY crawled_at, id",
                (article_id,),
            ).fetchall(),
            key,
            crawled_at,
        )

    def _article_for(self, url: str, post_id: int | None, language: str | None, exported_at: str) -> int:
        """The article this URL belongs to: by URL, else by post id and edition (a slug change), else new."""
        connection = self.connection
        row = connection.execute("SELECT article_id FROM article_urls WHERE url = ?", (url,)).fetchone()
        if row is not None:
            return int(row[0])
        row = None
        if post_id is not None:
            row = connection.execute(
                "SELECT id FROM articles WHERE post_id = ? AND language IS ? ORDER BY id DESC LIMIT 1",
                (post_id, language),
            ).fetchone()
        if row is not None:
            article_id = int(row[0])
        else:
            cursor = connection.execute(
                "INSERT INTO articles (url, post_id, language, first_exported) VALUES (?, ?, ?, ?)",
                (url, post_id, language, exported_at),
            )
            article_id = int(cursor.lastrowid or 0)
        connection.execute("INSERT INTO article_urls (url, article_id) VALUES (?, ?)", (url, article_id))
        return article_id

    def record_gone(self, url: str, status: int, found_at: str) -> bool:
        connection = self.connection
        row = connection.execute("SELECT article_id FROM article_urls WHERE url = ?", (state_key(url),)).fetchone()
        if row is None:
            return False
        connection.execute(
            "UPDATE articles SET gone_at = ?, gone_status = ?, gone_url = ? WHERE id = ? AND gone_at IS NULL",
            (found_at, int(status), url, row[0]),
        )
        return True

    # --- reads ----------------------------------------------------------------------------------

    def live_urls(self) -> list[str]:
        return [row[0] for row in self.connection.execute("SELECT url FROM articles WHERE gone_at IS NULL")]

    def search(self, query: SearchQuery) -> list[SearchHit]:
        match = fts_query(query.text)
        filters, parameters = ["1"], [match]
        if query.language:
            filters.append("v.language = ?")
            parameters.append(query.language)
        if query.section:
            filters.append("bmkz_casefold(v.category) = ?")
            parameters.append(query.section.casefold())
        if query.since is not None:
            filters.append("v.published_utc >= ?")
            parameters.append(_utc(query.since) or "")
        if query.until is not None:
            filters.append("v.published_utc <= ?")
            parameters.append(_utc(query.until) or "")
        rows = self.connection.execute(
            f"""
            WITH ranked AS (
                SELECT v.id, m.rank, row_number() OVER (
                    PARTITION BY v.article_id ORDER BY m.rank, v.crawled_at DESC, v.id DESC) AS n
                FROM (SELECT rowid AS id, {BM25} AS rank FROM versions_fts WHERE versions_fts MATCH ?) AS m
                JOIN versions AS v ON v.id = m.id
                WHERE {" AND ".join(filters)}
            )
            SELECT id, rank FROM ranked WHERE n = 1 ORDER BY rank, id LIMIT ?
            """,
            (*parameters, max(0, int(query.limit))),
        ).fetchall()
        return [
            SearchHit(self._version(row["id"]), float(row["rank"]), self._snippet(match, row["id"])) for row in rows
        ]

    def _snippet(self, match: str, version_id: int) -> str:
        """FTS5's snippet, shown in the original text (the index holds ё folded to е)."""
        row = self.connection.execute(
            f"SELECT snippet(versions_fts, -1, ?, ?, ?, {SNIPPET_TOKENS}) FROM versions_fts "
            "WHERE versions_fts MATCH ? AND rowid = ?",
            (_SNIP_START, _SNIP_END, _SNIP_CUT, match, version_id),
        ).fetchone()
        snippet = str(row[0] or "") if row else ""
        version = self._version(version_id)
        originals = (
            " | ".join(value) if isinstance(value, list) else str(value or "")
            for value in (version[name] for name in SEARCH_FIELDS)
        )
        snippet = in_original_text(snippet, _SNIP_START + _SNIP_END + _SNIP_CUT, originals) or snippet
        snippet = snippet.replace(_SNIP_START, MARK_START).replace(_SNIP_END, MARK_END).replace(_SNIP_CUT, ELLIPSIS)
        return " ".join(snippet.split())

    def history(self, url_or_post_id: str, language: str | None = None) -> list[Version]:
        key = url_or_post_id.strip()
        post_id = post_id_of(key)
        if post_id is not None:
            rows = self.connection.execute(
                "SELECT id, language FROM articles WHERE post_id = ? AND (? IS NULL OR language = ?)",
                (post_id, language, language),
            ).fetchall()
            one_edition(post_id, (row["language"] for row in rows))
            ids = [int(row["id"]) for row in rows]
        else:
            row = self.connection.execute(
                "SELECT article_id FROM article_urls WHERE url IN (?, ?)", (state_key(key), key)
            ).fetchone()
            ids = [int(row[0])] if row else []
        if not ids:
            return []
        return self._versions(f"article_id IN ({', '.join('?' * len(ids))})", ids)

    def edited(self, since: datetime | None = None) -> Iterator[list[Version]]:
        condition = "article_id IN (SELECT article_id FROM versions GROUP BY article_id HAVING count(*) > 1"
        condition += ")" if since is None else " AND max(crawled_at) >= ?)"
        versions = self._versions(condition, [] if since is None else [_utc(since)])
        yield from by_article(versions)

    def gone(self, since: datetime | None = None) -> list[GoneArticle]:
        rows = self.connection.execute(
            "SELECT a.id, a.gone_url, a.gone_status, a.gone_at, "
            "(SELECT id FROM versions WHERE article_id = a.id ORDER BY crawled_at DESC, id DESC LIMIT 1) AS last "
            "FROM articles AS a WHERE a.gone_at IS NOT NULL AND a.gone_at >= ? ORDER BY a.gone_at DESC, a.id",
            (_utc(since) or "",),
        ).fetchall()
        return [
            GoneArticle(
                int(row["id"]), row["gone_url"], int(row["gone_status"]), row["gone_at"], self._version(row["last"])
            )
            for row in rows
        ]

    def stats(self) -> ArchiveStats:
        connection = self.connection
        stats = ArchiveStats()
        stats.articles, stats.versions = connection.execute(
            "SELECT count(DISTINCT article_id), count(*) FROM versions"
        ).fetchone()
        stats.gone = connection.execute("SELECT count(*) FROM articles WHERE gone_at IS NOT NULL").fetchone()[0]
        for target, expression in (
            (stats.by_language, "coalesce(language, '?')"),
            (stats.by_section, "coalesce(category, '(none)')"),
            (stats.by_month, "substr(published_at, 1, 7)"),
        ):
            for key, articles, versions in connection.execute(
                f"SELECT {expression}, count(DISTINCT article_id), count(*) FROM versions GROUP BY 1 ORDER BY 1"
            ):
                target[str(key)] = (int(articles), int(versions))
        return stats

    def _versions(self, condition: str, parameters: Iterable[Any]) -> list[Version]:
        rows = self.connection.execute(
            f"SELECT * FROM versions WHERE {condition} ORDER BY article_id, crawled_at, id", tuple(parameters)
        ).fetchall()
        return [self._from_row(row) for row in rows]

    def _version(self, version_id: int) -> Version:
        return self._from_row(self.connection.execute("SELECT * FROM versions WHERE id = ?", (version_id,)).fetchone())

    @staticmethod
    def _from_row(row: sqlite3.Row) -> Version:
        fields = {name: row[name] for name in ARTICLE_FIELDS}
        for name in LIST_FIELDS:
            fields[name] = json.loads(fields[name] or "[]")
        return Version(int(row["article_id"]), int(row["id"]), row["exported_at"], fields)


def _migrate(path: str) -> None:
    """A version-1 archive (versions unique per text, before `recurrence`) rebuilt in place, in one
    transaction: the versions table gets the new column and key, the index is rebuilt."""
    connection = sqlite3.connect(path, timeout=30, isolation_level=None)
    try:
        columns = [row[1] for row in connection.execute("PRAGMA table_info(versions)")]
        if not columns or "recurrence" in columns:
            return
        names = ", ".join(columns)
        try:
            connection.executescript(
                "BEGIN IMMEDIATE;"
                "DROP TRIGGER IF EXISTS versions_indexed; DROP TRIGGER IF EXISTS versions_unindexed;"
                "DROP VIEW IF EXISTS versions_text; DROP INDEX IF EXISTS versions_crawled;"
                "INSERT INTO versions_fts (versions_fts) VALUES ('delete-all');"
                f"ALTER TABLE versions RENAME TO versions_v1; {SCHEMA};"
                f"INSERT INTO versions ({names}) SELECT {names} FROM versions_v1 ORDER BY id;"
                f"DROP TABLE versions_v1; PRAGMA user_version={SCHEMA_VERSION}; COMMIT;"
            )
        except BaseException:
            if connection.in_transaction:
                connection.execute("ROLLBACK")
            raise
    finally:
        connection.close()
