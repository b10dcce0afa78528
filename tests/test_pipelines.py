"""Each pipeline alone, on a crawler from scrapy.utils.test with an in-memory state store."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest
from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.exceptions import DropItem
from scrapy.utils.test import get_crawler

from bmkz_crawler.items import Article
from bmkz_crawler.pipelines import CleanPipeline, DedupePipeline, ExportMarkerPipeline, ValidatePipeline
from bmkz_crawler.policy import CrawlPolicy
from bmkz_crawler.processors import content_hash, count_words
from bmkz_crawler.spiders.arguments import CrawlArguments
from bmkz_crawler.state import state_store_for

FEEDS = {"items.jsonl": {"format": "jsonlines"}}


def make_crawler(**settings: Any) -> Crawler:
    return get_crawler(
        settings_dict={"BMKZ_STATE_URI": "memory:", "BMKZ_BASE_URL": "https://bm.kz/", "FEEDS": FEEDS, **settings}
    )


def clean_article(url: str = "https://bm.kz/novost/", **fields: Any) -> Article:
    title = fields.pop("title", "Маслихат утвердил тарифы")
    body = fields.pop("body", "Астана. 7 ноября. BM.KZ – Тарифы утверждены.\n\nВторой абзац.")
    values: dict[str, Any] = {
        "post_id": 101,
        "language": "ru",
        "title": title,
        "body": body,
        "published_at": "2025-11-07T10:15:00+05:00",
        "authors": ["Айгерім Сәрсенова"],
        "tags": ["тарифы"],
        "related_urls": ["https://bm.kz/drugaya/"],
        "word_count": count_words(body),
        "content_hash": content_hash(title, body),
        "crawled_at": "2025-11-07T05:20:00+00:00",
        **fields,
    }
    return Article(url=url, **values)


def stat(crawler: Crawler, key: str) -> int:
    return crawler.stats.get_value(key, 0)


# --- CleanPipeline -------------------------------------------------------------------------


def test_clean_item_passes_unchanged() -> None:
    item = clean_article(modified_at="2025-11-08T09:00+05:00", views=4518, dateline="Астана")
    before = dataclasses.replace(item, authors=list(item.authors), tags=list(item.tags))
    CleanPipeline().process_item(item)
    assert item == before


def test_clean_normalizes_text_lists_urls_and_dates() -> None:
    item = Article(
        url="https://BM.kz/novost/?utm_source=tg#top",
        post_id="101",  # type: ignore[arg-type]
        language="ru-RU",
        title="  Маслихат\u00a0утвердил &amp; тарифы\u200b ",
        body="Первый\u00a0абзац.\n\n\n  \n\nВторой   абзац.",
        published_at="2025-11-07T05:15:00Z",
        authors=[" Айгерім ", "Айгерім", "", "Иван\u00a0Петров"],
        tags=["тарифы", "тарифы"],
        related_urls=["https://bm.kz/a/?utm_medium=x", "https://bm.kz/a/", "not a url"],
        views="4 518 просмотров",  # type: ignore[arg-type]
    )
    CleanPipeline().process_item(item)
    assert item.url == "https://bm.kz/novost/"
    assert item.post_id == 101
    assert item.language == "ru"
    assert item.title == "Маслихат утвердил & тарифы"
    assert item.body == "Первый абзац.\n\nВторой абзац."
    assert item.published_at == "2025-11-07T10:15:00+05:00"
    assert item.authors == ["Айгерім", "Иван Петров"]
    assert item.tags == ["тарифы"]
    assert item.related_urls == ["https://bm.kz/a/"]
    assert item.views == 4518
    assert item.word_count == 4
    assert item.content_hash == content_hash("Маслихат утвердил & тарифы", "Первый абзац.\n\nВторой абзац.")


def test_clean_is_idempotent() -> None:
    item = Article(
        url="https://bm.kz/x/?fbclid=1", title=" A\u00a0 b ", body="x\n\n\n y", language="kk_KZ", tags=["a", "a"]
    )
    CleanPipeline().process_item(item)
    once = dataclasses.replace(item, tags=list(item.tags))
    CleanPipeline().process_item(item)
    assert item == once


def test_clean_keeps_given_word_count_and_hash() -> None:
    item = clean_article(word_count=7, content_hash="f" * 64)
    CleanPipeline().process_item(item)
    assert (item.word_count, item.content_hash) == (7, "f" * 64)


def test_clean_keeps_unreadable_values_for_validation_to_name() -> None:
    item = clean_article(language="en", published_at="вчера")
    CleanPipeline().process_item(item)
    assert (item.language, item.published_at) == ("en", "вчера")


def test_clean_works_on_dict_items() -> None:
    item = {"url": "https://bm.kz/x/#c", "title": "Заголовок ", "body": "Текст"}
    CleanPipeline().process_item(item)
    assert item["url"] == "https://bm.kz/x/"
    assert item["word_count"] == 1
    assert "tags" not in item  # fields a dict item lacks stay absent


# --- ValidatePipeline ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("change", "reason", "message"),
    [
        ({"published_at": None}, "missing_published_at", "missing published_at: https://bm.kz/novost/"),
        ({"title": None}, "missing_title", "missing title: https://bm.kz/novost/"),
        ({"body": ""}, "missing_body", "missing body: https://bm.kz/novost/"),
        ({"url": None}, "missing_url", "missing url: (no url)"),
        ({"language": None}, "missing_language", "missing language"),
        ({"language": "en"}, "invalid_language", "invalid language: https://bm.kz/novost/ ('en')"),
        ({"published_at": "вчера"}, "invalid_published_at", "invalid published_at"),
        ({"modified_at": "2025-13-45"}, "invalid_modified_at", "invalid modified_at"),
    ],
)
def test_validate_drops_with_a_reason(change: dict[str, Any], reason: str, message: str, caplog: Any) -> None:
    crawler = make_crawler()
    pipeline = ValidatePipeline.from_crawler(crawler)
    with pytest.raises(DropItem, match=message.replace("(", r"\(").replace(")", r"\)")):
        pipeline.process_item(dataclasses.replace(clean_article(), **change))
    assert stat(crawler, f"bmkz/dropped/{reason}") == 1
    assert any(reason in record.getMessage() for record in caplog.records)


def test_validate_passes_a_valid_item() -> None:
    item = clean_article(language="kk")
    assert ValidatePipeline.from_crawler(make_crawler()).process_item(item) is item


# --- DedupePipeline ------------------------------------------------------------------------


def dedupe(crawler: Crawler, mode: str | None = None) -> DedupePipeline:
    if mode is not None:
        CrawlPolicy.from_crawler(crawler, CrawlArguments.parse({"mode": mode}))
    pipeline = DedupePipeline.from_crawler(crawler)
    pipeline.open_spider()
    return pipeline


def test_first_export_is_new() -> None:
    crawler = make_crawler()
    item = dedupe(crawler).process_item(clean_article())
    assert item.change == "new"
    assert stat(crawler, "bmkz/new") == 1


@pytest.mark.parametrize(
    ("second", "reason"),
    [
        (clean_article(post_id=202), "duplicate_url"),
        (clean_article("https://bm.kz/?p=101", title="Другой", body="Другой текст"), "duplicate_post_id"),
        (clean_article("https://bm.kz/kopiya/", post_id=303), "duplicate_content_hash"),
    ],
)
def test_duplicates_in_one_run_first_wins(second: Article, reason: str) -> None:
    crawler = make_crawler()
    pipeline = dedupe(crawler)
    pipeline.process_item(clean_article())
    with pytest.raises(DropItem, match=reason.replace("_", " ", 1)):
        pipeline.process_item(second)
    assert stat(crawler, f"bmkz/dropped/{reason}") == 1


def test_same_post_id_in_the_other_language_is_not_a_duplicate() -> None:
    pipeline = dedupe(make_crawler())
    pipeline.process_item(clean_article())
    kazakh = clean_article("https://bm.kz/kz/zhanalyq/", language="kk", title="Тарифтер", body="Мәтін.")
    assert pipeline.process_item(kazakh).change == "new"


def export_earlier(crawler: Crawler, *items: Article) -> None:
    state_store_for(crawler).mark_exported(items, "2025-11-07T06:00:00+00:00")


def test_unchanged_since_last_export_is_dropped() -> None:
    crawler = make_crawler()
    export_earlier(crawler, clean_article())
    with pytest.raises(DropItem, match="unchanged"):
        dedupe(crawler).process_item(clean_article())
    assert stat(crawler, "bmkz/unchanged") == 1
    assert stat(crawler, "bmkz/new") == 0


def test_new_text_is_updated() -> None:
    crawler = make_crawler()
    export_earlier(crawler, clean_article())
    edited = clean_article(
        body="Исправленный текст.", content_hash=content_hash("Маслихат утвердил тарифы", "Исправленный текст.")
    )
    assert dedupe(crawler).process_item(edited).change == "updated"
    assert stat(crawler, "bmkz/updated") == 1


def test_new_modified_at_is_updated_even_with_the_same_text() -> None:
    crawler = make_crawler()
    export_earlier(crawler, clean_article(modified_at="2025-11-07T12:00:00+05:00"))
    pipeline = dedupe(crawler)
    assert pipeline.process_item(clean_article(modified_at="2025-11-08T12:00:00+05:00")).change == "updated"


def test_same_modified_instant_in_another_offset_is_unchanged() -> None:
    crawler = make_crawler()
    export_earlier(crawler, clean_article(modified_at="2025-11-07T12:00:00+05:00"))
    with pytest.raises(DropItem, match="unchanged"):
        dedupe(crawler).process_item(clean_article(modified_at="2025-11-07T07:00:00+00:00"))


def test_page_that_stops_stating_modified_at_is_not_an_edit() -> None:
    crawler = make_crawler()
    export_earlier(crawler, clean_article(modified_at="2025-11-07T12:00:00+05:00"))
    with pytest.raises(DropItem, match="unchanged"):
        dedupe(crawler).process_item(clean_article(modified_at=None))


def test_new_slug_of_an_exported_post_is_found_by_post_id() -> None:
    crawler = make_crawler()
    export_earlier(crawler, clean_article("https://bm.kz/old-slug/"))
    with pytest.raises(DropItem, match="unchanged"):
        dedupe(crawler).process_item(clean_article("https://bm.kz/new-slug/"))


def test_text_exported_under_another_url_is_a_duplicate() -> None:
    crawler = make_crawler()
    export_earlier(crawler, clean_article("https://bm.kz/original/", post_id=None))
    with pytest.raises(DropItem, match="duplicate content_hash"):
        dedupe(crawler).process_item(clean_article("https://bm.kz/copy/", post_id=None))


def test_seen_but_never_exported_is_still_new() -> None:
    crawler = make_crawler()
    state_store_for(crawler).record_seen(clean_article())
    assert dedupe(crawler).process_item(clean_article()).change == "new"


def test_full_mode_exports_unchanged_articles_as_updated() -> None:
    crawler = make_crawler()
    export_earlier(crawler, clean_article())
    pipeline = dedupe(crawler, mode="full")
    assert pipeline.process_item(clean_article()).change == "updated"
    assert pipeline.process_item(clean_article("https://bm.kz/fresh/", post_id=5, title="Новое")).change == "new"
    assert (stat(crawler, "bmkz/unchanged"), stat(crawler, "bmkz/reexported"), stat(crawler, "bmkz/new")) == (1, 1, 1)


def test_full_mode_still_drops_duplicates_within_the_run() -> None:
    pipeline = dedupe(make_crawler(), mode="full")
    pipeline.process_item(clean_article())
    with pytest.raises(DropItem, match="duplicate url"):
        pipeline.process_item(clean_article())


def test_incremental_mode_from_the_spider_argument() -> None:
    crawler = make_crawler()
    export_earlier(crawler, clean_article())
    with pytest.raises(DropItem, match="unchanged"):
        dedupe(crawler, mode="incremental").process_item(clean_article())


# --- ExportMarkerPipeline ------------------------------------------------------------------


def marker(crawler: Crawler) -> ExportMarkerPipeline:
    pipeline = ExportMarkerPipeline.from_crawler(crawler)
    pipeline.open_spider()
    return pipeline


def close_feeds(crawler: Crawler, stored: int = 1, failed: int = 0) -> None:
    """What Scrapy's FeedExporter does when the spider closes."""
    if stored:
        crawler.stats.inc_value("feedexport/success_count/FileFeedStorage", stored)
    if failed:
        crawler.stats.inc_value("feedexport/failed_count/S3FeedStorage", failed)
    crawler.signals.send_catch_log(signals.feed_exporter_closed)


def test_marks_exported_only_when_the_feeds_are_closed() -> None:
    crawler = make_crawler()
    store = state_store_for(crawler)
    pipeline = marker(crawler)
    pipeline.process_item(clean_article())
    pipeline.process_item(clean_article("https://bm.kz/vtoraya/", post_id=7))
    seen = store.lookup("https://bm.kz/novost/")
    assert seen is not None and not seen.exported  # seen at once, not yet exported
    close_feeds(crawler)
    exported = store.lookup("https://bm.kz/novost/")
    assert exported is not None and exported.exported
    assert exported.content_hash == clean_article().content_hash
    assert stat(crawler, "bmkz/exported_marked") == 2


def test_a_failed_feed_marks_nothing() -> None:
    crawler = make_crawler()
    pipeline = marker(crawler)
    pipeline.process_item(clean_article())
    close_feeds(crawler, stored=1, failed=1)
    assert not state_store_for(crawler).lookup("https://bm.kz/novost/").exported
    assert stat(crawler, "bmkz/exported_marked") == 0


def test_without_feeds_nothing_is_marked() -> None:
    crawler = make_crawler(FEEDS={})
    pipeline = marker(crawler)
    pipeline.process_item(clean_article())
    close_feeds(crawler)
    assert not state_store_for(crawler).lookup("https://bm.kz/novost/").exported


def test_marked_articles_are_unchanged_next_time() -> None:
    crawler = make_crawler()
    first = dedupe(crawler)
    pipeline = marker(crawler)
    pipeline.process_item(first.process_item(clean_article()))
    close_feeds(crawler)
    with pytest.raises(DropItem, match="unchanged"):
        dedupe(crawler).process_item(clean_article())


@pytest.mark.parametrize("name", __import__("tests.fixtures.make_expected", fromlist=["page_names"]).page_names())
def test_extractor_output_is_already_clean_so_clean_pipeline_may_trust_it(name: str) -> None:
    from bmkz_crawler.extraction import ArticleExtractor
    from bmkz_crawler.pipelines.clean import clean_article as full_clean
    from tests.fixtures.make_expected import load_page

    article = ArticleExtractor().extract(load_page(name))
    if article is None:
        return
    before = dataclasses.asdict(article)
    assert dataclasses.asdict(full_clean(article)) == before  # full cleaning changes nothing
    crawler = make_crawler()
    assert CleanPipeline.from_crawler(crawler).process_item(article) is article
    assert stat(crawler, "bmkz/clean/trusted") == 1


def test_an_item_not_from_the_extractor_is_cleaned() -> None:
    crawler = make_crawler()
    item = clean_article(title="  Заголовок\u00a0 новости ")
    CleanPipeline.from_crawler(crawler).process_item(item)
    assert item.title == "Заголовок новости" and not stat(crawler, "bmkz/clean/trusted")
