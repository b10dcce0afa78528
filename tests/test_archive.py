"""The archive: every exported version kept once, linked, searchable in Russian and Kazakh,
written if and only if the feeds were durably stored; `scrapy archive` on a real file.

Store tests use SQLiteArchive on a temporary file; command tests run `python -m scrapy archive`
as a user would; one crawl test runs `scrapy crawl news` against the mirror.
"""

from __future__ import annotations

import csv
import io
import json
import logging
import os
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from scrapy.settings import Settings

from bmkz_crawler import stats_keys as keys
from bmkz_crawler.archive import archive_uri, open_archive
from bmkz_crawler.archive.base import ArchiveStore, SearchQuery
from bmkz_crawler.archive.changes import edits, word_diff
from bmkz_crawler.archive.postgres import PostgresArchive
from bmkz_crawler.archive.sqlite import SQLiteArchive, fts_query
from bmkz_crawler.commands.cron import CrawlOutcome
from bmkz_crawler.config import SettingsError, check_settings
from bmkz_crawler.processors import content_hash, parse_cli_date
from tests.crawl import PROJECT, run_crawl

T0 = "2025-11-07T05:20:00+00:00"


def item(
    number: int = 1,
    *,
    title: str = "Лизинг ёлок в Астане",
    body: str = "Компания объявила о лизинге ёлок.\n\nДетали сообщат позже.",
    url: str | None = None,
    language: str = "ru",
    modified_at: str | None = None,
    crawled_at: str = T0,
    **fields: Any,
) -> dict[str, Any]:
    return {
        "url": url or f"https://bm.kz/novost-{number}/",
        "post_id": number,
        "language": language,
        "title": title,
        "description": fields.pop("description", None),
        "body": body,
        "published_at": fields.pop("published_at", "2025-11-07T10:15:00+05:00"),
        "modified_at": modified_at,
        "authors": fields.pop("authors", []),
        "category": fields.pop("category", "Экономика"),
        "tags": fields.pop("tags", []),
        "word_count": len(body.split()),
        "content_hash": content_hash(title, body),
        "crawled_at": crawled_at,
        "change": fields.pop("change", "new"),
        **fields,
    }


@pytest.fixture
def archive(tmp_path: Path) -> Iterator[SQLiteArchive]:
    store = SQLiteArchive(tmp_path / "archive.sqlite3")
    store.open()
    yield store
    store.close()


@pytest.fixture(params=["sqlite", "postgresql"])
def any_archive(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[ArchiveStore]:
    """Each store behind the one interface: what holds for versions holds for both."""
    if request.param == "sqlite":
        store: ArchiveStore = SQLiteArchive(tmp_path / "archive.sqlite3")
    else:
        store = PostgresArchive(request.getfixturevalue("postgres_database"))
    store.open()
    yield store
    store.close()


def titles(store: SQLiteArchive, text: str, **filters: Any) -> list[str]:
    return [hit.version["title"] for hit in store.search(SearchQuery(text, **filters))]


# --- versions -------------------------------------------------------------------------------------


def test_every_version_is_kept_once_and_a_full_reexport_adds_none(any_archive: ArchiveStore) -> None:
    first = item()
    edited = item(body="Компания объявила о лизинге ёлок и сосен.", modified_at="2025-11-07T12:00:00+05:00",
                  crawled_at="2025-11-07T08:00:00+00:00", change="updated")  # fmt: skip
    assert any_archive.add_versions([first], T0) == 1
    assert any_archive.add_versions([edited], "2025-11-07T08:01:00+00:00") == 1
    # mode=full: the page as it is now exported again, with a new crawl time and views: nothing new;
    # an older feed imported again (the first text at its own crawl time): nothing new either
    again = [{**edited, "crawled_at": "2025-11-08T00:00:00+00:00", "views": 99, "change": "unchanged"}, first]
    assert any_archive.add_versions(again, "2025-11-08T00:01:00+00:00") == 0
    versions = any_archive.history("https://bm.kz/novost-1/")
    assert [v["body"] for v in versions] == [first["body"], edited["body"]]
    assert versions[0].exported_at == T0 and versions[0]["views"] is None  # never overwritten
    assert versions[0].as_item()["tags"] == [] and next(iter(versions[0].as_item())) == "url"


def test_a_text_the_article_went_back_to_is_a_version_again(any_archive: ArchiveStore) -> None:
    """A silent revert (A, then B, then A again, one modified_at) is three versions: the history
    ends with what the site says now."""
    modified = "2025-11-07T12:00:00+05:00"
    a = item(modified_at=modified)
    b = item(body="Текст, который потом убрали.", modified_at=modified, crawled_at="2025-11-08T00:00:00+00:00")
    a_again = {**a, "crawled_at": "2025-11-09T00:00:00+00:00"}
    assert [any_archive.add_versions([version], T0) for version in (a, b, a_again, a_again)] == [1, 1, 1, 0]
    history = any_archive.history("https://bm.kz/novost-1/")
    assert [v["body"] for v in history] == [a["body"], b["body"], a["body"]]
    assert [edit.silent for edit in edits(any_archive.edited())] == [True, True]


def test_an_article_exported_again_is_live_at_its_newest_url(any_archive: ArchiveStore) -> None:
    """A passing 404 is cleared by the next export of the same text, and after a slug change
    with the same text the article is asked for (and found gone) at its new URL only."""
    any_archive.add_versions([item(1), item(2, url="https://bm.kz/old-slug/")], T0)
    assert any_archive.record_gone("https://bm.kz/novost-1/", 404, "2025-11-09T00:00:00+00:00")
    any_archive.add_versions([item(1, crawled_at="2025-11-10T00:00:00+00:00")], "2025-11-10T00:01:00+00:00")
    assert any_archive.gone() == []
    any_archive.add_versions([item(2, url="https://bm.kz/new-slug/", crawled_at="2025-11-10T00:00:00+00:00")], T0)
    assert sorted(any_archive.live_urls()) == ["https://bm.kz/new-slug/", "https://bm.kz/novost-1/"]
    assert any_archive.stats().versions == 2


def test_a_slug_change_links_versions_by_post_id_and_edition(any_archive: ArchiveStore) -> None:
    any_archive.add_versions([item(7, url="https://bm.kz/old-slug/")], T0)
    renamed = item(7, url="https://bm.kz/new-slug/?utm_source=x", title="Лизинг ёлок в Астане и Алматы",
                   crawled_at="2025-11-08T00:00:00+00:00")  # fmt: skip
    kazakh = item(7, url="https://bm.kz/kz/other/", language="kk", title="Басқа мақала")
    any_archive.add_versions([renamed, kazakh], "2025-11-08T00:01:00+00:00")
    by_old = any_archive.history("https://bm.kz/old-slug/")
    assert [v["url"] for v in by_old] == ["https://bm.kz/old-slug/", "https://bm.kz/new-slug/"]
    assert any_archive.history("7", "ru") == by_old
    assert [v["language"] for v in any_archive.history("7", "kk")] == ["kk"]
    with pytest.raises(ValueError, match="post id 7 is in more than one edition"):
        any_archive.history("7")
    assert any_archive.stats().articles == 2


def test_gone_is_recorded_once_for_archived_articles_and_cleared_by_a_new_version(any_archive: ArchiveStore) -> None:
    any_archive.add_versions([item(1), item(2)], T0)
    assert any_archive.record_gone("https://bm.kz/novost-1/?utm_medium=tg", 410, "2025-11-09T00:00:00+00:00")
    assert any_archive.record_gone("https://bm.kz/novost-1/", 404, "2025-11-10T00:00:00+00:00")  # known gone: kept
    assert not any_archive.record_gone("https://bm.kz/never-archived/", 404, "2025-11-09T00:00:00+00:00")
    [gone] = any_archive.gone()
    assert (gone.status, gone.found_at, gone.last_version["post_id"]) == (410, "2025-11-09T00:00:00+00:00", 1)
    assert any_archive.gone(parse_cli_date("2025-11-10")) == []
    any_archive.add_versions([item(1, body="Восстановлено.", crawled_at="2025-11-11T00:00:00+00:00")], T0)
    assert any_archive.gone() == [] and any_archive.stats().gone == 0


def test_an_edit_is_silent_when_the_text_changed_and_modified_at_did_not(any_archive: ArchiveStore) -> None:
    modified = "2025-11-07T12:00:00+05:00"
    any_archive.add_versions([item(1, modified_at=modified), item(2, modified_at=modified)], T0)
    later = "2025-11-08T00:00:00+00:00"
    any_archive.add_versions(
        [
            item(
                1, modified_at=modified, body="Компания объявила о лизинге ёлок.\n\nДетали сообщены.", crawled_at=later
            ),
            item(2, modified_at="2025-11-08T09:00:00+05:00", body="Новый текст.", crawled_at=later),
        ],
        later,
    )
    any_archive.add_versions([item(3, modified_at=modified)], T0)  # one version: no edit
    found = {edit.version["post_id"]: edit for edit in edits(any_archive.edited())}
    assert set(found) == {1, 2}
    assert found[1].silent and not found[2].silent
    assert found[1].fields == ["body"] and (found[1].words_added["body"], found[1].words_removed["body"]) == (1, 2)
    assert found[2].fields == ["body", "modified_at"]
    assert [e.version["post_id"] for e in edits(any_archive.edited(), silent_only=True)] == [1]
    assert edits(any_archive.edited(parse_cli_date("2025-11-09"))) == []


def test_word_diff_shows_what_went_and_came_with_context() -> None:
    [change] = word_diff("Премьер посетил Астану в среду", "Премьер посетил Алматы в среду")
    assert (change.before, change.removed, change.added) == (["Премьер", "посетил"], ["Астану"], ["Алматы"])


# --- search ---------------------------------------------------------------------------------------


# The search corpus of both stores' tests (test_archive_postgres.py too).
SEARCH_CORPUS = [
    item(1, title="Лизинг ёлок в Астане", tags=["Лизинг"]),
    item(2, title="Рынок лизинга растёт", body="Лизинговые компании отчитались.", category="Бизнес"),
    item(3, title="Погода на выходные", body="Ёлка на площади. Лизинг не упоминается нигде."),
    item(
        4,
        url="https://bm.kz/kz/a/",
        language="kk",
        title="Тоқаев әкімдермен кездесті",
        body="Мемлекет басшысы Қазақстан өңірлерінің әкімдерімен кездесті.\n\nҮкімет ғылым ұлт һ і ң ө.",
    ),
    item(5, title="Старая новость про лизинг", body="Текст.", published_at="2023-01-05T10:00:00+06:00"),
]


@pytest.fixture
def searchable(archive: SQLiteArchive) -> SQLiteArchive:
    archive.add_versions(SEARCH_CORPUS, T0)
    return archive


def test_russian_search_folds_case_and_yo_and_takes_prefixes(searchable: SQLiteArchive) -> None:
    assert titles(searchable, "елок") == ["Лизинг ёлок в Астане"]
    assert titles(searchable, "ЁЛОК") == ["Лизинг ёлок в Астане"]
    assert titles(searchable, "растет") == ["Рынок лизинга растёт"]
    assert set(titles(searchable, "лизинг*")) == {
        "Лизинг ёлок в Астане", "Рынок лизинга растёт", "Погода на выходные", "Старая новость про лизинг",
    }  # fmt: skip
    assert set(titles(searchable, "лизинг")) == {
        "Лизинг ёлок в Астане",
        "Погода на выходные",
        "Старая новость про лизинг",
    }
    # ranked: the title hits before a mention in the body
    assert titles(searchable, "лизинг")[-1] == "Погода на выходные"


def test_kazakh_letters_are_searchable_in_any_case(searchable: SQLiteArchive) -> None:
    for query in ("ТОҚАЕВ", "тоқаев", "ӘКІМДЕРМЕН", "Қазақстан", "ҮКІМЕТ", "ғылым", "ҰЛТ", "Һ", "І", "Ң", "Ө", "өңір*"):
        assert titles(searchable, query) == ["Тоқаев әкімдермен кездесті"], query
    assert titles(searchable, "токаев") == []  # қ is not к
    assert titles(searchable, "кездесті", language="ru") == []


def test_search_filters_and_one_hit_per_article(searchable: SQLiteArchive) -> None:
    searchable.add_versions(
        [item(1, title="Лизинг ёлок в Астане (обновлено)", crawled_at="2025-11-08T00:00:00+00:00")], T0
    )
    hits = searchable.search(SearchQuery("лизинг", section="ЭКОНОМИКА", since=parse_cli_date("2025-01-01")))
    assert [hit.version["post_id"] for hit in hits] == [1, 3]  # one hit for the two versions of 1; 5 is older
    assert titles(searchable, "лизинг", until=parse_cli_date("2024-01-01")) == ["Старая новость про лизинг"]
    assert titles(searchable, "лизинг*", section="Бизнес") == ["Рынок лизинга растёт"]
    assert len(titles(searchable, "лизинг*", limit=1)) == 1


def test_snippets_highlight_the_match_in_the_original_text(searchable: SQLiteArchive) -> None:
    [hit] = searchable.search(SearchQuery("елок астане"))
    assert hit.snippet == "Лизинг [ёлок] в [Астане]"
    [hit] = searchable.search(SearchQuery("площади"))
    assert "[площади]" in hit.snippet and "Ёлка" in hit.snippet


@pytest.mark.parametrize(
    "query",
    ['"', '"лизинг', "лизинг)", "(лизинг OR", "NEAR(лизинг ёлок)", "лизинг AND", "NOT лизинг", "лизинг -ёлок",
     "title:лизинг", "^лизинг", "лиз*инг", "*", "a'b", "лизинг + ", 'AND OR NOT NEAR "" *'],
)  # fmt: skip
def test_user_queries_never_raise_a_syntax_error(searchable: SQLiteArchive, query: str) -> None:
    try:
        searchable.search(SearchQuery(query))
    except ValueError as error:
        assert "nothing to search for" in str(error)


def test_the_fts_query_quotes_every_term_and_keeps_prefixes() -> None:
    assert fts_query('Лизинг* "ёлки в" NEAR(x') == '"Лизинг" * "елки в" "NEAR x"'
    with pytest.raises(ValueError, match="nothing to search for"):
        fts_query('"" * ()')


def test_the_prune_sql_of_the_docs_keeps_each_latest_version_and_the_index(archive: SQLiteArchive) -> None:
    archive.add_versions([item(1, body="Первый вариант.")], "2024-01-01T00:00:00+00:00")
    archive.add_versions([item(1, body="Второй вариант.", crawled_at="2025-11-08T00:00:00+00:00")], T0)
    archive.add_versions([item(2, body="Единственный вариант.")], "2024-01-01T00:00:00+00:00")
    archive.connection.executescript(PRUNE_SQL.replace("2025-01-01", "2025-01-01"))
    assert [v["body"] for v in archive.history("1")] == ["Второй вариант."]
    assert [v["body"] for v in archive.history("2")] == ["Единственный вариант."]
    assert titles(archive, "первый") == [] and len(titles(archive, "вариант")) == 2
    archive.connection.execute("INSERT INTO versions_fts(versions_fts) VALUES ('integrity-check')")


PRUNE_SQL = """
DELETE FROM versions WHERE exported_at < '2025-01-01' AND id NOT IN (
  SELECT id FROM (SELECT id, row_number() OVER (
    PARTITION BY article_id ORDER BY crawled_at DESC, id DESC) AS n FROM versions) WHERE n = 1);
INSERT INTO versions_fts(versions_fts) VALUES ('optimize');
VACUUM;
"""


# --- settings, verdict ---------------------------------------------------------------------------


def test_the_archive_lives_next_to_the_state_unless_told_otherwise(tmp_path: Path) -> None:
    assert archive_uri("", str(tmp_path / "s" / "state.sqlite3")) == f"sqlite://{tmp_path}/s/bmkz_archive.sqlite3"
    assert archive_uri("", "memory:") == "memory:"
    assert archive_uri("none", "") is None and archive_uri("NONE", "") is None
    assert archive_uri(f"sqlite://{tmp_path}/a.db", "") == f"sqlite://{tmp_path}/a.db"
    assert archive_uri("postgresql://db/x", "") == "postgresql://db/x"
    settings = Settings({"BMKZ_BASE_URL": "https://bm.kz/", "BMKZ_STATE_URI": str(tmp_path / "state.sqlite3")})
    from bmkz_crawler import settings as project

    settings.setmodule(project, priority="default")
    settings.set("BMKZ_STATE_URI", str(tmp_path / "state.sqlite3"))
    check_settings(settings)
    settings.set("BMKZ_ARCHIVE_URI", "mysql://db/x")
    with pytest.raises(
        SettingsError, match=r"^BMKZ_ARCHIVE_URI='mysql://db/x' is not accepted: no archive for mysql: "
    ):
        check_settings(settings)
    settings.set("BMKZ_ARCHIVE_URI", str(tmp_path))
    with pytest.raises(SettingsError, match="is a directory"):
        check_settings(settings)


def test_a_failed_archive_write_fails_the_cron_verdict() -> None:
    stats = {"finish_reason": "finished", "response_received_count": 10, "item_scraped_count": 3,
             keys.ARCHIVE_WRITE_ERRORS: 1}  # fmt: skip
    assert CrawlOutcome("news", stats, 0.1).failures() == [
        "1 archive writes failed (marks kept: scrapy archive import the feed)"
    ]
    assert CrawlOutcome("news", stats, 0.1).summary().splitlines()[-1].startswith("  result          FAILED: 1 archive")


def test_an_archive_that_cannot_be_written_keeps_the_marks_and_says_so_once(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    from tests.test_durability import article, exported_urls, run_feeds, stat

    blocker = tmp_path / "not-a-folder"
    blocker.write_text("")
    feeds = {str(tmp_path / "a.jsonl"): {"format": "jsonlines"}}
    with caplog.at_level(logging.ERROR):
        crawler = run_feeds(tmp_path, feeds, [article(n) for n in range(3)], BMKZ_ARCHIVE_URI=str(blocker / "a.db"))
    assert stat(crawler, keys.ARCHIVE_WRITE_ERRORS) == 1 and stat(crawler, keys.ARCHIVED) == 0
    assert len(exported_urls(crawler)) == 3  # the marks stay
    [error] = [r.getMessage() for r in caplog.records if r.levelno == logging.ERROR]
    assert error.startswith(f"Archive {blocker / 'a.db'}: archiving 3 exported articles failed (")
    assert "`scrapy archive import` this run's JSON Lines feed" in error


# --- scrapy archive --------------------------------------------------------------------------------


def scrapy_archive(archive_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    argv = [sys.executable, "-m", "scrapy", "archive", *args, "-s", f"BMKZ_ARCHIVE_URI={archive_path}"]
    env = {**os.environ, "PYTHONPATH": str(PROJECT)}
    return subprocess.run(argv, cwd=PROJECT, env=env, capture_output=True, text=True, timeout=60)


@pytest.fixture
def feed_file(tmp_path: Path) -> Path:
    """A delivered feed: an article, its silent edit, a slug change, a Kazakh article, a formula title."""
    modified = "2025-11-07T12:00:00+05:00"
    lines = [
        item(1, modified_at=modified),
        item(
            1,
            modified_at=modified,
            body="Компания объявила о лизинге ёлок.\n\nДетали сообщены в среду.",
            crawled_at="2025-11-08T00:00:00+00:00",
            change="updated",
        ),
        item(2, url="https://bm.kz/old/", title="Рынок лизинга"),
        item(2, url="https://bm.kz/new/", title="Рынок лизинга растёт", crawled_at="2025-11-08T00:00:00+00:00"),
        item(3, url="https://bm.kz/kz/q/", language="kk", title="Қазақстан лизинг нарығы"),
        item(4, title="=HYPERLINK(лизинг)"),
    ]
    path = tmp_path / "news.jsonl"
    path.write_text(
        "".join(json.dumps(line, ensure_ascii=False) + "\n" for line in lines) + "not json\n", encoding="utf-8"
    )
    return path


def test_archive_commands_on_an_imported_feed(tmp_path: Path, feed_file: Path) -> None:
    db = tmp_path / "archive.sqlite3"
    missing = scrapy_archive(db, "stats")
    assert missing.returncode == 1 and "no archive at" in missing.stderr
    imported = scrapy_archive(db, "import", str(feed_file))
    assert imported.returncode == 0, imported.stderr[-2000:]
    assert imported.stdout == f"{feed_file}: 7 lines, 6 new versions, 1 lines skipped (not an article)\n"
    again = scrapy_archive(db, "import", str(feed_file))
    assert again.stdout.startswith(f"{feed_file}: 7 lines, 0 new versions")  # idempotent

    store = SQLiteArchive(db)
    store.open()
    store.record_gone("https://bm.kz/new/", 410, "2025-11-09T00:00:00+00:00")
    store.close()

    search = scrapy_archive(db, "search", "ЛИЗИНГ*", "--lang", "ru", "--limit", "5")
    assert search.returncode == 0, search.stderr[-2000:]
    assert "https://bm.kz/novost-1/" in search.stdout and "[лизинга]" in search.stdout
    assert "Қазақстан" not in search.stdout and search.stdout.endswith("3 articles found\n")
    out_csv, out_jsonl = tmp_path / "hits.csv", tmp_path / "hits.jsonl"
    assert scrapy_archive(db, "search", "лизинг*", "-o", str(out_csv)).stdout == f"4 articles written to {out_csv}\n"
    rows = list(csv.DictReader(io.StringIO(out_csv.read_text(encoding="utf-8"))))
    assert "'=HYPERLINK(лизинг)" in {row["title"] for row in rows} and list(rows[0])[:3] == [
        "url",
        "post_id",
        "language",
    ]
    scrapy_archive(db, "search", "қазақстан", "-o", str(out_jsonl))
    [kazakh] = [json.loads(line) for line in out_jsonl.read_text(encoding="utf-8").splitlines()]
    assert kazakh["title"] == "Қазақстан лизинг нарығы" and kazakh["tags"] == []

    history = scrapy_archive(db, "history", "https://bm.kz/novost-1/")
    assert history.returncode == 0, history.stderr[-2000:]
    assert "2 versions" in history.stdout.splitlines()[0]
    assert "changed: body +3 -2  SILENT" in history.stdout
    assert "[-сообщат позже.-] {+сообщены в среду.+}" in history.stdout
    history_json = json.loads(scrapy_archive(db, "history", "2", "--lang", "ru", "--format", "json").stdout)
    assert [v["url"] for v in history_json] == ["https://bm.kz/old/", "https://bm.kz/new/"]
    assert history_json[1]["diff"]["title"] == [{"before": ["Рынок", "лизинга"], "removed": [], "added": ["растёт"]}]

    edited = json.loads(scrapy_archive(db, "edits", "--format", "json").stdout)
    assert {(e["post_id"], e["silent"]) for e in edited} == {(1, True), (2, True)}  # 2: title changed, modified_at none
    silent_csv = scrapy_archive(db, "edits", "--silent", "--format", "csv").stdout
    assert [row["post_id"] for row in csv.DictReader(io.StringIO(silent_csv))] == ["1", "2"]
    deleted = scrapy_archive(db, "edits", "--deleted")
    assert deleted.stdout == "2025-11-09T00:00:00+00:00  gone 410  [ru] https://bm.kz/new/  Рынок лизинга растёт\n"
    stats = scrapy_archive(db, "stats")
    assert stats.stdout.splitlines()[0] == f"archive {db}: 4 articles, 6 versions, 1 gone"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("bogus",), "error: unknown subcommand 'bogus': use one of search, history, edits, import, stats"),
        (("search",), 'error: scrapy archive search needs a QUERY: words, "a phrase", a prefix*'),
        (("search", "x", "--since", "вчера"), "error: --since='вчера' is not accepted: use a date YYYY-MM-DD or ISO 8601 date-time"),
        (("edits", "--silent", "--deleted"), "error: --silent and --deleted do not go together: a deletion has no text to compare"),
        (("history", "x", "--format", "xml"), "error: --format='xml' is not accepted: use text or json"),
        (("search", "x", "--silent"), "error: scrapy archive search takes no --silent"),
        (("search", "x", "-o", "x.xlsx"), "error: -o x.xlsx: use a file name ending in .csv or .jsonl"),
        (("search", '"" ()'), "error: nothing to search for in '\"\" ()': give a word"),
    ],
)  # fmt: skip
def test_bad_archive_arguments_are_one_line_and_exit_2(tmp_path: Path, args: tuple[str, ...], message: str) -> None:
    db = tmp_path / "archive.sqlite3"
    SQLiteArchive(db).open()
    completed = scrapy_archive(db, *args)
    assert (completed.returncode, completed.stderr.strip()) == (2, message)


# --- a real crawl ---------------------------------------------------------------------------------


@pytest.mark.parametrize("store", ["sqlite", "postgresql"])
def test_the_archive_holds_exactly_what_durably_stored_feeds_exported(
    mirror300, tmp_path: Path, store: str, request: pytest.FixtureRequest
) -> None:
    """A run whose CSV feed fails to store archives nothing (and marks nothing); the next run
    exports everything and the archive then holds exactly its feed, one version each."""
    uri = str(tmp_path / "archive.sqlite3") if store == "sqlite" else request.getfixturevalue("postgres_database")
    state = {"BMKZ_STATE_URI": str(tmp_path / "state.sqlite3"), "BMKZ_ARCHIVE_URI": uri}
    failing = run_crawl(
        mirror300.base_url,
        tmp_path / "failing",
        settings={
            **state,
            "FEEDS": json.dumps(
                {
                    str(tmp_path / "failing" / "f.jsonl"): {"format": "jsonlines"},
                    str(tmp_path / "failing" / "f.csv"): {"format": "csv"},
                }
            ),
            "FEED_STORAGES": json.dumps({"": "tests.diskfaults.FillingDiskFeedStorage"}),
            "TEST_FULL_DISK": json.dumps({".csv": [100_000, 1_000_000]}),
        },
        output=None,
    )
    assert failing.stat(keys.FEED_FAILED) == 1 and failing.stat(keys.EXPORTED_MARKED) == 0, failing.log[-3000:]
    assert failing.stat(keys.ARCHIVED) == 0
    if store == "sqlite" and not Path(uri).exists():
        archived_before = 0
    else:
        before = open_archive(uri)
        assert before is not None
        archived_before = before.stats().versions
        before.close()
    assert archived_before == 0

    healthy = run_crawl(mirror300.base_url, tmp_path / "healthy", settings=state)
    assert healthy.returncode == 0, healthy.log[-3000:]
    exported = {(row["url"], row["content_hash"]) for row in healthy.items}
    assert len(exported) == len(mirror300.truth()) == healthy.stat(keys.ARCHIVED)
    archive = open_archive(uri)
    assert archive is not None
    try:
        assert archive.stats().versions == len(exported)
        archived = {(v["url"], v["content_hash"]) for url, _ in exported for v in archive.history(url)}
        [first] = archive.history(healthy.items[0]["url"])
    finally:
        archive.close()
    assert archived == exported
    assert (first["title"], first["body"], first["crawled_at"]) == (
        healthy.items[0]["title"],
        healthy.items[0]["body"],
        healthy.items[0]["crawled_at"],
    )


def test_a_version_1_archive_is_migrated_in_place_keeping_every_version(tmp_path: Path) -> None:
    from bmkz_crawler.archive import sqlite as store_module

    v1_schema = store_module.SCHEMA.replace(
        "    recurrence INTEGER NOT NULL DEFAULT 0,\n    UNIQUE (article_id, content_hash, modified_key, recurrence)",
        "    UNIQUE (article_id, content_hash, modified_key)",
    ).replace("CREATE INDEX IF NOT EXISTS versions_article ON versions (article_id, crawled_at);", "")
    assert "recurrence" not in v1_schema
    path = tmp_path / "archive.sqlite3"
    current = SQLiteArchive(path)
    current.open()
    current.add_versions([item(1), item(2, language="kk", url="https://bm.kz/kz/b/", title="Тоқаев")], T0)
    rows = current.connection.execute("SELECT * FROM versions ORDER BY id").fetchall()
    articles = current.connection.execute("SELECT * FROM articles").fetchall()
    urls = current.connection.execute("SELECT * FROM article_urls").fetchall()
    current.close()
    path.unlink()
    with sqlite3.connect(path) as old:  # the same archive as version 1 of the schema wrote it
        old.executescript(v1_schema)
        old.executemany("INSERT INTO articles VALUES (?, ?, ?, ?, ?, ?, ?, ?)", [tuple(r) for r in articles])
        old.executemany("INSERT INTO article_urls VALUES (?, ?)", [tuple(r) for r in urls])
        names = [name for name in rows[0].keys() if name != "recurrence"]  # noqa: SIM118 (a Row iterates values)
        old.executemany(
            f"INSERT INTO versions ({', '.join(names)}) VALUES ({', '.join('?' * len(names))})",
            [tuple(r[name] for name in names) for r in rows],
        )
        old.execute("PRAGMA user_version=1")
    migrated = SQLiteArchive(path)
    migrated.open()
    try:
        assert migrated.connection.execute("PRAGMA user_version").fetchone()[0] == store_module.SCHEMA_VERSION
        assert migrated.stats().versions == 2
        assert titles(migrated, "астане") == ["Лизинг ёлок в Астане"] and titles(migrated, "тоқаев") == ["Тоқаев"]
        revert = [item(1, body="Другой."), item(1, crawled_at="2025-11-09T00:00:00+00:00")]
        assert migrated.add_versions(revert[:1], T0) == 1 and migrated.add_versions(revert[1:], T0) == 1
        migrated.connection.execute("INSERT INTO versions_fts(versions_fts) VALUES ('integrity-check')")
    finally:
        migrated.close()


def test_broken_archives_files_and_servers_are_one_line_not_a_traceback(tmp_path: Path, feed_file: Path) -> None:
    from tests.servers import free_port

    corrupt = tmp_path / "corrupt.sqlite3"
    corrupt.write_bytes(b"this is not a database" * 100)
    good = tmp_path / "archive.sqlite3"
    assert scrapy_archive(good, "import", str(feed_file)).returncode == 0
    latin1 = tmp_path / "latin1.jsonl"
    latin1.write_bytes('{"title": "caf\xe9"}\n'.encode("latin-1"))
    cases = [
        (corrupt, ("stats",)),
        (good, ("search", "лизинг", "-o", str(tmp_path / "no" / "such" / "dir" / "out.csv"))),
        (good, ("import", str(latin1))),
        (f"postgresql://bmkz@127.0.0.1:{free_port()}/x", ("stats",)),  # type: ignore[list-item]
    ]
    for archive, args in cases:
        completed = scrapy_archive(archive, *args)  # type: ignore[arg-type]
        assert completed.returncode == 1, (args, completed.stderr[-2000:])
        assert "Traceback" not in completed.stderr and completed.stderr.startswith("error: "), completed.stderr
        assert len(completed.stderr.strip().splitlines()) == 1, completed.stderr
    assert scrapy_archive(good, "history", "²").returncode == 1  # not a post id: an unknown URL


def test_the_same_modified_time_in_another_offset_is_no_new_version(any_archive: ArchiveStore) -> None:
    """After a time-zone change WordPress writes every old date in the new offset: the same instant,
    so a re-export adds nothing, and a text change under it is still silent."""
    any_archive.add_versions([item(1, modified_at="2024-01-10T12:00:00+06:00")], T0)
    moved = item(1, modified_at="2024-01-10T11:00:00+05:00", crawled_at="2025-11-08T00:00:00+00:00")
    assert any_archive.add_versions([moved], T0) == 0
    edited = {**moved, "body": "Новый текст.", "crawled_at": "2025-11-09T00:00:00+00:00"}
    edited["content_hash"] = content_hash(edited["title"], edited["body"])
    assert any_archive.add_versions([edited], T0) == 1
    [edit] = edits(any_archive.edited())
    assert edit.silent and edit.fields == ["body"]
