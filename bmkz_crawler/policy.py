"""CrawlPolicy: every decision of what a crawl fetches, skips or stops, in one place, each with its stats key.

One policy per crawler (`crawl_policy(crawler)`), built by the news spider from its `-a`
arguments and the settings. The spider only finds candidates (menu sections, cards, sitemap
entries, feed items, related links) and asks the policy about each; the download guard asks it
about every request, redirects and retries included; the progress extension, DedupePipeline
and the Redis scheduler read what they need from it — never from the spider's attributes.

"Why wasn't this URL fetched or exported?": every skip counts a key (`bmkz/filtered/offsite`,
`bmkz/incremental/known_skipped`, `bmkz/bounds/archive_stale`, ...) and, with
`-s BMKZ_TRACE=True`, logs the URL, the decision and the key.

Decisions, in the order a URL meets them:
- the site (`site_url`): the one origin rule of `processors.same_site` against the homes the
  crawl learned (the base URL, the home page's final URL after redirects, the editions' homes);
- an article candidate (`article_url`): canonical form, `/amp/` copy mapped to its original, on
  the site, not an asset, of a wanted edition, the `max_articles` budget not spent;
- planning (`plan`, `burst`): an incremental run reads the feeds and sitemaps it remembers
  (conditional requests: `304` when nothing changed) and walks archives only for a burst the
  feeds and sitemaps did not cover, a section never walked, or on a sweep (`BMKZ_SWEEP_HOURS`);
- incremental (`settled`, `unchanged_since_export`): exported before and no re-check age
  (`BMKZ_RECHECK_HOURS`) passed since it was last fetched, or a sitemap `lastmod` no newer
  than the exported version;
- walks (`next_archive_page`, `sitemap_url`): the bounds of `WalkBounds`;
- delivery (`deliver`): language, `since`/`until` window, `max_articles`.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from scrapy.crawler import Crawler

from bmkz_crawler import stats_keys as keys
from bmkz_crawler.archive import archive_enabled
from bmkz_crawler.extraction.links import Card, article_url, is_asset
from bmkz_crawler.memory import Recent, Section, SiteMemory, Validator, parse_ages, recheck_due
from bmkz_crawler.processors import canonicalize_url, on_site, parse_instant, same_site
from bmkz_crawler.spiders.arguments import SOURCES, CrawlArguments
from bmkz_crawler.state.base import ArticleState, StateStore, state_key

logger = logging.getLogger(__name__)

# Stats keys of the policy's decisions.
OFFSITE = keys.OFFSITE
ASSET = "bmkz/filtered/asset"
OTHER_LANGUAGE = "bmkz/filtered/other_language"
UPGRADED_TO_HTTPS = "bmkz/upgraded_to_https"
KNOWN_SKIPPED = keys.KNOWN_SKIPPED
SITEMAP_UNCHANGED = keys.SITEMAP_UNCHANGED
LISTING_STOPPED = "bmkz/incremental/listing_stopped"
SINCE_CARD_SKIPPED = "bmkz/since/card_skipped"
SINCE_LISTING_STOPPED = "bmkz/since/listing_stopped"
SINCE_SITEMAP_SKIPPED = "bmkz/since/sitemap_skipped"
SINCE_SITEMAP_ENTRY_SKIPPED = "bmkz/since/sitemap_entry_skipped"
SINCE_ARTICLE_OUT_OF_WINDOW = "bmkz/since/article_out_of_window"
BOUNDS_PREFIX = "bmkz/bounds/"
SITEMAP_UNCHANGED_FILE = "bmkz/incremental/post_sitemap_unchanged"
# The gone check: archived articles no sitemap listed on a run that read every sitemap in full.
GONE_CHECK_ASKED = "bmkz/gone_check/asked"
GONE_CHECK_TOO_MANY = "bmkz/gone_check/too_many"
GONE_CHECK_NOT_COMPLETE = "bmkz/gone_check/listing_incomplete"
RECHECKS = keys.RECHECKS
PLAN = keys.PLAN
DEFAULT_RECHECK_AGES = tuple(timedelta(hours=h) for h in (1, 6, 24, 48))

_CRAWLER_ATTRIBUTE = "bmkz_crawl_policy"


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


def crawl_policy(crawler: Crawler) -> CrawlPolicy | None:
    """The crawl's policy, once the news spider has built it (None for any other spider)."""
    return getattr(crawler, _CRAWLER_ATTRIBUTE, None)


class CrawlPolicy:
    def __init__(
        self,
        args: CrawlArguments,
        base_url: str,
        stats: Any,
        *,
        bounds: WalkBounds | None = None,
        recheck_ages: tuple[timedelta, ...] = DEFAULT_RECHECK_AGES,
        sweep_every: timedelta = timedelta(hours=24),
        trace: bool = False,
        now: datetime | None = None,
        gone_check_max: int = 200,
    ) -> None:
        self.args = args
        # The gone check asks at most this many unlisted archived articles; 0: off (no archive,
        # Redis mode, BMKZ_GONE_CHECK_MAX=0), and then the sitemaps' listing is not collected.
        self.gone_check_max = gone_check_max
        self._stats = stats
        self._crawler: Crawler | None = None
        self.bounds = bounds or WalkBounds()
        self.now = now or datetime.now(UTC)
        self.recheck_ages = recheck_ages
        self.sweep_every = sweep_every
        self.memory = SiteMemory()  # what the last runs remembered (read when the store opens)
        self.sweeping = True  # a full discovery (home pages, menus, archives); False: a planned run
        self._validators: dict[str, Validator] = {}  # learned this run, saved with the export marks
        self._incomplete: set[str] = set()  # feeds/sitemaps whose articles did not all arrive
        self._fetched: dict[str, Recent] = {}  # recent articles fetched this run
        self._feeds_all_new = False
        self._post_sitemap_read = False
        self.trace = trace
        self.homes: list[str] = [base_url]  # the site: checked in order, the final home URL first
        self.editions: dict[str, str] = {}  # language -> home URL
        self.store: StateStore | None = None  # set when an incremental crawl starts
        self.articles_emitted = 0
        self.expected_total: int | None = None  # articles the sitemaps list, for the progress ETA
        self._sitemap_entries: set[int] = set()
        self._sitemap_files = 0
        self._listed: set[int] = set()  # card URLs listings showed (hashes): what a "new" card is
        self._sitemap_listed: set[str] = set()  # article URLs the sitemaps list, as the archive keys them
        self._listing_gaps = 0  # sitemaps not read in full this run (304, skipped, failed, bounded)
        self._bounds_logged: set[str] = set()

    @classmethod
    def from_crawler(cls, crawler: Crawler, args: CrawlArguments) -> CrawlPolicy:
        """Build the crawl's policy and register it on the crawler for the other components."""
        settings = crawler.settings
        base = canonicalize_url(settings.get("BMKZ_BASE_URL"))
        if base is None:  # check_settings refuses it before a crawl; a bare Crawler gets this
            raise ValueError(f"BMKZ_BASE_URL must be an absolute http(s) URL, not {settings.get('BMKZ_BASE_URL')!r}")
        policy = cls(
            args,
            base,
            None,  # the crawler's stats exist only once the crawl starts: read then
            bounds=WalkBounds.from_settings(settings),
            recheck_ages=parse_ages(settings.get("BMKZ_RECHECK_HOURS", "1,6,24,48")),
            sweep_every=timedelta(hours=settings.getfloat("BMKZ_SWEEP_HOURS", 24.0)),
            trace=settings.getbool("BMKZ_TRACE"),
            # Off in Redis mode, where each worker reads only part of the sitemaps.
            gone_check_max=(
                0
                if settings.get("BMKZ_REDIS_URL") or not archive_enabled(crawler)
                else settings.getint("BMKZ_GONE_CHECK_MAX")
            ),
        )
        policy._crawler = crawler
        setattr(crawler, _CRAWLER_ATTRIBUTE, policy)
        return policy

    @property
    def stats(self) -> Any:
        return self._stats if self._crawler is None else self._crawler.stats

    # --- decisions are counted, and traced on demand ----------------------------------------------

    def _skip(self, key: str, url: str | None, why: str) -> None:
        self.stats.inc_value(key)
        if self.trace:
            logger.info("skip %s: %s [%s]", url, why, key)

    def _take(self, url: str, why: str) -> None:
        if self.trace:
            logger.info("fetch %s: %s", url, why)

    # --- the site ---------------------------------------------------------------------------------

    def site_url(self, url: str | None) -> str | None:
        """`url` as the site is fetched (same-host http upgraded on an https site), None off the site."""
        return on_site(url, self.homes)

    def request_url(self, url: str) -> str | None:
        """The download guard's question for every request: its URL to fetch, or None (counted)."""
        fetched = self.site_url(url)
        if fetched is None:
            self._skip(OFFSITE, url, "off the site's scheme-host-port")
            return None
        if fetched != url:
            self.stats.inc_value(UPGRADED_TO_HTTPS)
        if is_asset(fetched) and not fetched.endswith((".xml", ".xml.gz")):
            self._skip(ASSET, url, "an image, document, media or static file")
            return None
        return fetched

    def learn_home(self, url: str, *, final: bool = False) -> None:
        """A home page of the site: the base's final URL after redirects (`final`) goes first."""
        if final and url not in self.homes:
            self.homes.insert(0, url)
        elif not any(same_site(url, home) for home in self.homes):
            self.homes.append(url)

    def learn_edition(self, language: str, home: str) -> bool:
        """Remember an edition's home; True when it is new (to be walked)."""
        if language in self.editions or self.is_edition_home(home):
            return False
        self.editions[language] = home
        self.learn_home(home)
        return True

    def is_edition_home(self, url: str) -> bool:
        return _home_key(url) in {_home_key(home) for home in self.editions.values()}

    def edition_of(self, url: str) -> str | None:
        """The edition whose home URL is the longest prefix of the URL, on whole path segments
        (same host): `/kz` claims `/kz/maqala/`, never `/kzt-ukrepilsya/`."""
        best: tuple[int, str] | None = None
        parts = urlsplit(url)
        for language, home in self.editions.items():
            home_parts = urlsplit(home)
            prefix = home_parts.path.rstrip("/") + "/"
            matches = home_parts.netloc == parts.netloc and (parts.path + "/").startswith(prefix)
            if matches and (best is None or len(prefix) > best[0]):
                best = (len(prefix), language)
        return best[1] if best else None

    def new_host(self, url: str) -> bool:
        """The URL is on a host no home has (its robots.txt names its own sitemaps)."""
        return not any(urlsplit(url).netloc == urlsplit(home).netloc for home in self.homes)

    # --- articles -------------------------------------------------------------------------------------

    def at_article_limit(self) -> bool:
        limit = self.args.max_articles
        return limit is not None and self.articles_emitted >= limit

    def article_url(self, url: str | None) -> str | None:
        """The URL to request an article candidate at, or None (each refusal counted)."""
        canonical = article_url(url)
        if canonical is None or self.at_article_limit():
            return None
        fetched = self.site_url(canonical)
        if fetched is None:
            self._skip(OFFSITE, canonical, "off the site's scheme-host-port")
            return None
        if is_asset(fetched):
            self._skip(ASSET, fetched, "an image, document, media or static file")
            return None
        if self.args.lang != "all" and self.edition_of(fetched) not in (None, self.args.lang):
            self._skip(OTHER_LANGUAGE, fetched, f"in an edition other than lang={self.args.lang}")
            return None
        self._take(fetched, "article candidate")
        return fetched

    def deliver(self, language: str | None, published: datetime | None, url: str) -> bool:
        """An extracted article goes to the pipelines: wanted edition, in the window, within budget."""
        if not self.args.wants_language(language):
            self._skip(OTHER_LANGUAGE, url, f"language {language} not asked for")
            return False
        if not self.args.in_window(published):
            self._skip(SINCE_ARTICLE_OUT_OF_WINDOW, url, "published outside since/until")
            return False
        if self.at_article_limit():
            return False
        self.articles_emitted += 1
        return True

    # --- incremental ----------------------------------------------------------------------------------

    def _known(self, url: str) -> ArticleState | None:
        """What the state store knows of the URL, in the form it is fetched (and so exported) in."""
        assert self.store is not None
        canonical = article_url(url) or url
        return self.store.lookup(self.site_url(canonical) or canonical)

    def settled(self, url: str, published: datetime | None) -> bool:
        """Exported already, and no re-check age passed since it was last fetched: not fetched again."""
        if self.store is None:
            return False
        known = self._known(url)
        if known is None or not known.last_exported:
            return False
        published = published or parse_instant(known.published_at)
        return not recheck_due(published, self._last_fetched(url, known), self.now, self.recheck_ages)

    def _last_fetched(self, url: str, known: ArticleState) -> datetime | None:
        recent = self.memory.recent.get(self.site_url(article_url(url) or url) or url)
        return parse_instant(recent.checked_at if recent else None) or parse_instant(known.last_exported)

    def rechecks_due(self) -> list[str]:
        """Recent articles a re-check age has come for since they were last fetched."""
        due = []
        for url, recent in self.memory.recent.items():
            published, checked = parse_instant(recent.published_at), parse_instant(recent.checked_at)
            if recheck_due(published, checked, self.now, self.recheck_ages):
                due.append(url)
        self.stats.inc_value(RECHECKS, len(due))
        return due

    def fetched_article(self, url: str, published: datetime | None) -> None:
        """An article page arrived: remember when, for its re-checks (saved with the export marks)."""
        horizon = self.recheck_ages[-1] if self.recheck_ages else timedelta(0)
        if published is not None and self.now - published <= horizon:
            self._fetched[url] = Recent(published.isoformat(), self.now.isoformat())

    def unchanged_since_export(self, url: str, lastmod: datetime | None) -> bool:
        """The sitemap's lastmod is no newer than the version we exported.

        Compared on the site's own clock (the exported modified/published time), not on ours:
        a site whose clock or time zone is off still gets its edits noticed.
        """
        if self.store is None or lastmod is None:
            return False
        known = self._known(url)
        if known is None or not known.last_exported:
            return False
        exported_version = parse_instant(known.modified_at or known.published_at)
        return exported_version is not None and lastmod <= exported_version

    def cards_to_fetch(self, cards: list[Card], settled: list[bool] | None = None) -> list[Card]:
        """The cards whose articles are fetched: in the window and not settled (each skip counted)."""
        settled = settled if settled is not None else [self.settled(c.url, c.published) for c in cards]
        chosen = []
        for card, known in zip(cards, settled, strict=True):
            if not self.args.in_window(card.published):
                self._skip(SINCE_CARD_SKIPPED, card.url, "listed as published outside since/until")
            elif known:
                self._skip(KNOWN_SKIPPED, card.url, "exported before, no re-check due")
            else:
                chosen.append(card)
        return chosen

    def related_to_fetch(self, urls: list[str]) -> list[str]:
        """Related links are followed unless `since` bounds the crawl or they are settled."""
        if self.args.since or "menu" not in self.args.sources:
            return []
        chosen = []
        for url in urls:
            if self.settled(url, None):
                self._skip(KNOWN_SKIPPED, url, "exported before, no re-check due")
            else:
                chosen.append(url)
        return chosen

    # --- walks ----------------------------------------------------------------------------------------

    def note_listing(self, cards: list[Card]) -> bool:
        """Record the cards a listing showed; True when one of them no listing had shown before."""
        new = [hash(card.url) for card in cards if hash(card.url) not in self._listed]
        self._listed.update(new)
        return bool(new)

    def next_archive_page(
        self, url: str, cards: list[Card], settled: list[bool], page: int, stale: int, *, has_next: bool = True
    ) -> bool:
        """Whether the archive walk goes on past this page (`page` of the walk, `stale` pages without a new card)."""
        if cards and self.args.since and all(c.published and c.published < self.args.since for c in cards):
            self._skip(SINCE_LISTING_STOPPED, url, "every card published before since")
            return False
        if cards and settled[-1]:
            # Archives list newest first: once the page's oldest card is exported and past the
            # refresh window, the pages after it are older still. (Sitemap entries are checked
            # one by one, so an older article never exported is still found there.)
            self._skip(LISTING_STOPPED, url, "its oldest card is exported and settled")
            return False
        if not has_next or self.at_article_limit():
            return False
        if stale >= self.bounds.archive_stale_pages:
            self.bound_reached(
                "archive_stale", url, f"Archive walk ended: {stale} pages in a row without a new article card"
            )
            return False
        if page >= self.bounds.archive_max_pages:
            backfill = " — a full backfill may be incomplete: raise it" if self.args.mode == "full" else ""
            self.bound_reached(
                "archive_max_pages",
                url,
                f"Archive walk ended at BMKZ_ARCHIVE_MAX_PAGES={self.bounds.archive_max_pages}{backfill}",
            )
            return False
        return True

    def sitemap_url(self, url: str, depth: int) -> str | None:
        """A sitemap (index) `depth` indexes below robots.txt to fetch, or None (off-site or past a bound)."""
        fetched = self.site_url(url)
        if fetched is None:
            self._skip(OFFSITE, url, "a sitemap off the site")
            self.listing_gap()
            return None
        if depth > self.bounds.sitemap_max_depth:
            self.bound_reached(
                "sitemap_depth", url, f"Sitemap index nesting deeper than {self.bounds.sitemap_max_depth}"
            )
            return None
        if self._sitemap_files >= self.bounds.sitemap_max_files:
            self.bound_reached("sitemap_files", url, f"More than {self.bounds.sitemap_max_files} sitemap files")
            return None
        self._sitemap_files += 1
        return fetched

    def sitemap_child(self, url: str, lastmod: datetime | None) -> bool:
        """A child sitemap older than `since` is skipped."""
        if self.args.since and lastmod and lastmod < self.args.since:
            self._skip(SINCE_SITEMAP_SKIPPED, url, "a child sitemap last modified before since")
            self.listing_gap()
            return False
        return True

    def sitemap_entry(self, url: str, lastmod: datetime | None) -> bool:
        """A sitemap's article entry is fetched unless out of the window or unchanged since its export."""
        key = hash(url)
        if key not in self._sitemap_entries:
            self._sitemap_entries.add(key)
            self.expected_total = len(self._sitemap_entries)
            if self.gone_check_max > 0:
                self._sitemap_listed.add(state_key(self.site_url(url) or url))
        if self.args.since and lastmod and lastmod < self.args.since:
            self._skip(SINCE_SITEMAP_ENTRY_SKIPPED, url, "last modified before since")
            return False
        if self.unchanged_since_export(url, lastmod):
            self._skip(SITEMAP_UNCHANGED, url, "lastmod no newer than the exported version")
            return False
        return True

    # --- planning and remembered discovery ------------------------------------------------------------

    def open_store(self, store: StateStore) -> None:
        """An incremental crawl: read what the last runs remembered, and plan this one."""
        self.store = store
        self.memory = SiteMemory.from_store(store.load_memory())
        discovery = self.memory.discovery
        can_plan = (
            discovery.known
            and not self.args.since
            and self.args.sources == frozenset(SOURCES)
            and not self.memory.sweep_due(self.now, self.sweep_every)
        )
        self.sweeping = not can_plan
        if can_plan:
            for language, home in discovery.editions.items():
                self.editions.setdefault(language, home)
                self.learn_home(home)
        self.stats.set_value(PLAN, "sweep" if self.sweeping else "planned")

    def unwalked_sections(self) -> list[str]:
        """Section archives of the remembered menu that no run has walked yet."""
        return [url for url, section in self.memory.discovery.sections.items() if not section.walked_at]

    def remember_discovery(self, *, feeds: list[str] = (), sections: dict[str, str] | None = None,
                           sitemap_indexes: list[str] = ()) -> None:  # fmt: skip
        """What a sweep found (saved with the export marks)."""
        discovery = self.memory.discovery
        discovery.editions.update(self.editions)
        discovery.feeds = list(dict.fromkeys([*discovery.feeds, *feeds]))
        for url, name in (sections or {}).items():
            discovery.sections.setdefault(url, Section(name))
        discovery.sitemap_indexes = list(dict.fromkeys([*discovery.sitemap_indexes, *sitemap_indexes]))

    def walked_section(self, url: str) -> None:
        section = self.memory.discovery.sections.get(url)
        if section is not None:
            section.walked_at = self.now.isoformat()

    def post_sitemap_changed(self, url: str, lastmod: datetime | None) -> bool:
        """A post sitemap listed in an index: fetched when new to us or its `lastmod` moved."""
        known = self.memory.discovery.post_sitemaps
        stamp = lastmod.isoformat() if lastmod else None
        if self.sweeping or url not in known or stamp is None or known[url] != stamp:
            known[url] = stamp
            return True
        self._skip(SITEMAP_UNCHANGED_FILE, url, "its lastmod in the index has not moved")
        self.listing_gap()
        return False

    def read_post_sitemap(self) -> None:
        self._post_sitemap_read = True

    def read_feed(self, cards: list[Card]) -> None:
        """A feed answered in full: a burst when none of its items was known before."""
        if self.store is not None and cards and not any(self._known(card.url) for card in cards):
            self._feeds_all_new = True

    def burst(self) -> bool:
        """The feeds were all new and no post sitemap was read: archives must be walked to reach back."""
        return not self.sweeping and self._feeds_all_new and not self._post_sitemap_read

    # --- deletions: the gone check -----------------------------------------------------------------

    def listing_gap(self) -> None:
        """A sitemap was not read in full this run (unchanged, 304, failed, bounded): what the
        sitemaps list is not known whole, so no archived article can be called unlisted."""
        self._listing_gaps += 1

    def unlisted(self, archived_urls: Iterable[str], limit: int) -> list[str]:
        """The gone check: archived articles that no sitemap listed on this run, to be asked once
        (a 404/410 records the deletion). Only when every sitemap was read in full — a `mode=full`
        run, or a sweep whose sitemaps all changed — and on this site and edition; none when more
        than `limit` are unlisted (a sitemap that lists only part of the site, not deletions)."""
        if not self._post_sitemap_read or self._listing_gaps:
            self.stats.inc_value(GONE_CHECK_NOT_COMPLETE)
            return []
        candidates = []
        for url in archived_urls:
            fetched = self.site_url(url)
            if fetched is None or state_key(fetched) in self._sitemap_listed:
                continue
            if self.args.lang != "all" and self.edition_of(fetched) not in (None, self.args.lang):
                continue
            candidates.append(fetched)
        if len(candidates) > limit:
            self.stats.inc_value(GONE_CHECK_TOO_MANY)
            logger.warning(
                "%d archived articles are in no sitemap this run, more than BMKZ_GONE_CHECK_MAX=%d: not asking "
                "them (do the sitemaps list only part of the site?)",
                len(candidates),
                limit,
            )
            return []
        if candidates:
            logger.info("Asking %d archived articles no sitemap lists any more, to find deletions", len(candidates))
        for url in candidates:
            self._take(url, "archived, in no sitemap any more: gone?")
        return candidates

    # --- conditional requests ---------------------------------------------------------------------------

    def validators_for(self, url: str) -> Validator | None:
        return self.memory.validators.get(url)

    def learned_validators(self, url: str, etag: str | None, last_modified: str | None) -> None:
        if etag or last_modified:
            self._validators[url] = Validator(etag, last_modified)

    def source_incomplete(self, url: str | None) -> None:
        """An article found on this feed or sitemap failed: its validators are not kept."""
        if url:
            self._incomplete.add(url)

    def memory_to_save(self) -> dict[str, str]:
        """The memory as it stands after this run, for the store (called once the feeds are stored)."""
        memory = self.memory
        for url, validator in self._validators.items():
            if url not in self._incomplete:
                memory.validators[url] = validator
        for url in self._incomplete:
            memory.validators.pop(url, None)
        memory.recent.update(self._fetched)
        last_age = self.recheck_ages[-1] if self.recheck_ages else timedelta(0)
        memory.prune_recent(self.now, last_age + timedelta(hours=1))
        if self.sweeping and not self.at_article_limit():
            memory.swept_at = self.now.isoformat()
        return memory.to_store()

    def bound_reached(self, bound: str, url: str, message: str) -> None:
        """A walk's bound triggered: counted every time (`bmkz/bounds/<bound>`), logged once per crawl."""
        self._skip(BOUNDS_PREFIX + bound, url, message)
        if bound.startswith("sitemap"):
            self.listing_gap()
        if bound not in self._bounds_logged:
            self._bounds_logged.add(bound)
            logger.warning("%s: %s (counted as %s%s; logged once)", message, url, BOUNDS_PREFIX, bound)


def _home_key(url: str) -> str:
    """A home URL compared with or without its trailing slash."""
    return (canonicalize_url(url) or url).rstrip("/") + "/"
