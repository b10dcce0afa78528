"""Links on BM.KZ pages: menus, the language switch, archive cards, pagination, feeds, sitemaps.

Page knowledge only, no scheduling: the spider decides what to fetch. Each finder tries the
theme's markup first and falls back to looser rules, so a variant of the site still yields
its links (and the spider counts which fallback it needed).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urljoin, urlsplit

from lxml import etree
from scrapy.http import Response, TextResponse
from scrapy.utils.sitemap import Sitemap, sitemap_urls_from_robots
from w3lib.html import remove_tags

from bmkz_crawler.extraction.article import css
from bmkz_crawler.processors import (
    amp_original,
    canonicalize_url,
    language_code,
    normalize_text,
    parse_feed_date,
    same_site,
)

ASSET_EXTENSIONS = frozenset(
    [
        "jpg",
        "jpeg",
        "png",
        "gif",
        "webp",
        "avif",
        "svg",
        "bmp",
        "ico",
        "tif",
        "tiff",
        "heic",
        "pdf",
        "doc",
        "docx",
        "xls",
        "xlsx",
        "ppt",
        "pptx",
        "odt",
        "rtf",
        "mp3",
        "ogg",
        "wav",
        "m4a",
        "aac",
        "flac",
        "mp4",
        "m4v",
        "mov",
        "avi",
        "wmv",
        "webm",
        "mkv",
        "flv",
        "zip",
        "rar",
        "7z",
        "gz",
        "tgz",
        "bz2",
        "xz",
        "tar",
        "exe",
        "apk",
        "dmg",
        "iso",
        "css",
        "js",
        "woff",
        "woff2",
        "ttf",
        "eot",
        "json",
    ]
)
LANGUAGE_LABELS = {
    "qaz": "kk",
    "kaz": "kk",
    "kz": "kk",
    "қаз": "kk",
    "қазақша": "kk",
    "rus": "ru",
    "рус": "ru",
    "ru": "ru",
}


def is_asset(url: str) -> bool:
    """Images, documents, media, archives and static files are never requested."""
    path = urlsplit(url).path.lower()
    if "/wp-content/uploads/" in path:
        return True
    extension = path.rsplit(".", 1)[-1] if "." in path.rsplit("/", 1)[-1] else ""
    return extension in ASSET_EXTENSIONS


def article_url(url: str | None) -> str | None:
    """The form an article URL is scheduled in: canonical, and an /amp/ copy names its original."""
    canonical = canonicalize_url(url)
    if canonical is None:
        return None
    return amp_original(canonical)


@dataclass(frozen=True)
class Card:
    """An article as an archive, home page or feed lists it."""

    url: str
    published: datetime | None = None
    excerpt: str | None = None


class PageLinks:
    """Link finders for SmartMag pages of BM.KZ."""

    MAIN_MENU = (
        css(".navigation-main a"),
        css("#menu-main-menu a, .main-menu a"),
        css("header nav a, .smart-head nav a"),
        # Any link to a WordPress category archive (footer "Карта сайта" included).
        css("a[href*='/category/']"),
    )
    LANGUAGE_ALTERNATES = etree.XPath("//link[@rel='alternate'][@hreflang]")
    FEEDS = etree.XPath("//link[@rel='alternate'][contains(@type, 'rss') or contains(@type, 'atom')]/@href")
    CARDS = (
        css("article.l-post"),
        css("article.post, article.type-post, .loop article"),
        css(".post-title, .entry-title"),  # a theme without <article> cards: the headline links
        # A theme nobody described: any <article> of the main column whose headline links on-site.
        css("article"),
    )
    CARD_LINK = css(".post-title a, .entry-title a, h2 a, h3 a, h4 a")
    CARD_TIME = css("time")
    CARD_EXCERPT = css(".excerpt, .entry-summary, .post-excerpt, [class*='excerpt'], [class*='summary']")
    NEXT_PAGE = (
        css("nav.main-pagination a.next, .main-pagination a.next"),
        css("a.next.page-numbers, a.next"),
    )
    REL_NEXT = etree.XPath("//link[@rel='next']/@href | //a[@rel='next']/@href")
    PAGE_NUMBERS = css("a.page-numbers")

    def __init__(self, response: TextResponse) -> None:
        self.response = response
        self.url = response.url
        self.root = response.selector.root

    def _abs(self, href: str | None) -> str | None:
        return canonicalize_url(urljoin(self.url, href.strip())) if href and href.strip() else None

    def language(self) -> str | None:
        return language_code(self.root.get("lang")) if isinstance(self.root.tag, str) else None

    def menu_sections(self) -> tuple[list[tuple[str, str]], str]:
        """(name, url) of the header menu's sections, and which selector found them."""
        for position, selector in enumerate(self.MAIN_MENU):
            found = []
            for link in selector(self.root):
                url = self._abs(link.get("href"))
                name = normalize_text("".join(link.itertext()))
                if url and name and same_site(url, self.url) and not is_asset(url):
                    found.append((name, url))
            if found:
                return list(dict.fromkeys(found)), ("theme" if position == 0 else f"fallback{position}")
        return [], "missing"

    def language_switch(self) -> dict[str, str]:
        """{language: home URL} of the editions this page links to (QAZ / RUS, hreflang)."""
        editions: dict[str, str] = {}
        for link in self.LANGUAGE_ALTERNATES(self.root):
            lang, url = language_code(link.get("hreflang")), self._abs(link.get("href"))
            if lang and url and same_site(url, self.url):
                editions.setdefault(lang, url)
        for link in self.root.iter("a"):
            label = normalize_text("".join(link.itertext()))
            lang = LANGUAGE_LABELS.get((label or "").lower())
            url = self._abs(link.get("href"))
            if lang and url and same_site(url, self.url):
                editions.setdefault(lang, url)
        return editions

    def feeds(self) -> list[str]:
        return [u for u in (self._abs(h) for h in self.FEEDS(self.root)) if u and same_site(u, self.url)]

    def cards(self) -> list[Card]:
        """Articles a listing shows in its main column (widgets and footers left out)."""
        return self.cards_with_source()[0]

    def cards_with_source(self) -> tuple[list[Card], str]:
        """The listing's cards, and which rule found them (`theme`, `fallbackN`, `missing`)."""
        for position, selector in enumerate(self.CARDS):
            cards: list[Card] = []
            for element in selector(self.root):
                if self._in_sidebar(element):
                    continue
                links = self.CARD_LINK(element)
                url = article_url(self._abs(links[0].get("href"))) if links else None
                if not url or not same_site(url, self.url) or is_asset(url):
                    continue
                times = self.CARD_TIME(element)
                published = parse_feed_date(times[0].get("datetime")) if times else None
                excerpts = self.CARD_EXCERPT(element)
                excerpt = normalize_text("".join(excerpts[0].itertext())) if excerpts else None
                cards.append(Card(url, published, excerpt))
            if cards:
                return cards, ("theme" if position == 0 else f"fallback{position}")
        return [], "missing"

    def _in_sidebar(self, element: etree._Element) -> bool:
        for ancestor in element.iterancestors():
            css_class = ancestor.get("class") or ""
            if ancestor.tag in {"aside", "footer"} or re.search(
                r"(?:^|\s)(?:widget[\w-]*|main-sidebar|related-posts|sidebar)(?:\s|$)", css_class
            ):
                return True
        return False

    def next_page(self) -> str | None:
        """The next archive page: the theme's `next` link, rel=next, or the following number."""
        for selector in self.NEXT_PAGE:
            for link in selector(self.root):
                url = self._abs(link.get("href"))
                if url and same_site(url, self.url):
                    return url
        for href in self.REL_NEXT(self.root):
            url = self._abs(href)
            if url and same_site(url, self.url):
                return url
        current = page_number(self.url)
        for link in self.PAGE_NUMBERS(self.root):
            url = self._abs(link.get("href"))
            if url and page_number(url) == current + 1:
                return url
        return None


def page_number(url: str) -> int:
    match = re.search(r"/page/(\d+)/?$", urlsplit(url).path) or re.search(r"[?&](?:paged|page)=(\d+)", url)
    return int(match.group(1)) if match else 1


def robots_sitemaps(response: Response) -> list[str]:
    return list(sitemap_urls_from_robots(response.body, base_url=response.url))


@dataclass(frozen=True)
class SitemapEntry:
    url: str
    lastmod: datetime | None
    is_index: bool


# A sitemap never needs a DOCTYPE; an internal subset is where entity bombs (billion laughs) live.
_DOCTYPE = re.compile(rb"<!DOCTYPE[^\[>]*(?:\[.*?\]\s*)?>", re.DOTALL | re.IGNORECASE)


def without_doctype(body: bytes) -> tuple[bytes, bool]:
    """The XML without its DOCTYPE declaration, and whether there was one."""
    head = body[:65536]
    if b"<!DOCTYPE" not in head and b"<!doctype" not in head:
        return body, False
    stripped, count = _DOCTYPE.subn(b"", body, count=1)
    return stripped, bool(count)


def sitemap_entries(response: Response, on_doctype: Callable[[], None] | None = None) -> Iterator[SitemapEntry]:
    """Entries of a sitemap or sitemap index (gzip already undone by Scrapy).

    A DOCTYPE is removed before parsing (`on_doctype` is told), so an entity bomb costs its own
    entries only: the parser would otherwise give up on the whole file.
    """
    body = response.body
    if body[:2] == b"\x1f\x8b":
        from scrapy.utils.gz import gunzip

        body = gunzip(body, max_size=50 * 1024 * 1024)
    body, had_doctype = without_doctype(body)
    if had_doctype and on_doctype is not None:
        on_doctype()
    sitemap = Sitemap(body)
    is_index = sitemap.type == "sitemapindex"
    for entry in sitemap:
        loc = entry.get("loc")
        if loc:
            yield SitemapEntry(urljoin(response.url, loc), parse_feed_date(entry.get("lastmod")), is_index)


def feed_cards(response: Response) -> list[Card]:
    """Items of an RSS 2.0 or Atom feed."""
    try:
        root = etree.fromstring(response.body, parser=etree.XMLParser(recover=True, resolve_entities=False))
    except etree.XMLSyntaxError:
        return []
    if root is None:
        return []
    cards = []
    for item in root.iter("item", "{http://www.w3.org/2005/Atom}entry"):
        link = item.findtext("link") or ""
        if not link.strip():
            atom = item.find("{http://www.w3.org/2005/Atom}link")
            link = atom.get("href", "") if atom is not None else ""
        date = item.findtext("pubDate") or item.findtext("{http://www.w3.org/2005/Atom}published")
        url = article_url(urljoin(response.url, link.strip())) if link.strip() else None
        if url:
            cards.append(
                Card(
                    url,
                    parse_feed_date(date),
                    normalize_text(remove_tags(item.findtext("description") or "")),
                )
            )
    return cards
