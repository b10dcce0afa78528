"""ArticleCsvItemExporter, read back with the csv module as a spreadsheet user's tools would."""

from __future__ import annotations

import csv
import gzip
import io
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from scrapy import Spider
from scrapy.extensions.postprocessing import PostProcessingManager
from scrapy.utils.test import get_crawler

from bmkz_crawler.exporters import ArticleCsvItemExporter, neutralize_formula, run_time_uri_params
from bmkz_crawler.items import ARTICLE_FIELDS, Article


def article(**fields: Any) -> Article:
    values: dict[str, Any] = {
        "url": "https://bm.kz/kz/zhanalyq/",
        "post_id": 101,
        "language": "kk",
        "title": "Әділет министрлігі: қағидалар өзгерді",
        "body": "Астана. 7 қараша. BM.KZ – Бірінші абзац.\n\nЕкінші абзац.",
        "published_at": "2025-11-07T10:15:00+05:00",
        "authors": ["Айгерім Сәрсенова", "Ұлан Қожа"],
        "tags": ["құқық", "заң"],
        "related_urls": ["https://bm.kz/kz/a/", "https://bm.kz/kz/b/"],
        "word_count": 6,
        "content_hash": "a" * 64,
        "crawled_at": "2025-11-07T05:20:00+00:00",
        **fields,
    }
    return Article(**values)


def export(items: list[Any], **settings: Any) -> bytes:
    crawler = get_crawler(settings_dict=settings)
    buffer = io.BytesIO()
    exporter = ArticleCsvItemExporter.from_crawler(crawler, buffer)
    exporter.start_exporting()
    for item in items:
        exporter.export_item(item)
    exporter.finish_exporting()
    return buffer.getvalue()


def read_rows(data: bytes) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"), newline="")))


def test_header_is_in_schema_order() -> None:
    header = next(csv.reader(io.StringIO(export([article()]).decode("utf-8"))))
    assert tuple(header) == ARTICLE_FIELDS


def test_empty_feed_still_has_its_header() -> None:
    assert export([]).decode("utf-8").splitlines() == [",".join(ARTICLE_FIELDS)]


def test_kazakh_and_cyrillic_letters_are_letters() -> None:
    data = export([article()])
    assert "Әділет министрлігі".encode() in data
    assert read_rows(data)[0]["title"] == "Әділет министрлігі: қағидалар өзгерді"


def test_lists_joined_and_empty_lists_and_none_are_empty_cells() -> None:
    rows = read_rows(export([article(), article(authors=[], tags=[], related_urls=[], description=None, views=None)]))
    assert rows[0]["authors"] == "Айгерім Сәрсенова | Ұлан Қожа"
    assert rows[0]["related_urls"] == "https://bm.kz/kz/a/ | https://bm.kz/kz/b/"
    assert rows[0]["post_id"] == "101"
    assert [rows[1][name] for name in ("authors", "tags", "related_urls", "description", "views")] == [""] * 5


def test_separators_quotes_and_newlines_in_text_survive() -> None:
    title = 'Он сказал: "Да, это так"; итог — 50,5%'
    body = 'Первый абзац, с запятой.\n\nВторой "в кавычках"\r\nи с CRLF.'
    row = read_rows(export([article(title=title, body=body)]))[0]
    assert row["title"] == title
    assert row["body"] == body


@pytest.mark.parametrize(
    ("cell", "written"),
    [
        ('=HYPERLINK("http://evil","x")', '\'=HYPERLINK("http://evil","x")'),
        ("+cmd|' /C calc'!A0", "'+cmd|' /C calc'!A0"),
        ("-2+3+cmd|' /C calc'!A0", "'-2+3+cmd|' /C calc'!A0"),
        ("@SUM(1+1)*cmd|' /C calc'!A0", "'@SUM(1+1)*cmd|' /C calc'!A0"),
        ("\t=1+1", "'\t=1+1"),
        ("\r=1+1", "'\r=1+1"),
        ("-5", "-5"),  # a plain number cannot run anything: left as is
        ("+7,5", "+7,5"),
        ("-5 градусов в Астане", "'-5 градусов в Астане"),
        ("Обычный заголовок", "Обычный заголовок"),
        ("a=b", "a=b"),  # only the beginning of a cell counts
    ],
)
def test_formula_like_cells_are_neutralized(cell: str, written: str) -> None:
    assert neutralize_formula(cell) == written
    row = read_rows(export([article(title=cell, description=cell)]))[0]
    assert row["title"] == written
    assert row["description"] == written


def test_formula_in_a_list_cell_is_neutralized_at_the_cell_start() -> None:
    row = read_rows(export([article(tags=["=1+1", "заң"], authors=["Автор", "=evil()"])]))[0]
    assert row["tags"] == "'=1+1 | заң"
    assert row["authors"] == "Автор | =evil()"


def test_numbers_are_never_prefixed() -> None:
    row = read_rows(export([article(views=-1, word_count=0)]))[0]
    assert (row["views"], row["word_count"]) == ("-1", "0")


def test_bom_off_by_default_and_on_by_setting() -> None:
    assert not export([article()]).startswith(b"\xef\xbb\xbf")
    with_bom = export([article()], BMKZ_CSV_BOM=True)
    assert with_bom.startswith(b"\xef\xbb\xbf")
    assert with_bom.count(b"\xef\xbb\xbf") == 1
    assert read_rows(with_bom)[0]["language"] == "kk"


def test_gzip_by_feed_postprocessing(tmp_path: Path) -> None:
    path = tmp_path / "news.csv.gz"
    plugins = ["scrapy.extensions.postprocessing.GzipPlugin"]
    with path.open("wb") as target:
        compressed = PostProcessingManager(plugins, target, {"postprocessing": plugins})
        exporter = ArticleCsvItemExporter(compressed)  # type: ignore[arg-type]
        exporter.start_exporting()
        exporter.export_item(article())
        exporter.finish_exporting()
        compressed.close()
    with gzip.open(path, "rt", encoding="utf-8", newline="") as text:
        assert next(csv.DictReader(text))["title"] == "Әділет министрлігі: қағидалар өзгерді"


def test_dict_items_and_explicit_fields() -> None:
    buffer = io.BytesIO()
    exporter = ArticleCsvItemExporter(buffer, fields_to_export=["title", "tags"])
    exporter.start_exporting()
    exporter.export_item({"title": "=x", "tags": ["a", "b"], "url": "ignored"})
    exporter.finish_exporting()
    assert buffer.getvalue().decode("utf-8").splitlines() == ["title,tags", "'=x,a | b"]


def test_run_time_is_one_sortable_filename_safe_value_per_spider() -> None:
    crawler = get_crawler()
    spider = Spider.from_crawler(crawler, name="news")
    first = run_time_uri_params({"name": "news"}, spider)
    second = run_time_uri_params({"name": "news"}, spider)
    assert first["run_time"] == second["run_time"]
    assert len(first["run_time"]) == len("20251107T101500Z")
    assert first["run_time"].endswith("Z") and ":" not in first["run_time"] and "+" not in first["run_time"]


def test_two_runs_started_in_the_same_second_get_different_feed_names() -> None:
    """Two crawls (Redis-mode workers, containers that are all pid 1) must never append to one
    file: the default names carry a random run id after the time, so they still sort by time."""
    from bmkz_crawler.settings import FEEDS

    runs = []
    for _ in range(2):
        crawler = get_crawler()
        spider = Spider.from_crawler(crawler, name="news")
        crawler.stats.set_value("start_time", datetime(2025, 11, 7, 10, 15, 0, 900, tzinfo=UTC))
        runs.append({uri % run_time_uri_params({"name": "news"}, spider) for uri in FEEDS})
    for names in runs:
        assert len({name.rsplit(".", 1)[0] for name in names}) == 1  # one name for both files of a run
        assert all(re.fullmatch(r"feeds/news-20251107T101500Z-[0-9a-f]{6}\.(jsonl|csv)", name) for name in names)
    assert runs[0].isdisjoint(runs[1])
