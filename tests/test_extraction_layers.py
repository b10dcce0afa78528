"""The extraction layers: profile choice, generic fallbacks, field isolation, hostile metadata."""

from __future__ import annotations

import json
import logging

import pytest
from lxml import etree
from scrapy.http import HtmlResponse
from scrapy.statscollectors import MemoryStatsCollector
from scrapy.utils.test import get_crawler

from bmkz_crawler.extensions import markup_drift
from bmkz_crawler.extraction import ArticleExtractor
from bmkz_crawler.extraction.article import PROFILES, SmartMagYoast, _Page, generic_body_skip
from bmkz_crawler.extraction.body import collect_body
from bmkz_crawler.extraction.generic import clean_name, split_names

URL = "https://bm.kz/some-article/"
TEXT = "<p>Первый абзац статьи, в нём достаточно слов для настоящего текста.</p>" * 6


def stats() -> MemoryStatsCollector:
    return MemoryStatsCollector(get_crawler())


def page(html: str, url: str = URL) -> HtmlResponse:
    return HtmlResponse(url=url, body=html.encode("utf-8"), encoding="utf-8")


def smartmag(body: str = TEXT, head: str = "", extra: str = "") -> str:
    return (
        f'<html lang="ru-RU"><head>{head}</head><body class="single single-post postid-7">'
        '<article id="post-7" class="post type-post"><div class="the-post-header">'
        '<h1 class="is-title post-title">Заголовок</h1>'
        '<span class="meta-item post-author"><a rel="author" href="/author/a/">Алия Сапарова</a></span>'
        '<time class="post-date" datetime="2025-01-02T03:04:05+05:00">2 января, 2025</time></div>'
        f'<div class="post-content entry-content">{body}</div>{extra}</article></body></html>'
    )


def test_smartmag_page_is_read_by_its_profile_and_counted() -> None:
    collector = stats()
    article = ArticleExtractor(collector).extract(page(smartmag()))
    assert article is not None and article.authors == ["Алия Сапарова"]
    assert collector.get_value("article/profile/smartmag_yoast") == 1
    assert collector.get_value("article/body/markup") == 1


def test_profile_none_reads_the_same_page_through_generic_layers() -> None:
    collector = stats()
    article = ArticleExtractor(collector, profile="none").extract(page(smartmag()))
    assert article is not None and article.body.startswith("Первый абзац")
    assert article.authors == ["Алия Сапарова"]
    assert collector.get_value("article/profile/generic") == 1
    assert collector.get_value("article/body/generic") == 1


def test_unknown_profile_name_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown profile"):
        ArticleExtractor(profile="wordpress-2030")


def test_a_profile_subclass_that_overrides_class_selectors_just_works() -> None:
    class Redesign(SmartMagYoast):
        name = "smartmag_yoast_v2"
        TAG_CLASS = "post-tags-v2"
        RELATED_CLASS = "more-posts"
        WIDGET_CLASS = "sidebar-box"
        CONTENT_SCOPES = (("article-text",),)

    html = smartmag(extra='<div class="post-tags-v2"><a href="/tag/x/">Тег</a></div>').replace(
        "post-content entry-content", "article-text"
    )
    extractor = ArticleExtractor()
    PROFILES[Redesign.name] = Redesign
    try:
        article = ArticleExtractor(profile=Redesign.name).extract(page(html))
    finally:
        del PROFILES[Redesign.name]
    assert article is not None and article.tags == ["Тег"] and article.body.startswith("Первый абзац")
    assert extractor.profile == "auto"


def test_an_exception_in_one_field_costs_that_source_only(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(self: _Page) -> list:
        def explode() -> None:
            raise RuntimeError("selector blew up")

        return [("markup", explode)]

    monkeypatch.setattr(_Page, "tags_candidates", broken)
    monkeypatch.setattr(_Page, "authors_candidates", broken)
    collector = stats()
    article = ArticleExtractor(collector).extract(page(smartmag()))
    assert article is not None and article.title == "Заголовок" and article.body
    assert article.authors == ["Алия Сапарова"]  # the generic byline layer still reads it
    assert collector.get_value("article/tags/error") == 1
    assert collector.get_value("article/authors/error") == 1


def test_json_ld_nested_100000_deep_costs_that_block_only() -> None:
    deep = "[" * 100_000 + "]" * 100_000
    collector = stats()
    head = f'<script type="application/ld+json">{deep}</script>'
    article = ArticleExtractor(collector).extract(page(smartmag(head=head)))
    assert article is not None and article.title == "Заголовок"
    assert collector.get_value("article/jsonld_malformed") == 1


def test_json_ld_of_9_mb_is_skipped_and_counted() -> None:
    huge = json.dumps({"@type": "NewsArticle", "headline": "x" * 9_000_000})
    collector = stats()
    article = ArticleExtractor(collector).extract(
        page(smartmag(head=f'<script type="application/ld+json">{huge}</script>'))
    )
    assert article is not None and article.title == "Заголовок"
    assert collector.get_value("article/jsonld_oversized") == 1


def test_an_organization_named_only_in_json_ld_is_never_an_author() -> None:
    graph = {"@type": "NewsArticle", "headline": "Заголовок", "datePublished": "2025-01-02T00:00:00+00:00",
             "author": {"@type": "Organization", "name": "Редакция BM.KZ"}}  # fmt: skip
    html = (
        f'<html lang="ru"><head><script type="application/ld+json">{json.dumps(graph)}</script></head>'
        f"<body><article><h1>Заголовок</h1><div>{TEXT}</div><p>Редакция BM.KZ</p></article></body></html>"
    )
    article = ArticleExtractor().extract(page(html))
    assert article is not None and article.authors == []


def test_a_json_ld_person_printed_in_the_byline_region_counts() -> None:
    graph = {"@type": "Article", "headline": "Заголовок", "datePublished": "2025-01-02T00:00:00+00:00",
             "author": [{"@type": "Person", "name": "Иван Петров"}]}  # fmt: skip
    html = (
        f'<html lang="kk-KZ"><head><script type="application/ld+json">{json.dumps(graph)}</script></head>'
        f'<body><article><h1>Заголовок</h1><div class="meta"><span class="writer">Иван Петров</span></div>'
        f"<div>{TEXT}<p>Иван Петров</p></div></article></body></html>"
    )
    collector = stats()
    article = ArticleExtractor(collector).extract(page(html))
    assert article is not None and article.authors == ["Иван Петров"] and article.language == "kk"
    assert collector.get_value("article/authors/generic_metadata_printed") == 1


def test_home_page_with_many_article_nodes_is_not_an_article() -> None:
    nodes = [{"@type": "NewsArticle", "headline": f"Новость {i}"} for i in range(5)]
    html = f'<html><head><script type="application/ld+json">{json.dumps(nodes)}</script></head><body><h1>Главная</h1>{TEXT}</body></html>'
    assert ArticleExtractor().extract(page(html)) is None


@pytest.mark.parametrize(
    ("text", "names"),
    [
        ("Автор: Алия Сапарова", ["Алия Сапарова"]),
        ("By Jane Roe and John Doe", ["Jane Roe", "John Doe"]),
        ("Авторы: Иван Петров, Алия Сапарова", ["Иван Петров", "Алия Сапарова"]),
        ("7 ноября 2025", []),
    ],
)
def test_byline_text_is_split_into_names(text: str, names: list[str]) -> None:
    assert split_names(text) == names


def test_clean_name_refuses_what_is_not_a_name() -> None:
    assert clean_name("https://bm.kz/author/a/") is None
    assert clean_name("Все новости этого автора за последние несколько лет на сайте") is None


def test_markup_drift_names_the_field_its_share_and_an_example(caplog: pytest.LogCaptureFixture) -> None:
    counts = {"article/extracted": 10, "article/body/generic": 7, "article/body/markup": 3,
              "article/body/generic_example": URL, "article/title/jsonld": 10}  # fmt: skip
    lines = markup_drift(counts, 0.5)
    assert lines == [f"body from a generic layer on 70% (7/10), e.g. {URL}"]
    assert markup_drift({**counts, "article/body/generic": 4}, 0.5) == []
    logging.getLogger(__name__).info("%s", lines)


def test_markup_drift_says_when_no_site_profile_matched_most_articles() -> None:
    counts = {"article/extracted": 10, "article/profile/generic": 6, "article/profile/smartmag_yoast": 4,
              "article/profile/generic_example": URL}  # fmt: skip
    assert markup_drift(counts, 0.5) == [f"no site profile matched 60% of articles (6/10), e.g. {URL}"]
    assert markup_drift({**counts, "article/profile/generic": 5}, 0.5) == []


def unknown_theme(body: str = TEXT, after: str = "", sidebar: str = "") -> str:
    return (
        '<html lang="ru-RU"><head><meta property="og:type" content="article"></head>'
        '<body class="single single-post postid-9"><main><article class="story">'
        '<header><a href="/category/politika/" rel="category tag">Политика</a><h1>Заголовок</h1>'
        '<time datetime="2025-01-02T03:04:05+05:00">2 января</time><span class="story__views">1 204 просмотра</span>'
        f'</header><div class="story__text">{body}</div>'
        '<footer><a href="/tag/ekonomika/" rel="tag">Экономика</a></footer></article>'
        f"{after}</main><aside>{sidebar}</aside></body></html>"
    )


def test_generic_tags_leave_out_the_category_label_wordpress_marks_rel_category_tag() -> None:
    article = ArticleExtractor(stats(), profile="none").extract(page(unknown_theme()))
    assert article is not None and article.tags == ["Экономика"] and article.category == "Политика"


def test_generic_related_links_by_class_or_by_heading_and_counted() -> None:
    by_class = '<div class="story-related"><a href="/b/">B</a><a href="https://x.kz/c/">C</a></div>'
    by_heading = '<section><h2>Продолжай читать</h2><div><a href="/d/">D</a></div></section>'
    collector = stats()
    article = ArticleExtractor(collector, profile="none").extract(page(unknown_theme(after=by_class)))
    assert article.related_urls == ["https://bm.kz/b/"]
    assert collector.get_value("article/related_urls/generic") == 1
    article = ArticleExtractor(collector, profile="none").extract(page(unknown_theme(after=by_heading)))
    assert article.related_urls == ["https://bm.kz/d/"]
    assert collector.get_value("article/related_urls/generic_heading") == 1


def test_generic_views_in_the_article_or_beside_its_own_link_in_a_most_read_list() -> None:
    article = ArticleExtractor(stats(), profile="none").extract(page(unknown_theme()))
    assert article.views == 1204
    widget = (
        '<ol><li><a href="/other/">O</a><span class="top__views">9 просмотров</span></li>'
        f'<li><a href="{URL}">Me</a><span class="top__views">77 просмотров</span></li></ol>'
    )
    html = unknown_theme(sidebar=widget).replace('<span class="story__views">1 204 просмотра</span>', "")
    collector = stats()
    assert ArticleExtractor(collector, profile="none").extract(page(html)).views == 77
    assert collector.get_value("article/views/generic_widget") == 1


def test_a_short_article_keeps_its_own_paragraphs_not_the_header_trafilatura_takes_in() -> None:
    short = "<p>Астана. 7 ноября. BM.KZ – Встреча прошла в столице.</p><p>Стороны обсудили планы на год.</p>"
    collector = stats()
    article = ArticleExtractor(collector, profile="none").extract(page(unknown_theme(body=short)))
    assert article is not None
    assert article.body == "Астана. 7 ноября. BM.KZ – Встреча прошла в столице.\n\nСтороны обсудили планы на год."
    assert article.dateline == "Астана"


def test_generic_title_is_og_title_with_its_kicker_and_without_the_site_name_segment() -> None:
    head = (
        '<meta property="og:site_name" content="Вечерний город">'
        '<meta property="og:title" content="Выборы / Итоги голосования в регионах | Вечерний город | Иван Петров">'
        '<script type="application/ld+json">{"@type": "NewsArticle", "headline": "Итоги голосования в регионах"}'
        "</script>"
    )
    html = unknown_theme().replace("<head>", f"<head>{head}")
    collector = stats()
    article = ArticleExtractor(collector, profile="none").extract(page(html))
    assert article is not None and article.title == "Выборы / Итоги голосования в регионах"
    assert collector.get_value("article/title/meta") == 1


def no_metadata_page(date: str = '<p class="date">15 августа 2016, 13:43</p>', head: str = "") -> str:
    """A page with no og:type, no JSON-LD, no <time>: only what it prints (an ASP.NET form around all)."""
    return (
        f"<html><head><title>Сборная: итоги сезона</title>{head}</head><body><form><nav><a href='/'>Главная</a></nav>"
        f'<article class="author-article"><p class="rubric">Спорт</p>{date}<h1>Сборная: итоги сезона</h1>'
        '<div class="article-photo"><img src="/a.jpg"><div class="photo-text">'
        '<span class="author">Фото из архива клуба</span></div></div>'
        f'<div class="article-text">{TEXT}</div></article><footer>© Редакция</footer></form></body></html>'
    )


def test_a_page_without_metadata_is_an_article_by_its_headline_printed_date_and_text() -> None:
    collector = stats()
    article = ArticleExtractor(collector, profile="none").extract(page(no_metadata_page()))
    assert article is not None and article.title == "Сборная: итоги сезона"
    assert article.published_at == "2016-08-15T13:43+06:00"
    assert collector.get_value("article/published_at/generic_printed") == 1
    assert article.body.startswith("Первый абзац") and "Фото" not in article.body
    assert article.authors == []  # a photo credit's `.author` and the `article.author-article` are no byline


def test_a_page_without_metadata_or_a_printed_date_is_not_an_article() -> None:
    assert ArticleExtractor(stats(), profile="none").extract(page(no_metadata_page(date=""))) is None
    not_a_date = '<p class="date">Обновляется ежедневно</p>'
    assert ArticleExtractor(stats(), profile="none").extract(page(no_metadata_page(date=not_a_date))) is None
    website = '<meta property="og:type" content="website">'
    assert ArticleExtractor(stats(), profile="none").extract(page(no_metadata_page(head=website))) is None


def test_a_guessed_body_block_leaves_out_headline_lead_figure_teasers_galleries_and_read_also_lines() -> None:
    inner = (
        '<div class="story__head"><p class="kicker">Экономика</p><h1>Заголовок</h1><p>2 января 2025</p></div>'
        '<figure><img src="/lead.jpg"><figcaption>Фото: архив редакции</figcaption></figure>'
        "<p>Первый абзац статьи.</p>"
        '<div class="story__shortcode-relatedarticleinline"><h2>Read Next</h2><a href="/x/">Другая статья</a></div>'
        '<div class="post_td_gallery"><figure><figcaption>1 of 6</figcaption></figure></div>'
        '<p><strong>ALSO READ:</strong> <a href="https://other.example/y/">Ещё одна статья</a></p>'
        '<figure><img src="/inline.jpg"><figcaption>Подпись к снимку в тексте</figcaption></figure>'
        "<p>Последний абзац статьи.</p>"
    )
    container = etree.fromstring(f'<div class="story__content">{inner}</div>', etree.HTMLParser()).find(".//div")
    blocks, read_also = collect_body(container, URL, generic_body_skip(container))
    # A figure inside the text keeps its caption; the lead figure's caption is image_caption.
    assert blocks == ["Первый абзац статьи.", "Подпись к снимку в тексте", "Последний абзац статьи."]
    assert read_also == 1


@pytest.mark.parametrize("css_class", ["singlepostmeta", "entry-meta", "post-meta clearfix", "entry-footer"])
def test_a_guessed_body_block_leaves_out_the_posts_metadata_line(css_class: str) -> None:
    """ "By X on 21/02/2021. Filed under Y": who and when come from their own sources, not the text."""
    inner = (
        "<p>Первый абзац статьи.</p><p>Последний абзац статьи.</p>"
        f'<div class="{css_class}">Von <a rel="author" href="/author/x/">Redaktion</a> am 21/02/2021. '
        'Abgelegt unter <a href="/category/israel/">Israel</a>.</div>'
    )
    container = etree.fromstring(f'<div class="entry-content">{inner}</div>', etree.HTMLParser()).find(".//div")
    blocks, _ = collect_body(container, URL, generic_body_skip(container))
    assert blocks == ["Первый абзац статьи.", "Последний абзац статьи."]
