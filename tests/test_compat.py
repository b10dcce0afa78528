"""The private APIs of other libraries this project relies on are still there (bmkz_crawler/compat.py)."""

from __future__ import annotations

import io

from itemloaders import ItemLoader

from bmkz_crawler import compat
from bmkz_crawler.exporters import ArticleCsvItemExporter
from bmkz_crawler.extraction.article import ArticleLoader


def test_every_private_api_is_there_in_the_installed_versions() -> None:
    assert compat.missing_private_apis() == []


def test_a_missing_one_is_named_with_its_library_and_version(monkeypatch) -> None:
    monkeypatch.delattr(ItemLoader, "_process_input_value")
    [line] = compat.missing_private_apis()
    assert line.startswith("itemloaders ") and "no longer has ItemLoader._process_input_value" in line


def test_the_loader_override_is_what_add_value_calls() -> None:
    loader = ArticleLoader()
    loader.add_value("title", "Заголовок - BM.KZ")  # through ArticleLoader's input processor
    assert compat.loader_values(loader, "title") == ["Заголовок"]


def test_an_empty_csv_feed_still_gets_its_header() -> None:
    stream = io.BytesIO()
    exporter = ArticleCsvItemExporter(stream)
    exporter.start_exporting()
    exporter.finish_exporting()
    assert stream.getvalue().decode("utf-8").startswith("url,post_id,language,title")
