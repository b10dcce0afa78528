"""The PostgreSQL archive: the same interface as SQLite's (the version tests in test_archive.py
run on both), with full-text search by edition — `russian` (stemmed) for Russian, `simple` for
Kazakh — against a real PostgreSQL started on loopback (tests/servers.py)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from scrapy.settings import Settings

from bmkz_crawler.archive.base import SearchQuery
from bmkz_crawler.archive.postgres import PostgresArchive, tsquery
from bmkz_crawler.archive.sqlite import SQLiteArchive
from bmkz_crawler.config import SettingsError, check_settings
from bmkz_crawler.processors import parse_cli_date
from tests.servers import free_port
from tests.test_archive import SEARCH_CORPUS, T0, item, scrapy_archive


@pytest.fixture
def searchable(postgres_database: str) -> Iterator[PostgresArchive]:
    store = PostgresArchive(postgres_database)
    store.open()
    store.add_versions(SEARCH_CORPUS, T0)
    yield store
    store.close()


def titles(store: Any, text: str, **filters: Any) -> list[str]:
    return [hit.version["title"] for hit in store.search(SearchQuery(text, **filters))]


def test_russian_is_stemmed_case_and_yo_folded_and_prefixes_taken(searchable: PostgresArchive) -> None:
    stemmed = {"Лизинг ёлок в Астане", "Рынок лизинга растёт", "Погода на выходные", "Старая новость про лизинг"}
    assert set(titles(searchable, "лизинга")) == stemmed  # лизинга finds лизинг, and the other way round
    assert set(titles(searchable, "ЛИЗИНГ")) == stemmed
    assert titles(searchable, "лизинг")[-1] == "Погода на выходные"  # a body mention ranks below titles
    assert titles(searchable, "елок") == titles(searchable, "ЁЛОК") == ["Лизинг ёлок в Астане"]
    assert titles(searchable, "растет") == ["Рынок лизинга растёт"]
    assert "Рынок лизинга растёт" in titles(searchable, "лизингов*")
    assert titles(searchable, '"рынок лизинга"') == ["Рынок лизинга растёт"]
    assert titles(searchable, '"лизинга рынок"') == []  # a phrase keeps its order


def test_kazakh_is_found_word_for_word_in_any_case(searchable: PostgresArchive) -> None:
    for query in ("ТОҚАЕВ", "тоқаев", "ӘКІМДЕРМЕН", "Қазақстан", "ҮКІМЕТ", "ғылым", "ҰЛТ", "Һ", "І", "Ң", "Ө", "өңір*"):
        assert titles(searchable, query) == ["Тоқаев әкімдермен кездесті"], query
    assert titles(searchable, "токаев") == []  # қ is not к
    assert titles(searchable, "кездесті", language="ru") == []


def test_an_exact_word_finds_the_articles_sqlite_finds(searchable: PostgresArchive, tmp_path: Path) -> None:
    sqlite = SQLiteArchive(tmp_path / "archive.sqlite3")
    sqlite.open()
    sqlite.add_versions(SEARCH_CORPUS, T0)
    for word in ("лизинг", "Лизинг", "ёлок", "площади", "тоқаев", "Қазақстан", "Текст", "Астане"):
        in_sqlite, in_postgres = set(titles(sqlite, word)), set(titles(searchable, word))
        assert in_sqlite and in_sqlite <= in_postgres, word  # stemming may find more forms, never fewer
    sqlite.close()


def test_filters_snippets_and_one_hit_per_article(searchable: PostgresArchive) -> None:
    searchable.add_versions(
        [item(1, title="Лизинг ёлок в Астане (обновлено)", crawled_at="2025-11-08T00:00:00+00:00")], T0
    )
    hits = searchable.search(SearchQuery("лизинг", section="ЭКОНОМИКА", since=parse_cli_date("2025-01-01")))
    assert sorted(hit.version["post_id"] for hit in hits) == [1, 3]
    assert titles(searchable, "лизинг", until=parse_cli_date("2024-01-01")) == ["Старая новость про лизинг"]
    assert titles(searchable, "лизинг*", section="Бизнес") == ["Рынок лизинга растёт"]
    assert len(titles(searchable, "лизинг*", limit=1)) == 1
    [hit] = searchable.search(SearchQuery("елок астане"))
    assert hit.snippet.startswith("Лизинг [ёлок] в [Астане]")  # its best-ranked version, in its own text
    [hit] = searchable.search(SearchQuery("площади"))
    assert "[площади]" in hit.snippet and "Ёлка" in hit.snippet


@pytest.mark.parametrize(
    "query",
    ['"', '"лизинг', "лизинг)", "(лизинг | x", "лизинг & !ёлок", "лизинг:*", "a'b", "лизинг <-> x", "'", "\\",
     "и", 'AND OR NOT "" *', "лиз*инг"],
)  # fmt: skip
def test_user_queries_never_raise(searchable: PostgresArchive, query: str) -> None:
    try:
        searchable.search(SearchQuery(query))
    except ValueError as error:
        assert "nothing to search for" in str(error)


def test_the_tsquery_quotes_every_word() -> None:
    assert (
        tsquery('Лизинг* "ёлки в" a&b') == "'Лизинг':* & ('елки' <-> 'в') & ('a' <-> 'b')"
    )  # as FTS5: one token, one phrase


def test_an_unreachable_server_is_refused_before_the_crawl(tmp_path: Path) -> None:
    from bmkz_crawler import settings as project

    settings = Settings()
    settings.setmodule(project, priority="default")
    settings.set("BMKZ_STATE_URI", str(tmp_path / "state.sqlite3"))
    uri = f"postgresql://bmkz:secret@127.0.0.1:{free_port()}/x"
    settings.set("BMKZ_ARCHIVE_URI", uri)
    with pytest.raises(SettingsError) as refused:
        check_settings(settings)
    message = str(refused.value)
    assert message.startswith(f"BMKZ_ARCHIVE_URI='postgresql://bmkz:***@127.0.0.1:{uri.split(':')[3]}")
    assert "cannot connect to PostgreSQL" in message and "secret" not in message and "\n" not in message


def test_scrapy_archive_commands_on_postgresql(postgres_database: str, tmp_path: Path) -> None:
    feed = tmp_path / "news.jsonl"
    feed.write_text("".join(json.dumps(line, ensure_ascii=False) + "\n" for line in SEARCH_CORPUS))
    imported = scrapy_archive(postgres_database, "import", str(feed))  # type: ignore[arg-type]
    assert imported.returncode == 0, imported.stderr
    found = scrapy_archive(postgres_database, "search", "лизинга", "--lang", "ru", "--limit", "2")  # type: ignore[arg-type]
    assert found.returncode == 0, found.stderr
    assert "[Лизинг] ёлок в Астане" in found.stdout
    stats = scrapy_archive(postgres_database, "stats")  # type: ignore[arg-type]
    assert stats.returncode == 0 and "5" in stats.stdout


PRUNE_SQL = (
    "DELETE FROM bmkz_archive_versions WHERE exported_at < '2025-01-01' AND id NOT IN (SELECT "
    "id FROM (SELECT id, row_number() OVER (PARTITION BY article_id ORDER BY crawled_at DESC, id DESC) "
    "AS n FROM bmkz_archive_versions) AS ranked WHERE n = 1)"
)  # docs/operating.md, "The archive in PostgreSQL", followed there by VACUUM ANALYZE


def test_the_prune_sql_of_the_docs_keeps_each_latest_version(postgres_database: str) -> None:
    store = PostgresArchive(postgres_database)
    store.open()
    try:
        store.add_versions([item(1, body="Первый вариант.")], "2024-01-01T00:00:00+00:00")
        store.add_versions([item(1, body="Второй вариант.", crawled_at="2025-11-08T00:00:00+00:00")], T0)
        store.add_versions([item(2, body="Единственный вариант.")], "2024-01-01T00:00:00+00:00")
        docs = (Path(__file__).parents[1] / "docs" / "operating.md").read_text(encoding="utf-8")
        assert " ".join(PRUNE_SQL.split()) in " ".join(docs.split())
        store.connection.execute(PRUNE_SQL)
        store.connection.execute("VACUUM ANALYZE bmkz_archive_versions")
        assert [v["body"] for v in store.history("1")] == ["Второй вариант."]
        assert [v["body"] for v in store.history("2")] == ["Единственный вариант."]
        assert titles(store, "первый") == [] and len(titles(store, "вариант")) == 2
    finally:
        store.close()


def test_stopwords_numbers_and_hyphenated_words_are_found_as_in_sqlite(postgres_database: str, tmp_path: Path) -> None:
    corpus = [
        item(11, title="Он был и она", body="Всё было не так, как писали."),
        item(12, title="Сезон 2024-2025 открыт", body="Вакцина от COVID-19 и рост на 3.5 процента."),
        item(13, title="Самрук-2 отчитался", body="The state of the art.", language="kk", url="https://bm.kz/kz/s/"),
    ]
    postgres, sqlite = PostgresArchive(postgres_database), SQLiteArchive(tmp_path / "archive.sqlite3")
    for store in (postgres, sqlite):
        store.open()
        store.add_versions(corpus, T0)
    try:
        for query in ("и", "он", "было", "всё", '"не так"', "Он был и она", "2025", "19", "COVID-19", "3.5",
                      "Самрук-2", "самрук", "the", "art"):  # fmt: skip
            in_sqlite = set(titles(sqlite, query))
            assert in_sqlite and in_sqlite <= set(titles(postgres, query)), query
    finally:
        postgres.close()
        sqlite.close()


def test_a_dropped_connection_is_opened_again_for_the_next_write(postgres_database: str) -> None:
    """A server restart, failover or idle timeout between a run's first write (a 404) and its last
    (the versions, at the end) must not cost the run's versions."""
    import psycopg

    store = PostgresArchive(postgres_database)
    store.open()
    try:
        assert store.add_versions([item(1)], T0) == 1
        pid = store.connection.info.backend_pid
        with psycopg.connect(postgres_database, autocommit=True) as admin:
            admin.execute("SELECT pg_terminate_backend(%s)", (pid,))
        assert store.add_versions([item(2)], T0) == 1
        assert store.record_gone("https://bm.kz/novost-1/", 404, "2025-11-09T00:00:00+00:00")
        assert store.stats().versions == 2 and store.connection.info.backend_pid != pid
    finally:
        store.close()
