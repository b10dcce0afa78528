"""Link finders and spider arguments on site variants the mirror does not render."""

from __future__ import annotations

import pytest
from scrapy.http import HtmlResponse, XmlResponse

from bmkz_crawler.extraction.links import PageLinks, article_url, feed_cards, is_asset, sitemap_entries
from bmkz_crawler.spiders.arguments import CrawlArguments


def page(html: str, url: str = "https://bm.kz/") -> PageLinks:
    return PageLinks(HtmlResponse(url=url, body=html.encode("utf-8"), encoding="utf-8"))


def test_menu_in_theme_markup() -> None:
    links = page('<div class="navigation-main"><a href="/">Главная</a><a href="/category/politika/">Политика</a></div>')
    assert links.menu_sections() == (
        [("Главная", "https://bm.kz/"), ("Политика", "https://bm.kz/category/politika/")],
        "theme",
    )


def test_menu_falls_back_to_category_links_anywhere() -> None:
    html = '<footer><ul><li><a href="https://bm.kz/category/sport/">Спорт</a></li><li><a href="https://facebook.com/category/x/">FB</a></li></ul></footer>'
    sections, how = page(html).menu_sections()
    assert sections == [("Спорт", "https://bm.kz/category/sport/")]
    assert how == "fallback3"


@pytest.mark.parametrize(
    ("html", "expected"),
    [
        ('<a href="/kz/">QAZ</a>', {"kk": "https://bm.kz/kz/"}),
        ('<a href="https://kz.bm.kz/">Қазақша</a>', {"kk": "https://kz.bm.kz/"}),
        ('<link rel="alternate" hreflang="kk" href="https://bm.kz/kk/">', {"kk": "https://bm.kz/kk/"}),
        ('<a href="https://bm.kz/">RUS</a>', {"ru": "https://bm.kz/"}),
        ('<a href="https://other.kz/">QAZ</a>', {}),
    ],
)
def test_language_switch_variants(html: str, expected: dict[str, str]) -> None:
    assert page(html).language_switch() == expected


def test_cards_skip_widgets_and_keep_dates_and_excerpts() -> None:
    html = (
        '<main><article class="l-post"><h2 class="post-title"><a href="/a/?utm_source=x#c">A</a></h2>'
        '<time datetime="2024-02-29T23:30:00+06:00">29</time><div class="excerpt"><p>Лид…</p></div></article></main>'
        '<aside><article class="l-post"><h4 class="post-title"><a href="/top/">Top</a></h4></article></aside>'
    )
    [card] = page(html, "https://bm.kz/category/x/").cards()
    assert card.url == "https://bm.kz/a/"
    assert card.published.isoformat() == "2024-02-29T23:30:00+06:00"
    assert card.excerpt == "Лид…"


def test_cards_without_article_elements_use_headline_links() -> None:
    html = '<div class="list"><h2 class="entry-title"><a href="/b/">B</a></h2><h2 class="entry-title"><a href="/c/">C</a></h2></div>'
    assert [c.url for c in page(html).cards()] == ["https://bm.kz/b/", "https://bm.kz/c/"]


def test_cards_of_a_theme_nobody_described_are_any_article_with_an_on_site_headline() -> None:
    html = (
        '<main><article class="card"><h2 class="card__title"><a href="/a/">A</a></h2>'
        '<time datetime="2025-11-07T10:00:00+05:00">7 ноября</time><p class="card__excerpt">Первая.</p></article>'
        '<article class="card"><h3><a href="https://other.kz/b/">B</a></h3></article></main>'
        '<aside><article class="card"><h2><a href="/c/">C</a></h2></article></aside>'
    )
    cards, how = page(html).cards_with_source()
    assert how == "fallback3"
    assert [(c.url, c.excerpt) for c in cards] == [("https://bm.kz/a/", "Первая.")]
    assert cards[0].published is not None


@pytest.mark.parametrize(
    ("html", "url", "expected"),
    [
        ('<nav class="main-pagination"><a class="next page-numbers" href="/category/x/page/3/">›</a></nav>',
         "https://bm.kz/category/x/page/2/", "https://bm.kz/category/x/page/3/"),
        ('<link rel="next" href="https://bm.kz/category/x/?paged=2">', "https://bm.kz/category/x/", "https://bm.kz/category/x/?paged=2"),
        ('<a class="page-numbers" href="/category/x/page/2/">2</a><a class="page-numbers" href="/category/x/page/3/">3</a>',
         "https://bm.kz/category/x/page/2/", "https://bm.kz/category/x/page/3/"),
        ('<a class="page-numbers" href="/category/x/page/2/">2</a>', "https://bm.kz/category/x/page/2/", None),
    ],
)  # fmt: skip
def test_next_archive_page(html: str, url: str, expected: str | None) -> None:
    assert page(html, url).next_page() == expected


def test_assets_and_amp_copies() -> None:
    assert is_asset("https://bm.kz/wp-content/uploads/2025/11/a.jpg")
    assert is_asset("https://bm.kz/files/report.PDF")
    assert not is_asset("https://bm.kz/v-astane-proshel-forum/")
    assert article_url("https://bm.kz/a/amp/?utm_source=tg") == "https://bm.kz/a/"


def test_rss_items_and_sitemap_entries() -> None:
    rss = """<?xml version="1.0"?><rss version="2.0"><channel><item><title>T</title>
    <link>https://bm.kz/a/?utm_medium=rss</link><pubDate>Fri, 07 Nov 2025 05:15:00 +0000</pubDate>
    <description><![CDATA[<p>Лид</p> [&#8230;]]]></description></item></channel></rss>""".encode()
    [card] = feed_cards(XmlResponse(url="https://bm.kz/feed/", body=rss))
    assert card.url == "https://bm.kz/a/" and card.published.isoformat() == "2025-11-07T05:15:00+00:00"
    index = b"""<?xml version="1.0"?><sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
    <sitemap><loc>https://bm.kz/post-sitemap.xml</loc><lastmod>2025-11-07T05:15:00+00:00</lastmod></sitemap></sitemapindex>"""
    [entry] = sitemap_entries(XmlResponse(url="https://bm.kz/sitemap_index.xml", body=index))
    assert entry.is_index and entry.url == "https://bm.kz/post-sitemap.xml"


def test_sections_are_chosen_by_name_or_slug() -> None:
    args = CrawlArguments.parse({"sections": "Политика, sport"})
    assert args.wants_section("Политика", "https://bm.kz/category/politika/")
    assert args.wants_section("Спорт", "https://bm.kz/category/sport/")
    assert not args.wants_section("Мир", "https://bm.kz/category/mir/")


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ({"lang": "en"}, "lang='en' is not accepted"),
        ({"sources": "menu,twitter"}, "sources=twitter is not accepted"),
        ({"since": "2025-13-01"}, "since='2025-13-01' is not accepted"),
        ({"since": "2025-02-01", "until": "2025-01-01"}, "is after until"),
        ({"max_articles": "0"}, "max_articles=0 is not accepted"),
        ({"mode": "fast"}, "mode='fast' is not accepted"),
    ],
)
def test_bad_arguments_say_what_is_accepted(raw: dict[str, str], message: str) -> None:
    with pytest.raises(ValueError, match=message.replace("(", r"\(")):
        CrawlArguments.parse(raw)


def test_until_date_includes_the_whole_day() -> None:
    args = CrawlArguments.parse({"until": "2025-11-07"})
    assert args.until is not None and args.until.isoformat().startswith("2025-11-07T23:59:59")
