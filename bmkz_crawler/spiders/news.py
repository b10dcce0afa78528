"""NewsSpider: what to fetch next on BM.KZ, in both editions, each article once.

Sources, all discovered from `BMKZ_BASE_URL`:
- menu: the home page's header menu gives the sections; each section archive is walked by
  its `next` links; cards give articles; each article's related block gives more; the
  `QAZ`/`RUS` switch gives the other edition, which is walked the same way.
- sitemap: robots.txt names the sitemap indexes; post sitemaps list every article with
  `lastmod`.
- feed: the RSS feeds the home pages announce.

What to fetch, skip or stop is the crawl's `CrawlPolicy` (bmkz_crawler/policy.py): the spider
finds candidates and asks it. Every candidate URL is canonicalized once, by the policy, before
it is scheduled, so Scrapy's dupefilter sees each article once. Pages are handed to
ArticleExtractor, which decides by content whether a page is an article.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Iterator
from typing import Any, Self
from urllib.parse import urljoin, urlsplit

from scrapy import Request, Spider, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import CloseSpider, DontCloseSpider, IgnoreRequest
from scrapy.http import Response, TextResponse
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.python.failure import Failure

from bmkz_crawler import stats_keys as keys
from bmkz_crawler.archive import archive_failed, archive_for, archive_gone
from bmkz_crawler.compat import robots_sitemaps as robots_sitemaps_of
from bmkz_crawler.conditional import CONDITIONAL, conditional_meta
from bmkz_crawler.extraction import ArticleExtractor
from bmkz_crawler.extraction.article import PROFILES
from bmkz_crawler.extraction.links import Card, PageLinks, feed_cards, robots_sitemaps, sitemap_entries
from bmkz_crawler.items import Article
from bmkz_crawler.middlewares import OffsiteRequest
from bmkz_crawler.policy import GONE_CHECK_ASKED, CrawlPolicy
from bmkz_crawler.politeness import RequestCapReached
from bmkz_crawler.processors import canonicalize_url, parse_instant
from bmkz_crawler.spiders.arguments import CrawlArguments

logger = logging.getLogger(__name__)

# Depth-first toward articles: an article waiting is fetched before another listing page.
ARTICLE_PRIORITY = 30
LISTING_PRIORITY = 20
SITEMAP_PRIORITY = 10
DISCOVERY_PRIORITY = 40  # home pages and robots.txt: small in number, they unlock everything

SOURCE = "bmkz_source"  # request meta: the feed or sitemap that listed an article
GONE_CHECK = "bmkz_gone_check"  # request meta: an archived article asked again because no sitemap lists it

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


class NewsSpider(Spider):
    """Discovery only: finds candidate URLs and asks the crawl's `CrawlPolicy` about each."""

    name = "news"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self.args = CrawlArguments.parse(kwargs)  # raises ValueError with a one-line message
        super().__init__(*args, **{k: v for k, v in kwargs.items() if k not in CrawlArguments.NAMES})
        self._gone_logged: set[str] = set()
        self._extractor: ArticleExtractor | None = None
        self._rediscover = False  # a remembered feed or sitemap failed in a planned run
        self._robots_from_middleware = False  # robots.txt's Sitemap lines come from Scrapy's own fetch
        self._burst_walked = False
        self._gone_checked = False

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: Any, **kwargs: Any) -> Self:
        spider = super().from_crawler(crawler, *args, **kwargs)
        spider.policy = CrawlPolicy.from_crawler(crawler, spider.args)
        spider.base_url = spider.policy.homes[0]
        spider.profile = crawler.settings.get("BMKZ_PROFILE") or "auto"
        if spider.profile not in ("auto", "none", *PROFILES):
            raise ValueError(f"BMKZ_PROFILE must be one of auto, none, {', '.join(PROFILES)}, not {spider.profile!r}")
        crawler.signals.connect(spider.on_request_dropped, signal=signals.request_dropped)
        crawler.signals.connect(spider.on_idle, signal=signals.spider_idle)
        spider._robots_from_middleware = crawler.settings.getbool("ROBOTSTXT_OBEY")
        if spider._robots_from_middleware:
            crawler.signals.connect(spider.on_robots_parsed, signal=signals.robots_parsed)
        return spider

    @property
    def stats(self) -> Any:
        return self.crawler.stats

    @property
    def extractor(self) -> ArticleExtractor:
        """Built on first use, so `scrapy parse --spider news -c parse_article URL` has one too."""
        if self._extractor is None:
            self._extractor = ArticleExtractor(self.crawler.stats, profile=self.profile)
        return self._extractor

    @classmethod
    def update_settings(cls, settings: Any) -> None:
        super().update_settings(settings)
        if settings.getpriority("USER_AGENT") <= settings.getpriority("BOT_NAME"):
            contact = settings.get("BMKZ_CONTACT_URL")
            settings.set("USER_AGENT", f"bmkz_crawler/0.1 (+{contact})", priority="spider")

    # --- start ---------------------------------------------------------------------------------

    async def start(self) -> AsyncIterator[Any]:
        if self.args.mode == "incremental":
            from bmkz_crawler.state import state_store_for

            self.policy.open_store(state_store_for(self.crawler))
        if self.policy.sweeping:
            for request in self._sweep_requests():
                yield request
            return
        # A planned run: what the last runs remembered, asked conditionally; archives only when due.
        discovery = self.policy.memory.discovery
        for feed in discovery.feeds:
            yield self._feed_request(feed)
        for index in discovery.sitemap_indexes:
            request = self._sitemap_request(index, depth=0)
            if request is not None:
                yield request
        for section in self.policy.unwalked_sections():
            yield Request(section, callback=self.parse_listing, priority=LISTING_PRIORITY, errback=self.on_error)
        for url in self.policy.rechecks_due():
            request = self.article_request(url)
            if request is not None:
                yield request

    def _sweep_requests(self) -> list[Request]:
        """A full discovery: the home page (menus, the other edition, feeds) and robots.txt's
        sitemaps — from the robots.txt Scrapy's robots middleware fetches anyway, when it obeys it."""
        requests = [
            Request(self.base_url, callback=self.parse_home, priority=DISCOVERY_PRIORITY, errback=self.on_error)
        ]
        if "sitemap" in self.args.sources and not self._robots_from_middleware:
            requests.append(self._robots_request(self.base_url))
        return requests

    def on_robots_parsed(self, robotparser: Any, request: Request) -> None:
        """Scrapy read a host's robots.txt (once per host): its Sitemap lines, on a sweep."""
        if not self.policy.sweeping or "sitemap" not in self.args.sources:
            return
        if self.policy.site_url(request.url) is None:
            return
        for request in self._sitemap_requests(robots_sitemaps_of(robotparser)):
            self.crawler.engine.crawl(request)

    def _feed_request(self, url: str) -> Request:
        return Request(
            url, callback=self.parse_feed, priority=LISTING_PRIORITY, errback=self.on_error, meta=conditional_meta()
        )

    def on_idle(self) -> None:
        """Before the crawl ends: walk the archives after a burst, or rediscover a site that moved."""
        policy, engine = self.policy, self.crawler.engine
        scheduled: list[Request] = []
        if self._rediscover and not policy.sweeping:
            logger.warning("A remembered feed or sitemap failed: discovering the site again from its home page")
            policy.sweeping = True
            scheduled = self._sweep_requests()
        elif policy.burst() and not self._burst_walked:
            self._burst_walked = True
            self.stats.inc_value("bmkz/plan/burst_walks")
            logger.info("The feeds were all new and no sitemap covered them: walking the section archives")
            scheduled = [
                Request(url, callback=self.parse_listing, priority=LISTING_PRIORITY, errback=self.on_error)
                for url in policy.memory.discovery.sections
            ]
        elif not self._gone_checked:
            self._gone_checked = True
            scheduled = self._gone_check_requests()
        self._rediscover = False
        if scheduled:
            for request in scheduled:
                engine.crawl(request)
            raise DontCloseSpider

    def _gone_check_requests(self) -> list[Request]:
        """Archived articles that no sitemap listed on a run that read them all: asked once, so a
        404/410 records the deletion (on_error). Off as the policy says (`gone_check_max`)."""
        limit = self.policy.gone_check_max
        if limit <= 0:
            return []
        try:
            store = archive_for(self.crawler)
            archived = store.live_urls() if store is not None else []
        except Exception as error:  # any store, any cause: the crawl goes on
            archive_failed(self.crawler, "listing archived articles for the gone check", error)
            return []
        requests = [self.article_request(url) for url in self.policy.unlisted(archived, limit)]
        # dont_filter: a deleted article redirected to a page fetched already (the home page) must
        # still arrive, to be seen as no article.
        asked = [
            request.replace(meta={**request.meta, GONE_CHECK: True}, dont_filter=True)
            for request in requests
            if request is not None
        ]
        self.stats.inc_value(GONE_CHECK_ASKED, len(asked))
        return asked

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
        policy = self.policy
        links = PageLinks(response)
        # The page says which edition it is; the switch link that led here is the fallback.
        language = links.language() or expected_language or "ru"
        policy.editions.setdefault(language, response.url)
        # The site is the home page's final URL after redirects (http -> https, www.).
        policy.learn_home(response.url, final=expected_language is None)
        for other_language, home in links.language_switch().items():
            new_host = policy.new_host(home)
            if policy.learn_edition(other_language, home):
                yield Request(
                    home,
                    callback=self.parse_home,
                    priority=DISCOVERY_PRIORITY,
                    errback=self.on_error,
                    cb_kwargs={"expected_language": other_language},
                )
                if new_host and "sitemap" in self.args.sources and not self._robots_from_middleware:
                    yield self._robots_request(home)
        if not self.args.wants_language(language):
            return
        feeds = links.feeds()
        if "feed" in self.args.sources:
            for feed in feeds:
                yield self._feed_request(feed)
        sections, how = links.menu_sections()
        policy.remember_discovery(
            feeds=feeds,
            sections={url: name for name, url in sections if not policy.is_edition_home(url)},
        )
        if "menu" not in self.args.sources:
            return
        self.stats.inc_value(f"bmkz/menu/{how}")
        if not sections:
            logger.warning("No section menu found on %s: only the home page's articles are walked", response.url)
        for name, url in sections:
            if policy.is_edition_home(url) or not self.args.wants_section(name, url):
                continue
            self.stats.inc_value("bmkz/sections")
            yield Request(url, callback=self.parse_listing, priority=LISTING_PRIORITY, errback=self.on_error)
        cards = self._cards(links)
        policy.note_listing(cards)
        yield from self._article_requests(policy.cards_to_fetch(cards))

    def _cards(self, links: PageLinks) -> list[Card]:
        """The page's cards; a listing read by a fallback rule is counted (`bmkz/cards/fallbackN`)."""
        cards, how = links.cards_with_source()
        if how.startswith("fallback"):
            self.stats.inc_value(f"bmkz/cards/{how}")
        return cards

    # --- archives ----------------------------------------------------------------------------------

    def parse_listing(self, response: Response, page: int = 1, stale: int = 0) -> Iterator[Request]:
        """One archive page: its cards, then the next page, unless the policy ends the walk.

        `page` is the page's place in this walk, `stale` how many pages in a row (this one
        included) showed no card that no listing had shown before: an endless `page/N` trap
        repeats or shows nothing, and ends after BMKZ_ARCHIVE_STALE_PAGES such pages.
        """
        if not isinstance(response, TextResponse):
            return
        if page == 1:
            self.policy.walked_section(response.url)
        links = PageLinks(response)
        cards = self._cards(links)
        if not cards:
            self.stats.inc_value("bmkz/listing/no_cards")
            logger.info("Listing without article cards: %s", response.url)
        stale = 0 if self.policy.note_listing(cards) else stale + 1
        settled = [self.policy.settled(card.url, card.published) for card in cards]
        yield from self._article_requests(self.policy.cards_to_fetch(cards, settled))
        next_page = links.next_page()
        has_next = next_page is not None
        if self.policy.next_archive_page(response.url, cards, settled, page, stale, has_next=has_next):
            yield Request(
                next_page,
                callback=self.parse_listing,
                priority=LISTING_PRIORITY,
                errback=self.on_error,
                cb_kwargs={"page": page + 1, "stale": stale},
            )

    def _article_requests(self, cards: list[Card], source: str | None = None) -> Iterator[Request]:
        for card in cards:
            request = self.article_request(card.url, excerpt=card.excerpt, source=source)
            if request is not None:
                yield request

    # --- sitemaps and feeds ---------------------------------------------------------------------

    def parse_robots(self, response: Response) -> Iterator[Request]:
        """robots.txt fetched by the spider itself (only when ROBOTSTXT_OBEY is off)."""
        yield from self._sitemap_requests(robots_sitemaps(response))

    def _sitemap_requests(self, sitemaps: list[str]) -> list[Request]:
        self.policy.remember_discovery(sitemap_indexes=[u for u in sitemaps if self.policy.site_url(u)])
        requests = [self._sitemap_request(url, depth=0) for url in sitemaps]
        return [request for request in requests if request is not None]

    def _sitemap_request(self, url: str, depth: int) -> Request | None:
        """A sitemap (index) `depth` indexes below robots.txt, unless off-site or past a bound."""
        fetched = self.policy.sitemap_url(url, depth)
        if fetched is None:
            return None
        return Request(
            fetched,
            callback=self.parse_sitemap,
            priority=SITEMAP_PRIORITY,
            errback=self.on_error,
            cb_kwargs={"depth": depth},
            meta=conditional_meta(),
        )

    def _sitemap_doctype(self) -> None:
        self.stats.inc_value("bmkz/sitemap/doctype_removed")

    def parse_sitemap(self, response: Response, depth: int = 0) -> Iterator[Request]:
        if response.status == 304:
            self.policy.listing_gap()  # its entries are not read this run
            return  # unchanged since the last run that stored its feeds (bmkz/conditional/not_modified)
        try:
            entries = list(sitemap_entries(response, on_doctype=self._sitemap_doctype))
        except Exception:  # a broken sitemap must not stop the crawl
            self.policy.listing_gap()
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
                elif self.policy.sitemap_child(entry.url, entry.lastmod) and self.policy.post_sitemap_changed(
                    entry.url, entry.lastmod
                ):
                    request = self._sitemap_request(entry.url, depth=depth + 1)
                    if request is not None:
                        yield request
            else:
                self.policy.read_post_sitemap()
                if self.policy.sitemap_entry(entry.url, entry.lastmod):
                    request = self.article_request(entry.url, source=response.url)
                    if request is not None:
                        yield request

    def parse_feed(self, response: Response) -> Iterator[Request]:
        if response.status == 304:
            return  # unchanged since the last run that stored its feeds (bmkz/conditional/not_modified)
        # An RSS description is WordPress's auto-excerpt with " […]": not the listing excerpt.
        cards = [Card(card.url, card.published) for card in feed_cards(response)]
        self.policy.read_feed(cards)
        yield from self._article_requests(self.policy.cards_to_fetch(cards), source=response.url)

    # --- articles ----------------------------------------------------------------------------------

    def article_request(
        self, url: str | None, *, excerpt: str | None = None, source: str | None = None
    ) -> Request | None:
        """An article request; `source` is the feed or sitemap that listed it (its validators are
        kept only if every article it listed arrives)."""
        fetched = self.policy.article_url(url)
        if fetched is None:
            return None
        return Request(
            fetched,
            callback=self.parse_article,
            priority=ARTICLE_PRIORITY,
            errback=self.on_error,
            cb_kwargs={"excerpt": excerpt},
            meta={SOURCE: source} if source else {},
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
            self._redirected_away(response)
            return
        if b"</html>" not in response.body[-4096:].lower():
            self.stats.inc_value("bmkz/errors/truncated_page")
            logger.warning("Page looks truncated (no </html>): %s", response.url)
        self.policy.fetched_article(article.url or response.url, parse_instant(article.published_at))
        if not self.policy.deliver(article.language, parse_instant(article.published_at), response.url):
            return
        yield article
        if self.policy.at_article_limit():
            raise CloseSpider("max_articles")
        for url in self.policy.related_to_fetch(article.related_urls):
            request = self.article_request(url)
            if request is not None:
                yield request

    def _redirected_away(self, response: Response) -> None:
        """An archived article the gone check asked for, redirected to a page that is no article
        (the home page, a section): deleted, the way many newsrooms delete — recorded as gone with
        the redirect's status."""
        if not response.meta.get(GONE_CHECK):
            return
        redirects = response.meta.get("redirect_urls") or []
        reasons = response.meta.get("redirect_reasons") or []
        if redirects:
            status = next((reason for reason in reasons if isinstance(reason, int)), 301)
            if archive_gone(self.crawler, redirects[0], status):
                logger.warning("Gone (%s to %s, no article there): %s", status, response.url, redirects[0])

    def _repair_encoding(self, response: TextResponse) -> TextResponse:
        """A page whose bytes are not in the charset it declares is read in the one they are in.

        Valid UTF-8 declared as something else is read as UTF-8 (`bmkz/charset_corrected`).
        Bytes declared UTF-8 that are not (a cp1251 page, say) go to charset-normalizer: read in
        the charset it finds when it is confident (`bmkz/charset_redetected`), else kept and
        counted (`bmkz/charset_undecodable`); never exported as U+FFFD silently.
        """
        if response.encoding.lower().replace("-", "").replace("_", "") in {"utf8"}:
            # Scrapy decoded the page replacing bad bytes with U+FFFD: only then are the bytes checked.
            if "\ufffd" not in response.text:
                return response
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

    # --- errors ---------------------------------------------------------------------------------

    def on_request_dropped(self, request: Request, spider: Spider) -> None:
        """A redirect that leads back to a page already requested is a loop: count it."""
        chain = request.meta.get("redirect_urls") or []
        if request.url in chain or canonicalize_url(request.url) in {canonicalize_url(u) for u in chain}:
            self._count_redirect_loop(chain[0])

    def _count_redirect_loop(self, first_url: str) -> None:
        self.stats.inc_value(keys.REDIRECT_LOOP)
        logger.warning("Redirect loop, page not fetched: %s", first_url)

    def on_error(self, failure: Failure) -> None:
        request = failure.request  # type: ignore[attr-defined]
        if request.callback == self.parse_sitemap:
            self.policy.listing_gap()
        gone = failure.check(HttpError) and failure.value.response.status in (404, 410)
        if not gone:
            # Its feed or sitemap must be read in full next time, not answered by a 304.
            self.policy.source_incomplete(request.meta.get(SOURCE))
        if request.meta.get(CONDITIONAL) and not self.policy.sweeping:
            self._rediscover = True  # a remembered feed or sitemap failed: the site may have moved
        if failure.check(HttpError):
            status = failure.value.response.status
            if status in (404, 410):
                self.stats.inc_value(f"{keys.ERRORS_GONE}{status}")
                archive_gone(self.crawler, request.url, status)  # deletions: fact-checkers look first
                if request.url not in self._gone_logged:
                    self._gone_logged.add(request.url)
                    logger.warning("Gone (%s): %s", status, request.url)
                return
            self.stats.inc_value(f"{keys.ERRORS_HTTP}{status}")
            logger.warning("HTTP %s after retries: %s", status, request.url)
            return
        if failure.check(OffsiteRequest):
            return  # counted by the guard (bmkz/filtered/offsite): a redirect off the site
        if failure.check(RequestCapReached):
            return  # counted by RequestCapMiddleware (bmkz/politeness/request_cap_refused): no failure
        if failure.check(IgnoreRequest) and request.meta.get("redirect_urls"):
            # RedirectMiddleware gave up (REDIRECT_MAX_TIMES): a loop through ever-new URLs.
            self._count_redirect_loop(request.meta["redirect_urls"][0])
            return
        kind = failure.type.__name__ if failure.type else "unknown"
        self.stats.inc_value(f"{keys.ERRORS_DOWNLOAD}{kind}")
        logger.warning("Download failed (%s): %s", kind, request.url)
