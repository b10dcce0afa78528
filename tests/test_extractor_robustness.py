"""Bad input never crashes extraction: it is counted, and weaker sources are used and counted."""

from __future__ import annotations

import logging

from scrapy.http import HtmlResponse
from scrapy.statscollectors import MemoryStatsCollector
from scrapy.utils.test import get_crawler

from bmkz_crawler.extraction import ArticleExtractor

URL = "https://bm.kz/some-article/"


def stats() -> MemoryStatsCollector:
    return MemoryStatsCollector(get_crawler())


def page(html: str, url: str = URL) -> HtmlResponse:
    return HtmlResponse(url=url, body=html.encode("utf-8"), encoding="utf-8")


def post(
    body_inner: str = "<p>Текст статьи.</p>", head: str = "", body_class: str = "single single-post postid-7"
) -> str:
    return (
        f'<html lang="ru-RU"><head>{head}</head><body class="{body_class}">'
        '<article id="post-7" class="post type-post"><div class="the-post-header">'
        '<h1 class="is-title post-title">Заголовок</h1>'
        '<time class="post-date" datetime="2025-01-02T03:04:05+05:00">2 января, 2025</time></div>'
        f'<div class="post-content entry-content">{body_inner}</div></article></body></html>'
    )


def test_listing_page_is_not_an_article_and_is_counted() -> None:
    collector = stats()
    html = '<html><body class="archive category category-politika"><article class="l-post"><h2 class="post-title"><a href="/a/">A</a></h2></article></body></html>'
    assert ArticleExtractor(collector).extract(page(html)) is None
    assert collector.get_value("article/not_article") == 1


def test_wordpress_static_page_with_og_article_is_not_an_article() -> None:
    html = '<html><head><meta property="og:type" content="article"></head><body class="page-template-default page page-id-12"><h1>О нас</h1></body></html>'
    assert ArticleExtractor().extract(page(html)) is None


def test_article_without_body_classes_is_recognized_by_metadata() -> None:
    head = (
        '<meta property="og:type" content="article">'
        '<script type="application/ld+json">{"@context":"https://schema.org","@type":"NewsArticle","headline":"Из JSON-LD",'
        '"datePublished":"2025-01-02T00:00:00+00:00"}</script>'
    )
    article = ArticleExtractor().extract(page(post(head=head, body_class="")))
    assert article is not None
    assert article.title == "Из JSON-LD"
    assert article.published_at == "2025-01-02T05:00:00+05:00"


def test_malformed_json_ld_is_counted_and_markup_used() -> None:
    collector = stats()
    head = '<script type="application/ld+json">{"@graph": [{"@type": "NewsArticle", "headline": </script>'
    article = ArticleExtractor(collector).extract(page(post(head=head)))
    assert article is not None and article.title == "Заголовок"
    assert collector.get_value("article/jsonld_malformed") == 1
    assert collector.get_value("article/title/markup") == 1


def test_json_ld_with_unexpected_shapes_does_not_crash() -> None:
    head = (
        '<script type="application/ld+json">[{"@type": ["NewsArticle"], "headline": ["Список"], "image": ['
        '{"@id": "#img"}], "author": 5, "datePublished": 12345}, {"@id": "#img", "url": "https://bm.kz/a.jpg"}]</script>'
        '<script type="application/ld+json">"just a string"</script><script type="application/ld+json"></script>'
    )
    article = ArticleExtractor().extract(page(post(head=head)))
    assert article is not None
    assert article.title == "Список"
    assert article.image_url == "https://bm.kz/a.jpg"
    assert article.published_at == "2025-01-02T03:04:05+05:00"  # the bad JSON-LD date falls through


def test_body_in_an_unknown_container_comes_from_a_generic_layer_and_is_counted() -> None:
    collector = stats()
    html = post("<p>Текст статьи, достаточно длинный абзац.</p>" * 12).replace(
        "post-content entry-content", "something-else"
    )
    article = ArticleExtractor(collector).extract(page(html))
    assert article is not None and article.body.startswith("Текст статьи")
    assert collector.get_value("article/body/generic") == 1
    assert collector.get_value("article/body/generic_example") == URL


def test_no_body_anywhere_leaves_body_empty_and_counts_it() -> None:
    collector = stats()
    html = post("").replace("post-content entry-content", "something-else")
    article = ArticleExtractor(collector).extract(page(html))
    assert article is not None and article.body is None
    assert collector.get_value("article/body/missing") == 1


def test_odd_whitespace_and_entities_in_markup() -> None:
    body = "<p>\u00a0Первый&nbsp;&nbsp;абзац&#8203;\r\n с переносом&hellip;</p><p>&nbsp;</p><div>Свободный текст<br><br>второй кусок</div>"
    article = ArticleExtractor().extract(page(post(body)))
    assert article is not None
    assert article.body == "Первый абзац с переносом…\n\nСвободный текст\n\nвторой кусок"


def test_posts_written_without_paragraph_tags_still_have_blocks() -> None:
    article = ArticleExtractor().extract(page(post("Строка один.<br><br>Строка два.<p>Абзац.</p>Хвост.")))
    assert article is not None
    assert article.body == "Строка один.\n\nСтрока два.\n\nАбзац.\n\nХвост."


def test_read_also_variants_are_not_body_text() -> None:
    body = (
        '<p>Текст.</p><p>Читайте также: <a href="/x/">Другая статья</a></p>'
        '<p><em>Оқи отырыңыз:</em> <a href="https://bm.kz/kz/y/">Басқа мақала</a></p>'
        '<p><a href="https://bm.kz/z/">Ссылка на другую статью сайта</a></p>'
        '<p>Подробнее в <a href="https://gov.kz/doc">документе</a>.</p>'
    )
    article = ArticleExtractor().extract(page(post(body)))
    assert article is not None
    assert article.body == "Текст.\n\nПодробнее в документе."


def test_printed_date_is_the_weakest_source_and_is_logged(caplog) -> None:
    caplog.set_level(logging.WARNING, logger="bmkz_crawler")
    collector = stats()
    html = post().replace(' datetime="2025-01-02T03:04:05+05:00"', "")
    article = ArticleExtractor(collector).extract(page(html))
    assert article is not None and article.published_at == "2025-01-02T00:00+05:00"
    assert collector.get_value("article/published_at/printed") == 1
    assert "weakest source" in caplog.text and URL in caplog.text


def test_missing_required_field_is_logged(caplog) -> None:
    caplog.set_level(logging.WARNING, logger="bmkz_crawler")
    html = post().replace("<time", "<span").replace("</time>", "</span>").replace("2 января, 2025", "")
    article = ArticleExtractor().extract(page(html))
    assert article is not None and article.published_at is None
    assert "Required field 'published_at' not found" in caplog.text


def test_empty_and_garbage_documents() -> None:
    collector = stats()
    for html in ("", "   ", "\x00\x01 not html at all", "<html><body></body></html>"):
        assert ArticleExtractor(collector).extract(page(html)) is None


def test_language_falls_back_to_og_locale() -> None:
    html = post(head='<meta property="og:locale" content="kk_KZ">').replace(' lang="ru-RU"', "")
    article = ArticleExtractor().extract(page(html))
    assert article is not None and article.language == "kk"


def test_views_fall_back_to_this_articles_entry_in_a_most_read_widget() -> None:
    widget = (
        '<ul><li id="posts-2" class="widget widget-posts"><ul>'
        '<li><a href="https://bm.kz/other/">Другая</a><span class="post-views">9 999 просмотров</span></li>'
        f'<li><a href="{URL}?utm_source=top">Эта</a><span class="post-views">4\u00a0518 просмотра</span></li>'
        "</ul></li></ul>"
    )
    article = ArticleExtractor().extract(page(post().replace("</body>", widget + "</body>")))
    assert article is not None and article.views == 4518


def test_text_nested_deeper_than_the_parser_allows_is_kept_and_counted(caplog) -> None:
    caplog.set_level(logging.WARNING, logger="bmkz_crawler")
    collector = stats()
    depth = 100_000
    deep = "<div>" * depth + "<p>Глубоко вложенный абзац статьи.</p>" + "</div>" * depth
    article = ArticleExtractor(collector).extract(page(post(f"<p>Начало.</p>{deep}<p>Конец статьи.</p>")))
    assert article is not None
    assert article.body == "Начало.\n\nГлубоко вложенный абзац статьи.\n\nКонец статьи."
    assert collector.get_value("article/deep_nesting_flattened") == 1
    assert "nested too deep" in caplog.text and URL in caplog.text


def test_text_nested_within_the_parsers_limit_is_read_as_it_is() -> None:
    collector = stats()
    deep = "<div>" * 200 + "<p>Абзац на глубине двухсот.</p>" + "</div>" * 200
    article = ArticleExtractor(collector).extract(page(post(f"<p>Начало.</p>{deep}<p>Конец.</p>")))
    assert article is not None and article.body == "Начало.\n\nАбзац на глубине двухсот.\n\nКонец."
    assert collector.get_value("article/deep_nesting_flattened") is None


def test_nesting_too_deep_even_without_wrapper_tags_is_counted_not_silent(caplog) -> None:
    caplog.set_level(logging.WARNING, logger="bmkz_crawler")
    collector = stats()
    deep = "<ul><li>" * 5000 + "Пункт" + "</li></ul>" * 5000
    ArticleExtractor(collector).extract(page(post(f"<p>Начало.</p>{deep}")))
    assert collector.get_value("article/body/too_deep") == 1
    assert "text past the limit is lost" in caplog.text
