"""NewsSpider's discovery paths, unit-tested: a real spider on a real Crawler, fed fake responses.

Each callback gets a page in SmartMag markup written out below and is judged by what it yields
(URLs, callbacks, priorities, cb_kwargs) and what it counts. No network, no subprocess: the
crawls of the mirror (tests/test_crawl_site.py and the like) stay the integration tests.
"""

from __future__ import annotations

import asyncio
import gzip
import html
import re
from collections.abc import Iterable, Iterator, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from scrapy import Request
from scrapy.exceptions import CloseSpider
from scrapy.http import HtmlResponse, Response, TextResponse, XmlResponse
from scrapy.spidermiddlewares.httperror import HttpError
from scrapy.utils.test import get_crawler
from twisted.python.failure import Failure

from bmkz_crawler.items import Article
from bmkz_crawler.spiders.news import (
    ARTICLE_PRIORITY,
    DISCOVERY_PRIORITY,
    LISTING_PRIORITY,
    SITEMAP_PRIORITY,
    NewsSpider,
)
from bmkz_crawler.state import open_state_store

BASE = "https://bm.kz/"
KK_HOME = "https://bm.kz/kz/"

RU_MENU = [
    ("Главная", BASE),
    ("Политика", f"{BASE}category/politika/"),
    ("Экономика", f"{BASE}category/ekonomika/"),
    ("Спорт", f"{BASE}category/sport/"),
]
KK_MENU = [
    ("Басты бет", KK_HOME),
    ("Саясат", f"{KK_HOME}category/sayasat/"),
    ("Спорт", f"{KK_HOME}category/sport-kz/"),
]
PARAGRAPHS = [
    "Астана. 7 ноября. BM.KZ – Одной из главных причин проведения саммита стала все более активная "
    "конкуренция за минеральные ресурсы Центральной Азии — при том, что в этом регионе традиционно "
    "доминировали Россия и Китай, передает Русская служба ВВС.",
    "В четверг вечером президент США Дональд Трамп принял в Белом доме лидеров пяти стран Центральной "
    "Азии: Казахстана, Кыргызстана, Таджикистана, Туркменистана и Узбекистана.",
    "Как пишут западные СМИ, во время очередного саммита в формате, известном как «C5+1», глава Белого "
    "дома обсуждал доступ к богатым минеральным ресурсам региона, где уже активно пытаются действовать "
    "Китай и Россия.",
    "Власти Казахстана заявили, что присоединение к соглашениям является «естественным и логичным».",
]


# --- the site's pages, as SmartMag prints them ----------------------------------------------------


def esc(text: str) -> str:
    return html.escape(text, quote=True)


def page(
    *,
    lang: str = "ru-RU",
    switch: tuple[str, str] | None = ("QAZ", KK_HOME),
    menu: list[tuple[str, str]] = RU_MENU,
    head: str = "",
    body_class: str = "home blog right-sidebar",
    main: str = "",
    sidebar: str = "",
) -> str:
    """A whole document: the theme's frame (top bar, header menu, sidebar, footer) around `main`."""
    home = menu[0][1]
    top_bar = '<ul class="menu top-menu">'
    if switch:
        top_bar += f'<li class="menu-item lang-switch"><a href="{switch[1]}">{switch[0]}</a></li>'
    top_bar += f'<li class="menu-item"><a href="{home}o-nas/">О нас</a></li></ul>'
    items = "\n".join(f'<li class="menu-item"><a href="{url}">{esc(name)}</a></li>' for name, url in menu)
    return f"""<!DOCTYPE html>
<html lang="{lang}">
<head>
<meta charset="UTF-8">
<title>BM.KZ</title>
{head}
<link rel="alternate" type="application/rss+xml" title="BM.KZ &raquo; Лента" href="{home}feed/">
<link rel='stylesheet' href='{BASE}wp-content/themes/smart-mag/style.css?ver=10.2.1' type='text/css'>
</head>
<body class="{body_class}">
<div class="main-wrap">
<div class="smart-head smart-head-a smart-head-main" id="smart-head">
<div class="smart-head-row smart-head-top">{top_bar}
<div class="spc-social-block"><a href="https://www.facebook.com/bmkz.news" class="link s-facebook">Facebook</a></div>
</div>
<div class="smart-head-row smart-head-mid">
<a href="{home}" class="logo-link ts-logo"><img src="{BASE}wp-content/uploads/2024/03/logo.png" alt="BM.KZ"></a>
<div class="nav-wrap"><nav class="navigation navigation-main nav-hov-a"><ul class="menu main-menu">
{items}
</ul></nav></div>
</div></div>
<div class="main ts-contain cf right-sidebar"><div class="ts-row">
<div class="col-8 main-content s-post-contain">
{main}
</div>
<aside class="col-4 main-sidebar"><div class="inner">
<div class="widget widget-posts"><div class="block-content"><div class="loop loop-small">{sidebar}</div></div></div>
</div></aside>
</div></div>
<footer class="main-footer"><div class="widget widget_nav_menu">{top_bar}</div></footer>
</div>
</body>
</html>
"""


def card(url: str, title: str, published: str | None = "2025-11-07T10:00:00+05:00", excerpt: str = "") -> str:
    """An `article.l-post` card: title link, date, excerpt."""
    time = f'<time class="post-date" datetime="{published}">7 ноября, 2025</time>' if published else ""
    return (
        '<article class="l-post grid-post grid-base-post"><div class="content">'
        f'<div class="post-meta post-meta-a has-below"><h2 class="is-title post-title"><a href="{url}">{esc(title)}'
        f'</a></h2><div class="post-meta-items meta-below"><span class="meta-item date">{time}</span></div></div>'
        f'<div class="excerpt"><p>{esc(excerpt)}</p></div></div></article>'
    )


def listing(cards: Iterable[str], *, next_url: str | None = None, heading: str = "Политика") -> str:
    """An archive's main column: its heading, its cards, and SmartMag's pagination."""
    pagination = ""
    if next_url:
        pagination = (
            '<nav class="main-pagination pagination-numbers">'
            '<span aria-current="page" class="page-numbers current">1</span>'
            f'<a class="next page-numbers" href="{next_url}"><span class="visuallyhidden">Next</span></a></nav>'
        )
    return (
        f'<div class="archive-head"><h1 class="heading archive-heading">{heading}</h1></div>'
        '<section class="block-wrap block-grid"><div class="block-content"><div class="loop loop-grid grid grid-2">'
        + "\n".join(cards)
        + f"</div></div></section>{pagination}"
    )


def article_page(
    url: str,
    *,
    title: str = "Зачем Трамп встречался с лидерами стран Центральной Азии в Белом доме",
    published: str = "2025-11-07T04:00:00+00:00",
    lang: str = "ru-RU",
    related: Sequence[str] = (),
    post_id: int = 90001,
) -> str:
    """A single post: Yoast's head tags, the post header, the text and the related-posts block."""
    head = (
        f'<link rel="canonical" href="{url}">\n<meta property="og:type" content="article">\n'
        f'<meta property="og:title" content="{esc(title)} - BM.KZ">\n<meta property="og:url" content="{url}">\n'
        f'<meta property="article:published_time" content="{published}">'
    )
    body = "\n".join(f"<p>{esc(text)}</p>" for text in PARAGRAPHS)
    related_cards = "\n".join(
        '<article class="l-post grid-post grid-sm-post"><div class="content"><div class="post-meta">'
        f'<h2 class="is-title post-title"><a href="{link}">Ещё новость {n}</a></h2></div></div></article>'
        for n, link in enumerate(related)
    )
    main = (
        f'<div class="the-post s-post-modern"><article id="post-{post_id}" class="the-post-wrap the-post post '
        'type-post status-publish format-standard"><div class="the-post-header s-head-modern">'
        '<div class="post-meta post-meta-a post-meta-single has-below">'
        f'<h1 class="is-title post-title">{esc(title)}</h1><div class="post-meta-items meta-below">'
        f'<span class="meta-item date"><time class="post-date" datetime="{published}">7 ноября, 2025</time>'
        '</span></div></div></div><div class="post-content-wrap">'
        f'<div class="post-content cf entry-content content-spacious">\n{body}\n</div></div></article></div>'
    )
    if related:
        main += (
            '<section class="related-posts grid-3"><div class="block-head"><h4 class="heading">Похожие новости</h4>'
            f'</div><div class="block-content"><div class="loop loop-grid">{related_cards}</div></div></section>'
        )
    body_class = f"post-template-default single single-post postid-{post_id} single-format-standard right-sidebar"
    return page(lang=lang, head=head, body_class=body_class, main=main)


RU_HOME = page(
    main=listing(
        [
            card(f"{BASE}trump-c5/", "Зачем Трамп встречался с лидерами", excerpt="Одной из главных причин"),
            card(f"{BASE}uran/?utm_source=home&utm_medium=block", "Уран", excerpt="Казахстан является крупнейшим"),
            card("https://evil.kz/stolen/", "Чужая новость", excerpt="Не наша"),
        ],
        heading="Главная",
    ),
    sidebar=card(f"{BASE}popular/", "Популярное в виджете"),
)
KK_HOME_PAGE = page(
    lang="kk-KZ",
    switch=("RUS", BASE),
    menu=KK_MENU,
    main=listing([card(f"{KK_HOME}sammit/", "Саммит", excerpt="Қазақстан")], heading="Басты бет"),
)


def sitemap_index(*children: tuple[str, str]) -> str:
    entries = "".join(f"<sitemap><loc>{url}</loc><lastmod>{lastmod}</lastmod></sitemap>" for url, lastmod in children)
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{entries}</sitemapindex>'
    )


def urlset(*entries: tuple[str, str]) -> str:
    listed = "".join(f"<url><loc>{url}</loc><lastmod>{lastmod}</lastmod></url>" for url, lastmod in entries)
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{listed}</urlset>'
    )


# --- the spider, its responses and what it yields ---------------------------------------------------


def make_spider(settings: dict[str, Any] | None = None, **args: str) -> NewsSpider:
    """A NewsSpider built by a real Crawler (so its policy is registered and its stats exist)."""
    crawler = get_crawler(NewsSpider, settings_dict={"BMKZ_BASE_URL": BASE, **(settings or {})})
    spider = crawler._create_spider(**args)
    assert isinstance(spider, NewsSpider)
    crawler.spider = spider
    return spider


def html_response(url: str, body: str) -> HtmlResponse:
    return HtmlResponse(url, body=body.encode("utf-8"), encoding="utf-8", request=Request(url))


def xml_response(url: str, body: str) -> XmlResponse:
    return XmlResponse(url, body=body.encode("utf-8"), encoding="utf-8", request=Request(url))


def requests_of(output: Iterable[Any]) -> list[Request]:
    yielded = list(output)
    assert all(isinstance(r, Request) for r in yielded), yielded
    return yielded


def by_callback(requests: list[Request], callback: Any) -> list[Request]:
    return [r for r in requests if r.callback == callback]


def urls(requests: list[Request]) -> list[str]:
    return [r.url for r in requests]


def stat(spider: NewsSpider, key: str) -> int:
    return spider.crawler.stats.get_value(key, 0)


def read_home(spider: NewsSpider, url: str = BASE, body: str = RU_HOME, **kwargs: Any) -> list[Request]:
    return requests_of(spider.parse_home(html_response(url, body), **kwargs))


# --- start ---------------------------------------------------------------------------------------


def test_start_asks_for_the_home_page_and_robots_txt_only() -> None:
    async def collect(spider: NewsSpider) -> list[Request]:
        return [request async for request in spider.start()]

    spider = make_spider(mode="full")
    home, robots = asyncio.run(collect(spider))
    assert (home.url, home.callback, home.priority) == (BASE, spider.parse_home, DISCOVERY_PRIORITY)
    assert (robots.url, robots.callback) == (f"{BASE}robots.txt", spider.parse_robots)
    assert robots.meta["dont_obey_robotstxt"] is True
    assert urls(asyncio.run(collect(make_spider(mode="full", sources="menu,feed")))) == [BASE]


# --- home pages: menu, language switch, feeds, cards ----------------------------------------------


def test_home_page_gives_sections_other_edition_feed_and_its_cards_articles() -> None:
    spider = make_spider()
    requests = read_home(spider)
    other = by_callback(requests, spider.parse_home)
    assert urls(other) == [KK_HOME]
    assert other[0].cb_kwargs == {"expected_language": "kk"} and other[0].priority == DISCOVERY_PRIORITY
    assert not by_callback(requests, spider.parse_robots)  # the other edition is on this host
    feeds = by_callback(requests, spider.parse_feed)
    assert urls(feeds) == [f"{BASE}feed/"] and feeds[0].priority == LISTING_PRIORITY
    sections = by_callback(requests, spider.parse_listing)
    # Главная and the QAZ switch are not sections; a section archive starts at page 1
    assert urls(sections) == [url for _, url in RU_MENU[1:]]
    assert all(r.priority == LISTING_PRIORITY and r.cb_kwargs == {} for r in sections)
    assert stat(spider, "bmkz/sections") == 3 and stat(spider, "bmkz/menu/theme") == 1
    articles = by_callback(requests, spider.parse_article)
    # canonical (campaign parameters dropped), widgets and off-site cards left out
    assert urls(articles) == [f"{BASE}trump-c5/", f"{BASE}uran/"]
    assert [r.cb_kwargs for r in articles] == [
        {"excerpt": "Одной из главных причин"},
        {"excerpt": "Казахстан является крупнейшим"},
    ]
    assert all(r.priority == ARTICLE_PRIORITY for r in articles)
    assert spider.policy.editions == {"ru": BASE, "kk": KK_HOME}


def test_other_editions_home_is_read_once_and_walked_the_same_way() -> None:
    spider = make_spider()
    read_home(spider)
    requests = read_home(spider, KK_HOME, KK_HOME_PAGE, expected_language="kk")
    assert not by_callback(requests, spider.parse_home)  # RUS leads back to a known edition
    assert urls(by_callback(requests, spider.parse_listing)) == [url for _, url in KK_MENU[1:]]
    assert urls(by_callback(requests, spider.parse_feed)) == [f"{KK_HOME}feed/"]
    assert urls(by_callback(requests, spider.parse_article)) == [f"{KK_HOME}sammit/"]


def test_sections_argument_keeps_the_named_sections_by_menu_name_or_slug() -> None:
    spider = make_spider(sections="Политика,sport")
    sections = by_callback(read_home(spider), spider.parse_listing)
    assert urls(sections) == [f"{BASE}category/politika/", f"{BASE}category/sport/"]
    assert stat(spider, "bmkz/sections") == 2


def test_other_edition_on_a_new_host_adds_its_robots_txt() -> None:
    spider = make_spider()
    requests = read_home(spider, body=RU_HOME.replace(KK_HOME, "https://kz.bm.kz/"))
    assert urls(by_callback(requests, spider.parse_home)) == ["https://kz.bm.kz/"]
    robots = by_callback(requests, spider.parse_robots)
    assert urls(robots) == ["https://kz.bm.kz/robots.txt"]
    assert robots[0].meta["dont_obey_robotstxt"] is True and robots[0].priority == DISCOVERY_PRIORITY
    assert spider.policy.site_url("https://kz.bm.kz/kz-article/") == "https://kz.bm.kz/kz-article/"

    without_sitemaps = make_spider(sources="menu,feed")
    requests = read_home(without_sitemaps, body=RU_HOME.replace(KK_HOME, "https://kz.bm.kz/"))
    assert not by_callback(requests, without_sitemaps.parse_robots)


def test_lang_kk_reads_the_russian_home_only_to_find_the_kazakh_edition() -> None:
    spider = make_spider(lang="kk")
    requests = read_home(spider)
    assert urls(requests) == [KK_HOME] and requests[0].callback == spider.parse_home
    requests = read_home(spider, KK_HOME, KK_HOME_PAGE, expected_language="kk")
    assert urls(by_callback(requests, spider.parse_listing)) == [url for _, url in KK_MENU[1:]]
    assert urls(by_callback(requests, spider.parse_article)) == [f"{KK_HOME}sammit/"]
    # a Russian article found elsewhere (a sitemap, a related block) is not requested
    assert spider.article_request(f"{BASE}trump-c5/") is None
    assert stat(spider, "bmkz/filtered/other_language") == 1


def test_a_home_page_without_a_menu_is_counted_and_still_gives_its_cards(caplog: pytest.LogCaptureFixture) -> None:
    spider = make_spider()
    bare = re.sub(r'<div class="nav-wrap">.*?</nav></div>', "", RU_HOME, flags=re.DOTALL)
    requests = read_home(spider, body=bare)
    assert not by_callback(requests, spider.parse_listing)
    assert urls(by_callback(requests, spider.parse_article)) == [f"{BASE}trump-c5/", f"{BASE}uran/"]
    assert stat(spider, "bmkz/menu/missing") == 1
    assert "No section menu found" in caplog.text


def test_an_edition_home_without_a_trailing_slash_claims_only_its_own_paths() -> None:
    spider = make_spider(lang="ru")
    read_home(spider, body=RU_HOME.replace(f'href="{KK_HOME}"', 'href="https://bm.kz/kz"'))
    assert spider.article_request("https://bm.kz/kz/sammit/") is None  # the kk edition's own article
    assert spider.article_request("https://bm.kz/kzt-ukrepilsya/") is not None  # a Russian one


# --- archives: cards and the next page --------------------------------------------------------------

POLITIKA = f"{BASE}category/politika/"


def archive(
    first: int, count: int = 2, *, next_url: str | None = f"{POLITIKA}page/2/", published: str | None = None
) -> HtmlResponse:
    cards = [
        card(f"{BASE}news-{n}/", f"Новость {n}", published or "2025-11-07T10:00:00+05:00", f"Начало {n}")
        for n in range(first, first + count)
    ]
    return html_response(
        POLITIKA, page(body_class="archive category right-sidebar", main=listing(cards, next_url=next_url))
    )


def test_archive_page_gives_its_articles_then_the_next_page() -> None:
    spider = make_spider()
    requests = requests_of(spider.parse_listing(archive(1), page=1, stale=0))
    articles = by_callback(requests, spider.parse_article)
    assert urls(articles) == [f"{BASE}news-1/", f"{BASE}news-2/"]
    assert [r.cb_kwargs for r in articles] == [{"excerpt": "Начало 1"}, {"excerpt": "Начало 2"}]
    (following,) = by_callback(requests, spider.parse_listing)
    assert following.url == f"{POLITIKA}page/2/"
    assert following.cb_kwargs == {"page": 2, "stale": 0} and following.priority == LISTING_PRIORITY


@pytest.mark.parametrize(
    "pagination",
    [
        '<a class="next page-numbers" href="{url}">Next</a>',
        '<a rel="next" href="{url}">Дальше</a>',
        '<a class="page-numbers" href="{first}">1</a><a class="page-numbers" href="{url}">2</a>',
    ],
    ids=["theme-next", "rel-next", "page-number"],
)
def test_the_next_page_is_found_by_any_pagination_style(pagination: str) -> None:
    spider = make_spider()
    markup = page(main=listing([card(f"{BASE}a/", "А")]) + pagination.format(url=f"{POLITIKA}page/2/", first=POLITIKA))
    requests = requests_of(spider.parse_listing(html_response(POLITIKA, markup)))
    assert urls(by_callback(requests, spider.parse_listing)) == [f"{POLITIKA}page/2/"]


def test_the_last_archive_page_ends_the_walk() -> None:
    spider = make_spider()
    requests = requests_of(spider.parse_listing(archive(1, next_url=None), page=7, stale=0))
    assert not by_callback(requests, spider.parse_listing)


def test_pages_repeating_old_cards_end_the_walk_after_the_stale_bound() -> None:
    spider = make_spider({"BMKZ_ARCHIVE_STALE_PAGES": 2})
    requests_of(spider.parse_listing(archive(1), page=1, stale=0))
    (second,) = by_callback(requests_of(spider.parse_listing(archive(1), page=2, stale=0)), spider.parse_listing)
    assert second.cb_kwargs == {"page": 3, "stale": 1}
    assert not by_callback(requests_of(spider.parse_listing(archive(1), page=3, stale=1)), spider.parse_listing)
    assert stat(spider, "bmkz/bounds/archive_stale") == 1
    # a page showing a new card starts the count again
    (fresh,) = by_callback(requests_of(spider.parse_listing(archive(5), page=4, stale=1)), spider.parse_listing)
    assert fresh.cb_kwargs == {"page": 5, "stale": 0}


def test_an_archive_page_without_cards_is_counted_and_stale() -> None:
    spider = make_spider()
    empty = html_response(POLITIKA, page(main=listing([], next_url=f"{POLITIKA}page/2/")))
    (following,) = requests_of(spider.parse_listing(empty, page=1, stale=0))
    assert following.cb_kwargs == {"page": 2, "stale": 1}
    assert stat(spider, "bmkz/listing/no_cards") == 1


def test_the_archive_backstop_ends_even_a_walk_with_new_cards() -> None:
    spider = make_spider({"BMKZ_ARCHIVE_MAX_PAGES": 5})
    (following,) = by_callback(requests_of(spider.parse_listing(archive(1), page=4, stale=0)), spider.parse_listing)
    assert following.cb_kwargs == {"page": 5, "stale": 0}
    requests = requests_of(spider.parse_listing(archive(3), page=5, stale=0))
    assert urls(by_callback(requests, spider.parse_article)) == [f"{BASE}news-3/", f"{BASE}news-4/"]
    assert not by_callback(requests, spider.parse_listing)
    assert stat(spider, "bmkz/bounds/archive_max_pages") == 1


def test_cards_found_by_a_looser_rule_are_counted_and_http_links_are_fetched_over_https() -> None:
    spider = make_spider()
    loose = (
        '<div class="loop"><article class="post type-post"><h2 class="entry-title">'
        '<a href="http://bm.kz/old-theme/">Старая тема</a></h2><div class="entry-summary">Кратко</div></article></div>'
    )
    requests = requests_of(spider.parse_listing(html_response(POLITIKA, page(main=loose))))
    (article,) = by_callback(requests, spider.parse_article)
    assert article.url == f"{BASE}old-theme/" and article.cb_kwargs == {"excerpt": "Кратко"}
    assert stat(spider, "bmkz/cards/fallback1") == 1


# --- since / until on cards ----------------------------------------------------------------------


def test_since_and_until_skip_cards_outside_the_window() -> None:
    spider = make_spider(since="2025-11-01", until="2025-11-05")
    cards = [
        card(f"{BASE}in/", "В окне", "2025-11-03T10:00:00+05:00"),
        card(f"{BASE}late/", "После until", "2025-11-06T10:00:00+05:00"),
        card(f"{BASE}early/", "До since", "2025-10-20T10:00:00+05:00"),
        card(f"{BASE}undated/", "Без даты", None),
    ]
    markup = page(main=listing(cards, next_url=f"{POLITIKA}page/2/"))
    requests = requests_of(spider.parse_listing(html_response(POLITIKA, markup)))
    assert urls(by_callback(requests, spider.parse_article)) == [f"{BASE}in/", f"{BASE}undated/"]
    assert stat(spider, "bmkz/since/card_skipped") == 2
    assert urls(by_callback(requests, spider.parse_listing)) == [f"{POLITIKA}page/2/"]  # not all older yet


def test_since_ends_the_archive_walk_at_the_first_page_older_than_it() -> None:
    spider = make_spider(since="2025-11-01")
    requests = requests_of(spider.parse_listing(archive(1, published="2025-10-20T10:00:00+05:00"), page=3))
    assert requests == []
    assert stat(spider, "bmkz/since/listing_stopped") == 1
    assert stat(spider, "bmkz/since/card_skipped") == 2


# --- robots.txt, sitemaps ------------------------------------------------------------------------


def test_robots_txt_names_the_sitemap_indexes_on_the_site() -> None:
    spider = make_spider()
    body = (
        f"User-agent: *\nDisallow: /wp-admin/\nSitemap: {BASE}sitemap_index.xml\nSitemap: https://evil.kz/sitemap.xml\n"
    )
    response = TextResponse(f"{BASE}robots.txt", body=body.encode(), encoding="utf-8", request=Request(BASE))
    (index,) = requests_of(spider.parse_robots(response))
    assert (index.url, index.callback, index.priority) == (
        f"{BASE}sitemap_index.xml",
        spider.parse_sitemap,
        SITEMAP_PRIORITY,
    )
    assert index.cb_kwargs == {"depth": 0}
    assert stat(spider, "bmkz/filtered/offsite") == 1


def test_sitemap_index_leads_to_post_sitemaps_and_skips_the_others_by_name() -> None:
    spider = make_spider()
    body = sitemap_index(
        (f"{BASE}post-sitemap.xml", "2025-11-07T06:00:00+00:00"),
        (f"{BASE}post-sitemap2.xml", "2025-10-01T06:00:00+00:00"),
        (f"{BASE}page-sitemap.xml", "2025-03-01T06:00:00+00:00"),
        (f"{BASE}category-sitemap.xml", "2025-11-07T06:00:00+00:00"),
        (f"{BASE}post_tag-sitemap.xml", "2025-11-07T06:00:00+00:00"),
        (f"{BASE}author-sitemap.xml", "2025-11-07T06:00:00+00:00"),
    )
    requests = requests_of(spider.parse_sitemap(xml_response(f"{BASE}sitemap_index.xml", body), depth=0))
    assert urls(requests) == [f"{BASE}post-sitemap.xml", f"{BASE}post-sitemap2.xml"]
    assert all(r.callback == spider.parse_sitemap and r.cb_kwargs == {"depth": 1} for r in requests)
    assert stat(spider, "bmkz/sitemap/non_article_skipped") == 4


def test_post_sitemap_gives_article_requests_and_the_expected_total() -> None:
    spider = make_spider()
    body = urlset(
        (f"{BASE}trump-c5/", "2025-11-07T06:00:00+00:00"),
        (f"{BASE}uran/amp/", "2025-11-06T06:00:00+00:00"),
        ("https://evil.kz/copy/", "2025-11-06T06:00:00+00:00"),
        (f"{KK_HOME}sammit/", "2025-11-05T06:00:00+00:00"),
    )
    requests = requests_of(spider.parse_sitemap(xml_response(f"{BASE}post-sitemap.xml", body), depth=1))
    assert urls(requests) == [f"{BASE}trump-c5/", f"{BASE}uran/", f"{KK_HOME}sammit/"]
    assert all(r.callback == spider.parse_article and r.priority == ARTICLE_PRIORITY for r in requests)
    assert all(r.cb_kwargs == {"excerpt": None} for r in requests)
    assert stat(spider, "bmkz/filtered/offsite") == 1
    assert spider.policy.expected_total == 4


def test_sitemap_indexes_nested_past_the_depth_bound_are_not_fetched() -> None:
    spider = make_spider()
    nested = xml_response(f"{BASE}deep-3.xml", sitemap_index((f"{BASE}deep-4.xml", "2025-11-07T06:00:00+00:00")))
    (allowed,) = requests_of(spider.parse_sitemap(nested, depth=2))
    assert allowed.cb_kwargs == {"depth": 3}
    assert requests_of(spider.parse_sitemap(nested, depth=3)) == []
    assert stat(spider, "bmkz/bounds/sitemap_depth") == 1


def test_since_skips_old_child_sitemaps_and_old_entries() -> None:
    spider = make_spider(since="2025-11-01")
    index = sitemap_index(
        (f"{BASE}post-sitemap.xml", "2025-11-07T06:00:00+00:00"),
        (f"{BASE}post-sitemap9.xml", "2024-01-01T06:00:00+00:00"),
    )
    assert urls(requests_of(spider.parse_sitemap(xml_response(f"{BASE}sitemap_index.xml", index)))) == [
        f"{BASE}post-sitemap.xml"
    ]
    assert stat(spider, "bmkz/since/sitemap_skipped") == 1
    entries = urlset((f"{BASE}new/", "2025-11-07T06:00:00+00:00"), (f"{BASE}old/", "2025-10-07T06:00:00+00:00"))
    requests = requests_of(spider.parse_sitemap(xml_response(f"{BASE}post-sitemap.xml", entries), depth=1))
    assert urls(requests) == [f"{BASE}new/"]
    assert stat(spider, "bmkz/since/sitemap_entry_skipped") == 1


def test_a_sitemap_with_no_entry_is_counted() -> None:
    spider = make_spider()
    assert requests_of(spider.parse_sitemap(xml_response(f"{BASE}post-sitemap.xml", urlset()), depth=1)) == []
    assert stat(spider, "bmkz/sitemap/empty") == 1


def test_sitemap_files_beyond_the_count_bound_are_not_fetched() -> None:
    spider = make_spider({"BMKZ_SITEMAP_MAX_FILES": 2})
    body = sitemap_index(*((f"{BASE}post-sitemap{n}.xml", "2025-11-07T06:00:00+00:00") for n in range(1, 4)))
    requests = requests_of(spider.parse_sitemap(xml_response(f"{BASE}sitemap_index.xml", body)))
    assert urls(requests) == [f"{BASE}post-sitemap1.xml", f"{BASE}post-sitemap2.xml"]
    assert stat(spider, "bmkz/bounds/sitemap_files") == 1


def test_a_gzipped_sitemap_with_a_doctype_still_gives_its_entries() -> None:
    spider = make_spider()
    body = urlset((f"{BASE}trump-c5/", "2025-11-07T06:00:00+00:00")).replace(
        "<urlset", '<!DOCTYPE urlset [<!ENTITY lol "lol">]>\n<urlset', 1
    )
    response = XmlResponse(f"{BASE}post-sitemap.xml.gz", body=gzip.compress(body.encode()), request=Request(BASE))
    assert urls(requests_of(spider.parse_sitemap(response, depth=1))) == [f"{BASE}trump-c5/"]
    assert stat(spider, "bmkz/sitemap/doctype_removed") == 1


# --- RSS feeds -------------------------------------------------------------------------------------


def rss(*items: tuple[str, str]) -> str:
    entries = "".join(
        f"<item><title>Новость</title><link>{link}</link><pubDate>{date}</pubDate>"
        "<description><![CDATA[<p>Авто-выдержка [&#8230;]</p>]]></description></item>"
        for link, date in items
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n<rss version="2.0"><channel><title>BM.KZ</title>'
        f"<link>{BASE}</link>{entries}</channel></rss>"
    )


def test_feed_items_become_article_requests_without_the_feeds_auto_excerpt() -> None:
    spider = make_spider(since="2025-11-01")
    body = rss(
        (f"{BASE}trump-c5/", "Fri, 07 Nov 2025 04:00:00 +0000"),
        (f"{BASE}uran/amp/?utm_source=rss", "Thu, 06 Nov 2025 04:00:00 +0000"),
        ("https://evil.kz/copy/", "Thu, 06 Nov 2025 04:00:00 +0000"),
        (f"{BASE}old/", "Mon, 20 Oct 2025 04:00:00 +0000"),
    )
    requests = requests_of(spider.parse_feed(xml_response(f"{BASE}feed/", body)))
    assert urls(requests) == [f"{BASE}trump-c5/", f"{BASE}uran/"]
    assert all(r.callback == spider.parse_article and r.cb_kwargs == {"excerpt": None} for r in requests)
    assert stat(spider, "bmkz/filtered/offsite") == 1
    assert stat(spider, "bmkz/since/card_skipped") == 1


# --- articles: delivery, related links, since/until, max_articles ------------------------------------------


def read_article(spider: NewsSpider, url: str, **kwargs: Any) -> tuple[list[Article], list[Request]]:
    output = list(spider.parse_article(html_response(url, article_page(url, **kwargs)), excerpt=None))
    return [o for o in output if isinstance(o, Article)], [o for o in output if isinstance(o, Request)]


RELATED = [f"{BASE}related-1/", f"{BASE}related-2/?utm_source=related", "https://evil.kz/related/"]


def test_an_article_is_delivered_then_its_related_links_are_followed() -> None:
    spider = make_spider()
    url = f"{BASE}trump-c5/"
    (article,), requests = read_article(spider, url, related=[*RELATED, url])
    assert article.url == url and article.language == "ru"
    assert article.published_at is not None and article.published_at.startswith("2025-11-07")
    # its own URL and the off-site link are not requested; campaign parameters are dropped
    assert urls(requests) == [f"{BASE}related-1/", f"{BASE}related-2/"]
    assert all(r.callback == spider.parse_article and r.priority == ARTICLE_PRIORITY for r in requests)
    assert spider.policy.articles_emitted == 1


def test_a_since_bounded_crawl_follows_no_related_links() -> None:
    spider = make_spider(since="2025-11-01")
    (article,), requests = read_article(spider, f"{BASE}trump-c5/", related=RELATED)
    assert article.url == f"{BASE}trump-c5/" and requests == []


@pytest.mark.parametrize(
    "window", [{"since": "2025-11-08"}, {"until": "2025-11-06"}, {"since": "2025-11-01", "until": "2025-11-06"}]
)
def test_an_extracted_article_outside_since_until_is_not_delivered(window: dict[str, str]) -> None:
    spider = make_spider(**window)
    articles, requests = read_article(spider, f"{BASE}trump-c5/", related=RELATED)
    assert articles == [] and requests == []
    assert stat(spider, "bmkz/since/article_out_of_window") == 1


def test_an_article_of_the_edition_not_asked_for_is_not_delivered() -> None:
    spider = make_spider(lang="kk")
    articles, requests = read_article(spider, f"{BASE}trump-c5/", related=RELATED)
    assert articles == [] and requests == []
    assert stat(spider, "bmkz/filtered/other_language") == 1


def test_max_articles_closes_the_spider_after_the_nth_article() -> None:
    spider = make_spider(max_articles="2")
    (first,), related = read_article(spider, f"{BASE}a/", related=RELATED)
    assert first.url == f"{BASE}a/" and len(related) == 2  # the budget is not spent yet
    url = f"{BASE}b/"
    output = spider.parse_article(html_response(url, article_page(url, related=RELATED)))
    second = next(output)
    assert isinstance(second, Article) and second.url == url
    with pytest.raises(CloseSpider) as closed:
        next(output)
    assert closed.value.reason == "max_articles"
    # nothing more is requested or delivered once the budget is spent
    assert spider.article_request(f"{BASE}c/") is None
    assert requests_of(spider.parse_listing(archive(1))) == []
    assert read_article(spider, f"{BASE}c/") == ([], [])
    assert spider.policy.articles_emitted == 2


def test_a_page_that_is_not_html_or_is_cut_off_is_counted() -> None:
    spider = make_spider()
    pdf = Response(f"{BASE}doc/", body=b"%PDF-1.7", headers={"Content-Type": "application/pdf"}, request=Request(BASE))
    assert list(spider.parse_article(pdf)) == []
    assert stat(spider, "bmkz/errors/not_html") == 1
    url = f"{BASE}cut/"
    cut = article_page(url).replace("</body>\n</html>", "")
    (article,) = list(spider.parse_article(html_response(url, cut)))
    assert isinstance(article, Article)
    assert stat(spider, "bmkz/errors/truncated_page") == 1


def failure_of(exception: Exception, url: str) -> Failure:
    failure = Failure(exception)
    failure.request = Request(url)  # type: ignore[attr-defined]
    return failure


def test_errors_are_counted_by_kind_and_never_stop_the_crawl() -> None:
    spider = make_spider()
    for status in (404, 404, 503):
        url = f"{BASE}status-{status}/"
        spider.on_error(failure_of(HttpError(Response(url, status=status, request=Request(url))), url))
    spider.on_error(failure_of(TimeoutError("timed out"), f"{BASE}slow/"))
    assert stat(spider, "bmkz/errors/gone/404") == 2
    assert stat(spider, "bmkz/errors/http/503") == 1
    assert stat(spider, "bmkz/errors/download/TimeoutError") == 1


# --- incremental: what the state says was exported ------------------------------------------------------


# Incremental decisions are relative to the real clock (the refresh window ends two days ago).
MONTH_AGO = (datetime.now(UTC) - timedelta(days=30)).replace(microsecond=0).isoformat()
TODAY = datetime.now(UTC).replace(microsecond=0).isoformat()


@pytest.fixture
def known_spider(tmp_path: Path) -> Iterator[NewsSpider]:
    """A spider whose SQLite state holds an article exported a month ago."""
    spider = make_spider()
    store = open_state_store(str(tmp_path / "state.sqlite3"))
    record = {"url": f"{BASE}old/", "post_id": 1, "language": "ru", "content_hash": "h",
              "published_at": MONTH_AGO, "modified_at": MONTH_AGO}  # fmt: skip
    store.mark_exported([record], TODAY)
    spider.policy.store = store
    yield spider
    store.close()


def test_incremental_archive_walk_skips_exported_cards_and_stops_at_a_settled_one(known_spider: NewsSpider) -> None:
    spider = known_spider
    cards = [card(f"{BASE}fresh/", "Свежая", TODAY), card(f"{BASE}old/", "Старая", MONTH_AGO)]
    markup = page(main=listing(cards, next_url=f"{POLITIKA}page/2/"))
    requests = requests_of(spider.parse_listing(html_response(POLITIKA, markup)))
    assert urls(requests) == [f"{BASE}fresh/"]  # and no next page: older pages are settled too
    assert stat(spider, "bmkz/incremental/known_skipped") == 1
    assert stat(spider, "bmkz/incremental/listing_stopped") == 1


def test_incremental_sitemap_and_related_links_skip_what_was_exported(known_spider: NewsSpider) -> None:
    spider = known_spider
    body = urlset((f"{BASE}old/", MONTH_AGO), (f"{BASE}new/", TODAY))
    assert urls(requests_of(spider.parse_sitemap(xml_response(f"{BASE}post-sitemap.xml", body), depth=1))) == [
        f"{BASE}new/"
    ]
    assert stat(spider, "bmkz/incremental/sitemap_unchanged") == 1
    _, requests = read_article(spider, f"{BASE}trump-c5/", related=[f"{BASE}old/", f"{BASE}related-1/"])
    assert urls(requests) == [f"{BASE}related-1/"]
    assert stat(spider, "bmkz/incremental/known_skipped") == 1


def test_an_http_link_to_an_exported_article_is_settled_too(known_spider: NewsSpider) -> None:
    spider = known_spider
    cards = [card(f"{BASE}fresh/", "Свежая", TODAY), card("http://bm.kz/old/", "Старая", MONTH_AGO)]
    markup = page(main=listing(cards, next_url=f"{POLITIKA}page/2/"))
    assert urls(requests_of(spider.parse_listing(html_response(POLITIKA, markup)))) == [f"{BASE}fresh/"]
    assert stat(spider, "bmkz/incremental/listing_stopped") == 1
    _, requests = read_article(spider, f"{BASE}trump-c5/", related=["http://bm.kz/old/"])
    assert requests == []
