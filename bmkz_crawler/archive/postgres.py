"""PostgresArchive: the ArchiveStore for teams and Redis mode, in a shared PostgreSQL database.

`BMKZ_ARCHIVE_URI=postgresql://user@host:5432/db` (libpq URI; a password is better kept in
`~/.pgpass` or `PGPASSWORD` than in the URI). The tables are created on first use, prefixed
`bmkz_archive_`: `articles` (one row per article: latest URL, post id, edition, when found
gone), `article_urls` (every URL an article had), `versions` (every exported version, every
contract field, lists as jsonb; unique per (article, content_hash, modified_at), never updated)
with a `search` tsvector column and its GIN index.

Full-text search takes the article's edition into account: Russian text is indexed and queried
with `bmkz_russian`, PostgreSQL's `russian` without its stopword lists (Snowball stemming:
`лизинга` finds `лизинг`; `и` and `он` are found as SQLite finds them), Kazakh text —
which PostgreSQL has no stemmer for — with `simple` (lower-cased words, so every Kazakh letter
is searchable in any case). Title weighs A, description B, body C, tags D; `ё` is folded to
`е` in the index and the query alike. Snippets come from `ts_headline` over the folded text,
shown in the original one.

Several crawl processes may write at once (Redis mode): each `add_versions` transaction takes
one advisory lock, so two workers never race to create the same article. A commit returns once
PostgreSQL has made it durable (its default `synchronous_commit`), before the export marks.
The client library is psycopg 3 (the `postgres` extra).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from datetime import UTC, datetime
from typing import Any, Self, TypeVar
from urllib.parse import urlsplit, urlunsplit

from itemadapter import ItemAdapter

from bmkz_crawler.archive.base import (
    ELLIPSIS,
    MARK_END,
    MARK_START,
    ArchiveStats,
    GoneArticle,
    SearchHit,
    SearchQuery,
    Version,
    by_article,
    fold_yo,
    in_original_text,
    instant_key,
    one_edition,
    post_id_of,
    query_terms,
    version_recurrence,
)
from bmkz_crawler.items import ARTICLE_FIELDS, LIST_FIELDS
from bmkz_crawler.processors import content_hash, parse_instant
from bmkz_crawler.state.base import state_key

SCHEMA_VERSION = 1
T = TypeVar("T")
RUSSIAN = "bmkz_russian"  # PostgreSQL's `russian` without stopwords (see TEXT_SEARCH)
# One advisory lock key for the archive's writers (any constant unlikely to collide): "bmkzarch".
WRITE_LOCK = 0x626D6B7A61726368
_INTEGER_FIELDS = frozenset({"post_id", "views", "word_count"})
_VERSION_COLUMNS = ",\n    ".join(
    f"{name} {'bigint' if name in _INTEGER_FIELDS else 'jsonb' if name in LIST_FIELDS else 'text'}"
    for name in ARTICLE_FIELDS
)
SCHEMA = f"""
CREATE TABLE IF NOT EXISTS bmkz_archive_meta (key text PRIMARY KEY, value text NOT NULL);
CREATE TABLE IF NOT EXISTS bmkz_archive_articles (
    id bigserial PRIMARY KEY,
    url text NOT NULL,
    post_id bigint,
    language text,
    first_exported text NOT NULL,
    gone_at text,
    gone_status integer,
    gone_url text
);
CREATE INDEX IF NOT EXISTS bmkz_archive_articles_post ON bmkz_archive_articles (post_id, language);
CREATE INDEX IF NOT EXISTS bmkz_archive_articles_gone ON bmkz_archive_articles (gone_at) WHERE gone_at IS NOT NULL;
CREATE TABLE IF NOT EXISTS bmkz_archive_article_urls (
    url text PRIMARY KEY,
    article_id bigint NOT NULL REFERENCES bmkz_archive_articles (id)
);
CREATE TABLE IF NOT EXISTS bmkz_archive_versions (
    id bigserial PRIMARY KEY,
    article_id bigint NOT NULL REFERENCES bmkz_archive_articles (id),
    modified_key text NOT NULL,
    exported_at text NOT NULL,
    published_utc timestamptz,
    search tsvector NOT NULL,
    recurrence integer NOT NULL DEFAULT 0,
    {_VERSION_COLUMNS},
    UNIQUE (article_id, content_hash, modified_key, recurrence)
);
CREATE INDEX IF NOT EXISTS bmkz_archive_versions_article ON bmkz_archive_versions (article_id, crawled_at);
CREATE INDEX IF NOT EXISTS bmkz_archive_versions_crawled ON bmkz_archive_versions (crawled_at);
CREATE INDEX IF NOT EXISTS bmkz_archive_versions_search ON bmkz_archive_versions USING gin (search);
"""
# PostgreSQL's `russian` with its Snowball stemmers but no stopword lists: `и`, `он`, `было` (and
# English `the`) are words a user may search for, and SQLite finds them.
TEXT_SEARCH = f"""
DO $$ BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_ts_dict WHERE dictname = 'bmkz_russian_stem') THEN
        CREATE TEXT SEARCH DICTIONARY bmkz_russian_stem (TEMPLATE = snowball, Language = russian);
    END IF;
    IF NOT EXISTS (SELECT 1 FROM pg_ts_dict WHERE dictname = 'bmkz_english_stem') THEN
        CREATE TEXT SEARCH DICTIONARY bmkz_english_stem (TEMPLATE = snowball, Language = english);
    END IF;
    IF NOT EXISTS (SELECT 1 FROM pg_ts_config WHERE cfgname = '{RUSSIAN}') THEN
        CREATE TEXT SEARCH CONFIGURATION {RUSSIAN} (COPY = russian);
        ALTER TEXT SEARCH CONFIGURATION {RUSSIAN} ALTER MAPPING FOR word, hword, hword_part WITH bmkz_russian_stem;
        ALTER TEXT SEARCH CONFIGURATION {RUSSIAN}
            ALTER MAPPING FOR asciiword, asciihword, hword_asciipart WITH bmkz_english_stem;
    END IF;
END $$;
"""
# The text search configuration of an edition: stemming where PostgreSQL has a stemmer.
CONFIGURATIONS = {"ru": RUSSIAN}
DEFAULT_CONFIGURATION = "simple"
# ts_rank_cd's weights of D, C, B, A: tags (D) 4, body (C) 1, description (B) 4, title (A) 10.
RANK_WEIGHTS = "{0.4, 0.1, 0.4, 1.0}"
HEADLINE_OPTIONS = "StartSel=\x02, StopSel=\x03, MaxWords=24, MinWords=10, MaxFragments=1, FragmentDelimiter=\x01"
_SNIP_START, _SNIP_END, _SNIP_CUT = "\x02", "\x03", "\x01"
_VERSION_SELECT = "SELECT * FROM bmkz_archive_versions"
_WORD = re.compile(r"[^\W_]")
_NOT_WORD = re.compile(r"[\W_]+")


def configuration(language: str | None) -> str:
    return CONFIGURATIONS.get(language or "", DEFAULT_CONFIGURATION)


def tsquery(text: str) -> str:
    """The user's words as a to_tsquery() expression that cannot be a syntax error: each word a
    quoted lexeme (so the configuration still stems and lower-cases it), a phrase's words joined
    by `<->`, every term required (`&`), `word*` a prefix (`:*`). Raises ValueError when nothing
    searchable is left."""
    terms = []
    for term in query_terms(text):
        lexemes = [f"'{word}'" for word in term.words]  # words are letters and digits: no quote inside
        if term.prefix:
            lexemes[-1] += ":*"
        terms.append("(" + " <-> ".join(lexemes) + ")" if len(lexemes) > 1 else lexemes[0])
    return " & ".join(terms)


def _utc(moment: datetime | None) -> datetime | None:
    return moment.astimezone(UTC) if moment is not None else None


def _search_text(value: Any) -> str:
    """The text as it is indexed: `ё` folded, and split into words exactly where the query's words
    are split (`query_terms`) — PostgreSQL's parser would keep `COVID-19`, `2024-2025` or `3.5`
    as tokens no typed word matches."""
    text = fold_yo(" | ".join(value) if isinstance(value, list) else str(value or ""))
    return _NOT_WORD.sub(" ", text)


class PostgresArchive:
    """ArchiveStore on a PostgreSQL database (psycopg 3), shared by every crawl process."""

    def __init__(self, uri: str) -> None:
        self.uri = uri
        self._connection: Any = None

    @classmethod
    def from_uri(cls, uri: str) -> Self:
        """`postgresql://…` or `postgres://…`: any libpq connection URI."""
        return cls(uri)

    @property
    def location(self) -> str:
        """The URI without its password (it goes into log lines)."""
        parts = urlsplit(self.uri)
        if parts.password is None:
            return self.uri
        netloc = f"{parts.username}:***@{parts.hostname}" + (f":{parts.port}" if parts.port else "")
        return urlunsplit(parts._replace(netloc=netloc))

    # --- lifecycle ------------------------------------------------------------------------------

    def open(self) -> None:
        if self._connection is not None:
            return
        import psycopg  # the `postgres` extra: imported only when this store is used
        from psycopg.rows import dict_row

        connection = psycopg.connect(self.uri, autocommit=True, row_factory=dict_row, connect_timeout=10)
        try:
            with connection.transaction():
                connection.execute("SELECT pg_advisory_xact_lock(%s)", (WRITE_LOCK,))
                connection.execute(TEXT_SEARCH)
                connection.execute(SCHEMA)
                row = connection.execute("SELECT value FROM bmkz_archive_meta WHERE key = 'schema_version'").fetchone()
                if row is None:
                    connection.execute(
                        "INSERT INTO bmkz_archive_meta (key, value) VALUES ('schema_version', %s)",
                        (str(SCHEMA_VERSION),),
                    )
                elif int(row["value"]) > SCHEMA_VERSION:
                    raise RuntimeError(
                        f"archive {self.location} has schema version {row['value']}, newer than this "
                        f"crawler's {SCHEMA_VERSION}: upgrade bmkz_crawler"
                    )
        except BaseException:
            connection.close()
            raise
        self._connection = connection

    def close(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None

    @property
    def connection(self) -> Any:
        if self._connection is None:
            raise RuntimeError(f"archive {self.location} is not open")
        return self._connection

    # --- writes ---------------------------------------------------------------------------------

    def _reconnecting(self, write: Callable[[], T]) -> T:
        """Run an (idempotent) write; once more on a new connection when the server dropped the
        old one (a restart, a failover, an idle timeout between a run's first and last write)."""
        import psycopg

        try:
            return write()
        except psycopg.OperationalError:
            if self._connection is not None and not (self._connection.broken or self._connection.closed):
                raise
            self.close()
            self.open()
            return write()

    def add_versions(self, items: Iterable[Mapping[str, Any]], exported_at: str) -> int:
        batch = [dict(ItemAdapter(item).items()) for item in items]

        def write() -> int:
            added = 0
            with self.connection.transaction():
                self.connection.execute("SELECT pg_advisory_xact_lock(%s)", (WRITE_LOCK,))
                for fields in batch:
                    added += self._add_version(dict(fields), exported_at)
            return added

        return self._reconnecting(write)

    def _add_version(self, fields: dict[str, Any], exported_at: str) -> int:
        from psycopg.types.json import Jsonb

        url = state_key(str(fields["url"]))
        fields["url"] = url
        if not fields.get("content_hash"):
            fields["content_hash"] = content_hash(fields.get("title"), fields.get("body"))
        article_id = self._article_for(url, fields.get("post_id"), fields.get("language"), exported_at)
        values: dict[str, Any] = {name: fields.get(name) for name in ARTICLE_FIELDS}
        for name in LIST_FIELDS:
            values[name] = Jsonb(list(values[name] or []))
        weighted = {"title": "A", "description": "B", "body": "C", "tags": "D"}
        search = " || ".join(
            f"setweight(to_tsvector(%(config)s::regconfig, %(search_{name})s), '{weight}')"
            for name, weight in weighted.items()
        )
        # Exported again, so live at its newest URL: a slug change or a passing 404 is not a deletion.
        self.connection.execute(
            "UPDATE bmkz_archive_articles SET url = %s, gone_at = NULL, gone_status = NULL, gone_url = NULL "
            "WHERE id = %s",
            (url, article_id),
        )
        key = (str(values["content_hash"]), instant_key(values["modified_at"]))
        earlier = self.connection.execute(
            "SELECT content_hash, modified_key, crawled_at FROM bmkz_archive_versions WHERE article_id = %s "
            "ORDER BY crawled_at, id",
            (article_id,),
        ).fetchall()
        recurrence = version_recurrence(
            [(row["content_hash"], row["modified_key"], row["crawled_at"]) for row in earlier],
            key,
            str(values["crawled_at"] or exported_at),
        )
        if recurrence is None:
            return 0
        parameters = {
            **values,
            "article_id": article_id,
            "modified_key": key[1],
            "recurrence": recurrence,
            "exported_at": exported_at,
            "published_utc": _utc(parse_instant(values["published_at"])),
            "config": configuration(values["language"]),
            **{f"search_{name}": _search_text(fields.get(name)) for name in weighted},
        }
        cursor = self.connection.execute(
            f"INSERT INTO bmkz_archive_versions (article_id, modified_key, recurrence, exported_at, published_utc, "
            f"search, {', '.join(ARTICLE_FIELDS)}) VALUES (%(article_id)s, %(modified_key)s, %(recurrence)s, "
            f"%(exported_at)s, %(published_utc)s, {search}, {', '.join(f'%({name})s' for name in ARTICLE_FIELDS)}) "
            "ON CONFLICT (article_id, content_hash, modified_key, recurrence) DO NOTHING",
            parameters,
        )
        return 1 if cursor.rowcount == 1 else 0

    def _article_for(self, url: str, post_id: int | None, language: str | None, exported_at: str) -> int:
        """The article this URL belongs to: by URL, else by post id and edition (a slug change), else new."""
        connection = self.connection
        row = connection.execute("SELECT article_id FROM bmkz_archive_article_urls WHERE url = %s", (url,)).fetchone()
        if row is not None:
            return int(row["article_id"])
        if post_id is not None:
            row = connection.execute(
                "SELECT id FROM bmkz_archive_articles WHERE post_id = %s AND language IS NOT DISTINCT FROM %s "
                "ORDER BY id DESC LIMIT 1",
                (post_id, language),
            ).fetchone()
        if row is None:
            row = connection.execute(
                "INSERT INTO bmkz_archive_articles (url, post_id, language, first_exported) "
                "VALUES (%s, %s, %s, %s) RETURNING id",
                (url, post_id, language, exported_at),
            ).fetchone()
        article_id = int(row["id"])
        connection.execute("INSERT INTO bmkz_archive_article_urls (url, article_id) VALUES (%s, %s)", (url, article_id))
        return article_id

    def record_gone(self, url: str, status: int, found_at: str) -> bool:
        return self._reconnecting(lambda: self._record_gone(url, status, found_at))

    def _record_gone(self, url: str, status: int, found_at: str) -> bool:
        with self.connection.transaction():
            row = self.connection.execute(
                "SELECT article_id FROM bmkz_archive_article_urls WHERE url = %s", (state_key(url),)
            ).fetchone()
            if row is None:
                return False
            self.connection.execute(
                "UPDATE bmkz_archive_articles SET gone_at = %s, gone_status = %s, gone_url = %s "
                "WHERE id = %s AND gone_at IS NULL",
                (found_at, int(status), url, row["article_id"]),
            )
        return True

    # --- reads ----------------------------------------------------------------------------------

    def live_urls(self) -> list[str]:
        rows = self.connection.execute("SELECT url FROM bmkz_archive_articles WHERE gone_at IS NULL")
        return [row["url"] for row in rows]

    def search(self, query: SearchQuery) -> list[SearchHit]:
        expression = tsquery(query.text)
        # One GIN scan per configuration: Russian versions against the stemmed query, the others
        # against the simple one (the query's lexemes differ, so each must meet its own index).
        filters, parameters = ["true"], {"query": expression, "limit": max(0, int(query.limit))}
        if query.language:
            filters.append("v.language = %(language)s")
            parameters["language"] = query.language
        if query.section:
            filters.append("lower(v.category) = lower(%(section)s)")
            parameters["section"] = query.section
        if query.since is not None:
            filters.append("v.published_utc >= %(since)s")
            parameters["since"] = _utc(query.since)
        if query.until is not None:
            filters.append("v.published_utc <= %(until)s")
            parameters["until"] = _utc(query.until)
        russian = " OR ".join(f"v.language = '{code}'" for code, name in CONFIGURATIONS.items() if name == RUSSIAN)
        parameters["options"] = HEADLINE_OPTIONS
        # One round trip: the best version of each matching article, ranked, with a headline of
        # the first field (title, description, body, tags: weights A, B, C, D) the query matches.
        rows = self.connection.execute(
            f"""
            WITH q AS (
                SELECT to_tsquery('{RUSSIAN}', %(query)s) AS russian, to_tsquery('simple', %(query)s) AS simple
            ), matched AS (
                SELECT v.id, v.article_id, v.crawled_at,
                       ts_rank_cd('{RANK_WEIGHTS}', v.search, CASE WHEN {russian} THEN q.russian ELSE q.simple END)
                           AS rank
                FROM bmkz_archive_versions AS v, q
                WHERE (({russian}) AND v.search @@ q.russian OR NOT ({russian}) AND v.search @@ q.simple)
                  AND {" AND ".join(filters)}
            ), best AS (
                SELECT DISTINCT ON (article_id) id, rank FROM matched
                ORDER BY article_id, rank DESC, crawled_at DESC, id DESC
            ), top AS (
                SELECT id, rank FROM best ORDER BY rank DESC, id LIMIT %(limit)s
            )
            SELECT v.*, top.rank, h.original,
                   ts_headline(h.config, translate(h.original, 'ёЁ', 'еЕ'), h.query, %(options)s) AS headline
            FROM top JOIN bmkz_archive_versions AS v ON v.id = top.id CROSS JOIN q
            LEFT JOIN LATERAL (
                SELECT field.original, c.config, c.query
                FROM (SELECT CASE WHEN {russian} THEN '{RUSSIAN}'::regconfig ELSE 'simple'::regconfig END AS config,
                             CASE WHEN {russian} THEN q.russian ELSE q.simple END AS query) AS c,
                     (VALUES (1, 'a', v.title), (2, 'b', v.description), (3, 'c', v.body),
                             (4, 'd', (SELECT string_agg(tag, ' | ') FROM jsonb_array_elements_text(v.tags) AS tag)))
                         AS field (n, weight, original)
                WHERE field.original IS NOT NULL AND ts_filter(v.search, ARRAY[field.weight]::"char"[]) @@ c.query
                ORDER BY field.n LIMIT 1
            ) AS h ON true
            ORDER BY top.rank DESC, top.id
            """,
            parameters,
        ).fetchall()
        return [
            SearchHit(self._from_row(row), -float(row["rank"]), _snippet(row["headline"], row["original"]))
            for row in rows
        ]

    def history(self, url_or_post_id: str, language: str | None = None) -> list[Version]:
        key = url_or_post_id.strip()
        post_id = post_id_of(key)
        if post_id is not None:
            rows = self.connection.execute(
                "SELECT id, language FROM bmkz_archive_articles WHERE post_id = %s "
                "AND (%s::text IS NULL OR language = %s)",
                (post_id, language, language),
            ).fetchall()
            one_edition(post_id, (row["language"] for row in rows))
            ids = [int(row["id"]) for row in rows]
        else:
            row = self.connection.execute(
                "SELECT article_id FROM bmkz_archive_article_urls WHERE url IN (%s, %s) LIMIT 1", (state_key(key), key)
            ).fetchone()
            ids = [int(row["article_id"])] if row else []
        if not ids:
            return []
        return self._versions("article_id = ANY(%s)", [ids])

    def edited(self, since: datetime | None = None) -> Iterator[list[Version]]:
        condition = "article_id IN (SELECT article_id FROM bmkz_archive_versions GROUP BY article_id"
        condition += " HAVING count(*) > 1"
        condition += ")" if since is None else " AND max(crawled_at) >= %s)"
        versions = self._versions(condition, [] if since is None else [_iso(since)])
        yield from by_article(versions)

    def gone(self, since: datetime | None = None) -> list[GoneArticle]:
        rows = self.connection.execute(
            "SELECT a.id, a.gone_url, a.gone_status, a.gone_at, (SELECT id FROM bmkz_archive_versions "
            "WHERE article_id = a.id ORDER BY crawled_at DESC, id DESC LIMIT 1) AS last "
            "FROM bmkz_archive_articles AS a WHERE a.gone_at IS NOT NULL AND a.gone_at >= %s "
            "ORDER BY a.gone_at DESC, a.id",
            (_iso(since) or "",),
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
        row = connection.execute(
            "SELECT count(DISTINCT article_id) AS articles, count(*) AS versions FROM bmkz_archive_versions"
        ).fetchone()
        stats.articles, stats.versions = int(row["articles"]), int(row["versions"])
        stats.gone = int(
            connection.execute("SELECT count(*) AS n FROM bmkz_archive_articles WHERE gone_at IS NOT NULL").fetchone()[
                "n"
            ]
        )
        for target, expression in (
            (stats.by_language, "coalesce(language, '?')"),
            (stats.by_section, "coalesce(category, '(none)')"),
            (stats.by_month, "substr(published_at, 1, 7)"),
        ):
            for row in connection.execute(
                f"SELECT {expression} AS key, count(DISTINCT article_id) AS articles, count(*) AS versions "
                "FROM bmkz_archive_versions GROUP BY 1 ORDER BY 1"
            ):
                target[str(row["key"])] = (int(row["articles"]), int(row["versions"]))
        return stats

    def _versions(self, condition: str, parameters: list[Any]) -> list[Version]:
        rows = self.connection.execute(
            f"{_VERSION_SELECT} WHERE {condition} ORDER BY article_id, crawled_at, id", parameters
        ).fetchall()
        return [self._from_row(row) for row in rows]

    def _version(self, version_id: int) -> Version:
        return self._from_row(self.connection.execute(f"{_VERSION_SELECT} WHERE id = %s", (version_id,)).fetchone())

    @staticmethod
    def _from_row(row: Mapping[str, Any]) -> Version:
        fields = {name: row[name] for name in ARTICLE_FIELDS}
        for name in LIST_FIELDS:
            value = fields[name]
            fields[name] = json.loads(value) if isinstance(value, str) else list(value or [])
        return Version(int(row["article_id"]), int(row["id"]), row["exported_at"], fields)


def _snippet(headline: str | None, original: str | None) -> str:
    """ts_headline's fragment (of the `ё`-folded text) shown in the original text; `…` where it
    does not reach the field's start or end (the punctuation ts_headline drops there is kept)."""
    if not headline or not original:
        return ""
    snippet = in_original_text(headline, _SNIP_START + _SNIP_END + _SNIP_CUT, [original]) or headline
    plain = "".join(char for char in snippet if char not in (_SNIP_START, _SNIP_END, _SNIP_CUT))
    start = fold_yo(original).find(fold_yo(plain))
    if start >= 0:
        before, after = original[:start], original[start + len(plain) :]
        snippet = (ELLIPSIS if _WORD.search(before) else before) + snippet
        snippet += ELLIPSIS if _WORD.search(after) else after
    snippet = snippet.replace(_SNIP_START, MARK_START).replace(_SNIP_END, MARK_END)
    return " ".join(snippet.replace(_SNIP_CUT, ELLIPSIS).split())


def _iso(moment: datetime | None) -> str | None:
    return moment.astimezone(UTC).isoformat(timespec="seconds") if moment is not None else None
