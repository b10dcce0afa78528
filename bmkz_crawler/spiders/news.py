"""NewsSpider: what to fetch next on BM.KZ, in both editions, each article once.

Sources, all discovered from `BMKZ_BASE_URL`:
- menu: the home page's header menu gives the sections; each section archive is walked by
  its `next` links; cards give articles; each article's related block gives more; the
  `QAZ`/`RUS` switch gives the other edition, which is walked the same way.
- sitemap: robots.txt names the sitemap indexes; post sitemaps list every article with
  `lastmod`.
- feed: the RSS feeds the home pages announce.

Every candidate URL is canonicalized before it is scheduled, so Scrapy's dupefilter sees
each article once. Pages are handed to ArticleExtractor, which decides by content whether
a page is an article.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Self
from urllib.parse import urljoin, urlsplit

from scrapy import Request, Spider, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import CloseSpider, IgnoreRequest
from scrapy.http import Response, TextResponse
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.python.failure import Failure

from bmkz_crawler.extraction import ArticleExtractor
from bmkz_crawler.extraction.article import PROFILE_CHOICES
from bmkz_crawler.extraction.links import (
    Card,
    PageLinks,
    article_url,
    feed_cards,
    is_asset,
    robots_sitemaps,
    sitemap_entries,
)
from bmkz_crawler.items import Article
from bmkz_crawler.middlewares import OffsiteRequest
from bmkz_crawler.processors import canonicalize_url, on_site, parse_cli_date, parse_feed_date, same_site
from bmkz_crawler.spiders.arguments import CrawlArguments

logger = logging.getLogger(__name__)

# Depth-first toward articles: an article waiting is fetched before another listing page.
ARTICLE_PRIORITY = 30
LISTING_PRIORITY = 20
SITEMAP_PRIORITY = 10
DISCOVERY_PRIORITY = 40  # home pages and robots.txt: small in number, they unlock everything

# charset-normalizer's "chaos" (0 = clean text) above which a detected charset is not trusted.
MAX_CHARSET_CHAOS = 0.2

NON_ARTICLE_SITEMAPS = (
    "category",
    "post_tag",
    "tag-sitemap",
    "author",
    "page-sitemap",
    "attachment",
    "format",
)


@dataclass(frozen=True)
class WalkBounds:
    """Every walk ends: archives, sitemap nesting and sitemap count (settings BMKZ_ARCHIVE_*, BMKZ_SITEMAP_*)."""

    archive_stale_pages: int = 3  # pages in a row without a new card end an archive walk (the main rule)
    archive_max_pages: int = 20_000  # backstop: never reached by a real archive
    sitemap_max_depth: int = 3  # index -> index -> index -> urlset
    sitemap_max_files: int = 5_000

    @classmethod
    def from_settings(cls, settings: Any) -> WalkBounds:
        return cls(
            settings.getint("BMKZ_ARCHIVE_STALE_PAGES", cls.archive_stale_pages),
            settings.getint("BMKZ_ARCHIVE_MAX_PAGES", cls.archive_max_pages),
            settings.getint("BMKZ_SITEMAP_MAX_DEPTH", cls.sitemap_max_depth),
            settings.getint("BMKZ_SITEMAP_MAX_FILES", cls.sitemap_max_files),
        )


class NewsSpider(Spider):
    name = "news"
    bounds = WalkBounds()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self.args = CrawlArguments.parse(kwargs)  # raises ValueError with a one-line message
        super().__init__(*args, **{k: v for k, v in kwargs.items() if k not in CrawlArguments.NAMES})
        self.site_urls: list[str] = []
        self.editions: dict[str, str] = {}  # language -> home URL
        self.articles_emitted = 0
        self.expected_total: int | None = None
        self._sitemap_urls_seen: set[str] = set()
        self._sitemap_files = 0
        self._listed: set[int] = set()  # hashes of the card URLs listings showed: "new" cards end stale walks
        self._bounds_logged: set[str] = set()
        self._gone_logged: set[str] = set()
        self.state: Any = None
        self.extractor: ArticleExtractor | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: Any, **kwargs: Any) -> Self:
        spider = super().from_crawler(crawler, *args, **kwargs)
        base = crawler.settings.get("BMKZ_BASE_URL")
        if not canonicalize_url(base):
            raise ValueError(f"BMKZ_BASE_URL must be an absolute http(s) URL, not {base!r}")
        spider.base_url = canonicalize_url(base)
        spider.site_urls = [spider.base_url]
        spider.profile = crawler.settings.get("BMKZ_PROFILE") or "auto"
        if spider.profile not in PROFILE_CHOICES:
            raise ValueError(f"BMKZ_PROFILE must be one of {', '.join(PROFILE_CHOICES)}, not {spider.profile!r}")
        crawler.signals.connect(spider.on_request_dropped, signal=signals.request_dropped)
        refresh_days = crawler.settings.getfloat("BMKZ_REFRESH_DAYS", 2.0)
        spider.refresh_cutoff = datetime.now(UTC) - timedelta(days=refresh_days)
        spider.bounds = WalkBounds.from_settings(crawler.settings)
        return spider

    @property
    def stats(self) -> Any:
        return self.crawler.stats

    @classmethod
    def update_settings(cls, settings: Any) -> None:
        super().update_settings(settings)
        if settings.getpriority("USER_AGENT") <= settings.getpriority("BOT_NAME"):
            contact = settings.get("BMKZ_CONTACT_URL")
            settings.set("USER_AGENT", f"bmkz_crawler/0.1 (+{contact})", priority="spider")

    # --- start ---------------------------------------------------------------------------------

    async def start(self) -> AsyncIterator[Any]:
        # Built here, not in from_crawler: the crawler's stats exist only once the crawl starts.
        self.extractor = ArticleExtractor(self.crawler.stats, profile=self.profile)
        if self.args.mode == "incremental":
            from bmkz_crawler.state import state_store_for

            self.state = state_store_for(self.crawler)
        yield Request(self.base_url, callback=self.parse_home, priority=DISCOVERY_PRIORITY, errback=self.on_error)
        if "sitemap" in self.args.sources:
            yield self._robots_request(self.base_url)

    def _robots_request(self, home: str) -> Request:
        root = urljoin(home, "/robots.txt")
        return Request(
            root,
            callback=self.parse_robots,
            priority=DISCOVERY_PRIORITY,
            errback=self.on_error,
            meta={"dont_obey_robotstxt": True},
        )

    # --- home pages and the other edition ------------------------------------------------------

    def parse_home(self, response: Response, expected_language: str | None = None) -> Iterator[Request]:
        if not isinstance(response, TextResponse):
            self.stats.inc_value("bmkz/errors/home_not_html")
            return
        links = PageLinks(response)
        # The page says which edition it is; the switch link that led here is the fallback.
        language = links.language() or expected_language or "ru"
        self.editions.setdefault(language, response.url)
        if expected_language is None and response.url not in self.site_urls:
            # The site is the home page's final URL after redirects (http -> https, www.): first.
            self.site_urls.insert(0, response.url)
        self._remember_site(response.url)
        for other_language, home in links.language_switch().items():
            if other_language not in self.editions and not self._known_home(home):
                self.editions[other_language] = home
                new_host = not any(urlsplit(home).netloc == urlsplit(u).netloc for u in self.site_urls)
                self._remember_site(home)
                yield Request(
                    home,
                    callback=self.parse_home,
                    priority=DISCOVERY_PRIORITY,
                    errback=self.on_error,
                    cb_kwargs={"expected_language": other_language},
                )
                if new_host and "sitemap" in self.args.sources:
                    yield self._robots_request(home)
        if not self.args.wants_language(language):
            return
        if "feed" in self.args.sources:
            for feed in links.feeds():
                yield Request(feed, callback=self.parse_feed, priority=LISTING_PRIORITY, errback=self.on_error)
        if "menu" not in self.args.sources:
            return
        sections, how = links.menu_sections()
        self.stats.inc_value(f"bmkz/menu/{how}")
        if not sections:
            logger.warning("No section menu found on %s: only the home page's articles are walked", response.url)
        for name, url in sections:
            if self._known_home(url) or url in self.editions.values():
                continue
            if not self.args.wants_section(name, url):
                continue
            self.stats.inc_value("bmkz/sections")
            yield Request(url, callback=self.parse_listing, priority=LISTING_PRIORITY, errback=self.on_error)
        cards = self._cards(links)
        self._listed.update(hash(card.url) for card in cards)
        yield from self._follow_cards(cards)

    def _cards(self, links: PageLinks) -> list[Card]:
        """The page's cards; a listing read by a fallback rule is counted (`bmkz/cards/fallbackN`)."""
        cards, how = links.cards_with_source()
        if how.startswith("fallback"):
            self.stats.inc_value(f"bmkz/cards/{how}")
        return cards

    def _known_home(self, url: str) -> bool:
        return canonicalize_url(url) in {canonicalize_url(home) for home in self.editions.values()}

    def _remember_site(self, url: str) -> None:
        if not any(same_site(url, known) for known in self.site_urls):
            self.site_urls.append(url)

    # --- archives ----------------------------------------------------------------------------------

    def parse_listing(self, response: Response, page: int = 1, stale: int = 0) -> Iterator[Request]:
        """One archive page: its cards, then the next page, unless a bound ends the walk.

        `page` is the page's place in this walk, `stale` how many pages in a row (this one
        included) showed no card that no listing had shown before: an endless `page/N` trap
        repeats or shows nothing, and ends after BMKZ_ARCHIVE_STALE_PAGES such pages.
        """
        if not isinstance(response, TextResponse):
            return
        links = PageLinks(response)
        cards = self._cards(links)
        if not cards:
            self.stats.inc_value("bmkz/listing/no_cards")
            logger.info("Listing without article cards: %s", response.url)
        new_cards = [card for card in cards if hash(card.url) not in self._listed]
        self._listed.update(hash(card.url) for card in new_cards)
        stale = 0 if new_cards else stale + 1
        settled = [self._settled(card.url, card.published) for card in cards]
        yield from self._follow_cards(cards, settled)
        if cards and self.args.since and all(c.published and c.published < self.args.since for c in cards):
            self.stats.inc_value("bmkz/since/listing_stopped")
            return
        if cards and settled[-1]:
            # Archives list newest first: once the page's oldest card is exported and past the
            # refresh window, the pages after it are older still. (Sitemap entries are checked
            # one by one, so an older article never exported is still found there.)
            self.stats.inc_value("bmkz/incremental/listing_stopped")
            return
        next_page = links.next_page()
        if not next_page or self._at_article_limit():
            return
        if stale >= self.bounds.archive_stale_pages:
            self._bound_reached(
                "archive_stale",
                f"Archive walk ended: {stale} pages in a row without a new article card, last {response.url}",
            )
            return
        if page >= self.bounds.archive_max_pages:
            backfill = " — a full backfill may be incomplete: raise it" if self.args.mode == "full" else ""
            self._bound_reached(
                "archive_max_pages",
                f"Archive walk ended at BMKZ_ARCHIVE_MAX_PAGES={self.bounds.archive_max_pages}{backfill}:"
                f" {response.url}",
            )
            return
        yield Request(
            next_page,
            callback=self.parse_listing,
            priority=LISTING_PRIORITY,
            errback=self.on_error,
            cb_kwargs={"page": page + 1, "stale": stale},
        )

    def _bound_reached(self, bound: str, message: str) -> None:
        """A walk's bound triggered: counted every time (`bmkz/bounds/<bound>`), logged once per crawl."""
        self.stats.inc_value(f"bmkz/bounds/{bound}")
        if bound not in self._bounds_logged:
            self._bounds_logged.add(bound)
            logger.warning("%s (counted as bmkz/bounds/%s; logged once)", message, bound)

    def _follow_cards(self, cards: list[Card], settled: list[bool] | None = None) -> Iterator[Request]:
        settled = settled or [self._settled(card.url, card.published) for card in cards]
        for card, known in zip(cards, settled, strict=True):
            if not self.args.in_window(card.published):
                self.stats.inc_value("bmkz/since/card_skipped")
                continue
            if known:
                self.stats.inc_value("bmkz/incremental/known_skipped")
                continue
            request = self.article_request(card.url, excerpt=card.excerpt)
            if request is not None:
                yield request

    # --- sitemaps and feeds ---------------------------------------------------------------------

    def parse_robots(self, response: Response) -> Iterator[Request]:
        for url in robots_sitemaps(response):
            request = self._sitemap_request(url, depth=0)
            if request is not None:
                yield request

    def _sitemap_request(self, url: str, depth: int) -> Request | None:
        """A sitemap (index) `depth` indexes below robots.txt, unless off-site or past a bound."""
        on_site_url = on_site(url, self.site_urls)
        if on_site_url is None:
            self.stats.inc_value("bmkz/filtered/offsite")
            return None
        if depth > self.bounds.sitemap_max_depth:
            self._bound_reached(
                "sitemap_depth", f"Sitemap index nesting deeper than {self.bounds.sitemap_max_depth}: {url}"
            )
            return None
        if self._sitemap_files >= self.bounds.sitemap_max_files:
            self._bound_reached("sitemap_files", f"More than {self.bounds.sitemap_max_files} sitemap files: {url}")
            return None
        self._sitemap_files += 1
        return Request(
            on_site_url,
            callback=self.parse_sitemap,
            priority=SITEMAP_PRIORITY,
            errback=self.on_error,
            cb_kwargs={"depth": depth},
        )

    def _sitemap_doctype(self) -> None:
        self.stats.inc_value("bmkz/sitemap/doctype_removed")

    def parse_sitemap(self, response: Response, depth: int = 0) -> Iterator[Request]:
        try:
            entries = list(sitemap_entries(response, on_doctype=self._sitemap_doctype))
        except Exception:  # a broken sitemap must not stop the crawl
            self.stats.inc_value("bmkz/errors/sitemap_unparseable")
            logger.warning("Sitemap could not be parsed: %s", response.url)
            return
        if not entries:
            self.stats.inc_value("bmkz/sitemap/empty")
            logger.warning("Sitemap with no entry: %s", response.url)
        for entry in entries:
            if entry.is_index:
                name = urlsplit(entry.url).path.rsplit("/", 1)[-1]
                if any(marker in name for marker in NON_ARTICLE_SITEMAPS):
                    self.stats.inc_value("bmkz/sitemap/non_article_skipped")
                    continue
                if self.args.since and entry.lastmod and entry.lastmod < self.args.since:
                    self.stats.inc_value("bmkz/since/sitemap_skipped")
                    continue
                request = self._sitemap_request(entry.url, depth=depth + 1)
                if request is not None:
                    yield request
                continue
            if entry.url not in self._sitemap_urls_seen:
                self._sitemap_urls_seen.add(entry.url)
                self.expected_total = len(self._sitemap_urls_seen)
            if self.args.since and entry.lastmod and entry.lastmod < self.args.since:
                self.stats.inc_value("bmkz/since/sitemap_entry_skipped")
                continue
            if self._unchanged_since_export(entry.url, entry.lastmod):
                self.stats.inc_value("bmkz/incremental/sitemap_unchanged")
                continue
            request = self.article_request(entry.url)
            if request is not None:
                yield request

    def parse_feed(self, response: Response) -> Iterator[Request]:
        # An RSS description is WordPress's auto-excerpt with " […]": not the listing excerpt.
        cards = [Card(card.url, card.published) for card in feed_cards(response)]
        yield from self._follow_cards(cards)

    # --- incremental crawling ---------------------------------------------------------------

    def _settled(self, url: str, published: datetime | None) -> bool:
        """Exported already and older than the refresh window: not fetched again."""
        if self.state is None:
            return False
        known = self.state.lookup(article_url(url) or url)
        if known is None or not known.last_exported:
            return False
        published = published or parse_feed_date(known.published_at)
        return published is not None and published < self.refresh_cutoff

    def _unchanged_since_export(self, url: str, lastmod: datetime | None) -> bool:
        """The sitemap's lastmod is no newer than the version we exported.

        Compared on the site's own clock (the exported modified/published time), not on
        ours: a site whose clock or time zone is off still gets its edits noticed.
        """
        if self.state is None or lastmod is None:
            return False
        known = self.state.lookup(article_url(url) or url)
        if known is None or not known.last_exported:
            return False
        exported_version = parse_feed_date(known.modified_at or known.published_at)
        return exported_version is not None and lastmod <= exported_version

    # --- articles ----------------------------------------------------------------------------------

    def article_request(self, url: str | None, *, excerpt: str | None = None) -> Request | None:
        url = article_url(url)
        if url is None or self._at_article_limit():
            return None
        url = on_site(url, self.site_urls)
        if url is None:
            self.stats.inc_value("bmkz/filtered/offsite")
            return None
        if is_asset(url):
            self.stats.inc_value("bmkz/filtered/asset")
            return None
        if not self.args.wants_url(url, self.editions):
            self.stats.inc_value("bmkz/filtered/other_language")
            return None
        return Request(
            url,
            callback=self.parse_article,
            priority=ARTICLE_PRIORITY,
            errback=self.on_error,
            cb_kwargs={"excerpt": excerpt},
        )

    def parse_article(self, response: Response, excerpt: str | None = None) -> Iterator[Article | Request]:
        if not isinstance(response, TextResponse):
            self.stats.inc_value("bmkz/errors/not_html")
            logger.warning("Not an HTML page: %s (%s)", response.url, response.headers.get("Content-Type"))
            return
        response = self._repair_encoding(response)
        try:
            article = self.extractor.extract(response, listing_excerpt=excerpt)
        except Exception:
            self.stats.inc_value("bmkz/errors/parse")
            logger.exception("Page could not be extracted: %s", response.url)
            return
        if article is None:
            # Counted by the extractor (article/not_article); a static page from a sitemap, say.
            logger.info("Not an article page, no item: %s", response.url)
            return
        if b"</html>" not in response.body[-4096:].lower():
            self.stats.inc_value("bmkz/errors/truncated_page")
            logger.warning("Page looks truncated (no </html>): %s", response.url)
        if not self.args.wants_language(article.language):
            self.stats.inc_value("bmkz/filtered/other_language")
            return
        if not self.args.in_window(_published(article)):
            self.stats.inc_value("bmkz/since/article_out_of_window")
            return
        if self._at_article_limit():
            return
        self.articles_emitted += 1
        yield article
        if self._at_article_limit():
            raise CloseSpider("max_articles")
        if not self.args.since and "menu" in self.args.sources:
            for url in article.related_urls:
                if self._settled(url, None):
                    self.stats.inc_value("bmkz/incremental/known_skipped")
                    continue
                request = self.article_request(url)
                if request is not None:
                    yield request

    def _repair_encoding(self, response: TextResponse) -> TextResponse:
        """A page whose bytes are not in the charset it declares is read in the one they are in.

        Valid UTF-8 declared as something else is read as UTF-8 (`bmkz/charset_corrected`).
        Bytes declared UTF-8 that are not (a cp1251 page, say) go to charset-normalizer: read in
        the charset it finds when it is confident (`bmkz/charset_redetected`), else kept and
        counted (`bmkz/charset_undecodable`); never exported as U+FFFD silently.
        """
        if response.encoding.lower().replace("-", "").replace("_", "") in {"utf8"}:
            try:
                response.body.decode("utf-8")
            except UnicodeDecodeError:
                return self._redetect_encoding(response)
            return response
        try:
            response.body.decode("utf-8")
        except UnicodeDecodeError:
            return response
        if not any(byte > 127 for byte in response.body[:65536]):
            return response
        self.stats.inc_value("bmkz/charset_corrected")
        logger.warning("Page declared %s but is UTF-8: %s", response.encoding, response.url)
        return response.replace(encoding="utf-8")

    def _redetect_encoding(self, response: TextResponse) -> TextResponse:
        from charset_normalizer import from_bytes

        best = from_bytes(response.body, threshold=MAX_CHARSET_CHAOS).best()
        if best is None or best.encoding in {"utf_8", "utf-8"}:
            self.stats.inc_value("bmkz/charset_undecodable")
            logger.warning(
                "Page is not valid %s and its charset could not be told: %s", response.encoding, response.url
            )
            return response
        self.stats.inc_value("bmkz/charset_redetected")
        logger.warning("Page declared %s but is %s: %s", response.encoding, best.encoding, response.url)
        return response.replace(encoding=best.encoding)

    def _at_article_limit(self) -> bool:
        limit = self.args.max_articles
        return limit is not None and self.articles_emitted >= limit

    # --- errors ---------------------------------------------------------------------------------

    def on_request_dropped(self, request: Request, spider: Spider) -> None:
        """A redirect that leads back to a page already requested is a loop: count it."""
        chain = request.meta.get("redirect_urls") or []
        if request.url in chain or canonicalize_url(request.url) in {canonicalize_url(u) for u in chain}:
            self._count_redirect_loop(chain[0])

    def _count_redirect_loop(self, first_url: str) -> None:
        self.stats.inc_value("bmkz/errors/redirect_loop")
        logger.warning("Redirect loop, page not fetched: %s", first_url)

    def on_error(self, failure: Failure) -> None:
        request = failure.request  # type: ignore[attr-defined]
        if failure.check(HttpError):
            status = failure.value.response.status
            if status in (404, 410):
                self.stats.inc_value(f"bmkz/errors/gone/{status}")
                if request.url not in self._gone_logged:
                    self._gone_logged.add(request.url)
                    logger.warning("Gone (%s): %s", status, request.url)
                return
            self.stats.inc_value(f"bmkz/errors/http/{status}")
            logger.warning("HTTP %s after retries: %s", status, request.url)
            return
        if failure.check(OffsiteRequest):
            return  # counted by the guard (bmkz/filtered/offsite): a redirect off the site
        if failure.check(IgnoreRequest) and request.meta.get("redirect_urls"):
            # RedirectMiddleware gave up (REDIRECT_MAX_TIMES): a loop through ever-new URLs.
            self._count_redirect_loop(request.meta["redirect_urls"][0])
            return
        kind = failure.type.__name__ if failure.type else "unknown"
        self.stats.inc_value(f"bmkz/errors/download/{kind}")
        logger.warning("Download failed (%s): %s", kind, request.url)


def _published(article: Article) -> datetime | None:
    if not article.published_at:
        return None
    try:
        return parse_cli_date(article.published_at)
    except ValueError:
        return None
