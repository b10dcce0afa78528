"""ArticleExtractor: one article page -> one `Article`, with no I/O and no crawling.

Page knowledge lives here, in layers tried strongest first for each field:

1. the **site profile** chosen by what the page shows (`SmartMagYoast`: the SmartMag theme's
   selectors and Yoast's metadata, as `../shared/site-anatomy.md` describes BM.KZ); a redesign
   is a new profile class that subclasses the old one and overrides what changed;
2. generic **structured data**: JSON-LD of every article type, schema.org microdata,
   OpenGraph / `article:*` and other common meta;
3. generic **page evidence** (`generic.py`): the main article block, `<time datetime>` inside
   the article, visible bylines;
4. for the body only, a generic **main-text extractor** (trafilatura, `main_text.py`).

The first source whose value survives the field's input processor wins and is counted as
`article/<field>/<source>` (sources named `generic*` and `main_text` are layers 3-4: the
markup-changed signal). A source that raises costs that source (`article/<field>/error`),
never the field's other sources or the article. A required field that is missing or came
from its weakest source is logged with the page URL.

The contract says which fields are defined by what the page *shows* (authors, category,
tags): for those the markup comes first and metadata is only a fallback, or not used.
"""

from __future__ import annotations

import logging
import re
from collections import Counter
from collections.abc import Callable, Iterable
from functools import cache
from typing import Any, NamedTuple
from urllib.parse import urljoin, urlsplit

from cssselect import GenericTranslator
from itemloaders import ItemLoader
from itemloaders.processors import Compose, Identity, MapCompose, TakeFirst
from lxml import etree
from scrapy.http import HtmlResponse, TextResponse

from bmkz_crawler import stats_keys as keys
from bmkz_crawler.compat import loader_values
from bmkz_crawler.extraction import generic
from bmkz_crawler.extraction.body import collect_body, is_inner_furniture
from bmkz_crawler.extraction.classindex import ClassIndex
from bmkz_crawler.extraction.generic import unique
from bmkz_crawler.extraction.main_text import main_text_blocks
from bmkz_crawler.extraction.structured import ARTICLE_TYPES, StructuredData, text_values, types_of
from bmkz_crawler.items import REQUIRED_FIELDS, Article, mark_contract_clean
from bmkz_crawler.processors import (
    amp_original,
    canonicalize_url,
    content_hash,
    count_words,
    dateline_city,
    language_code,
    normalize_text,
    parse_printed_date,
    parse_views,
    same_site,
    strip_site_suffix,
    to_almaty_iso,
    to_int,
    utc_now_iso,
)

logger = logging.getLogger(__name__)


def css(selector: str) -> etree.XPath:
    """A CSS selector compiled once to an lxml XPath (relative to the element it is run on)."""
    return etree.XPath(GenericTranslator().css_to_xpath(selector, prefix="descendant-or-self::"))


def clean_image_url(value: str | None) -> str | None:
    url = canonicalize_url(value)
    if url and re.search(r"\.(?:jpe?g|png|gif|webp|avif)(?:$|\?)", urlsplit(url).path + "?", re.IGNORECASE):
        return url
    return url if url and "/wp-content/" in url else None


def join_blocks_or_none(blocks: list[str]) -> str | None:
    return "\n\n".join(blocks) or None


class ArticleLoader(ItemLoader):
    """Cleans each field with the processors of the contract (one place per field)."""

    default_item_class = Article
    default_output_processor = TakeFirst()

    url_in = MapCompose(canonicalize_url)
    post_id_in = MapCompose(to_int)
    language_in = MapCompose(language_code)
    title_in = MapCompose(strip_site_suffix)
    description_in = MapCompose(normalize_text)
    body_in = MapCompose(normalize_text)
    body_out = Compose(join_blocks_or_none)
    published_at_in = MapCompose(to_almaty_iso)
    modified_at_in = MapCompose(to_almaty_iso)
    authors_in = MapCompose(normalize_text)
    authors_out = Compose(unique)
    category_in = MapCompose(normalize_text)
    tags_in = MapCompose(normalize_text)
    tags_out = Compose(unique)
    image_url_in = MapCompose(clean_image_url)
    image_caption_in = MapCompose(normalize_text)
    dateline_in = MapCompose(normalize_text)
    views_in = MapCompose(parse_views)
    related_urls_in = MapCompose(canonicalize_url)
    related_urls_out = Compose(unique)
    word_count_in = Identity()
    content_hash_in = Identity()
    crawled_at_in = Identity()

    # ItemLoader finds a field's processor anew for every value (reading the item class's field
    # metadata when there is no `<field>_out`) and wraps it for a loader context; that was a
    # tenth of the extraction time. The processors are fixed per class and none of them reads
    # the loader context, so each is looked up once and called directly.
    def get_input_processor(self, field_name: str) -> Callable[..., Any]:
        return _processor(type(self), field_name, "in")

    def get_output_processor(self, field_name: str) -> Callable[..., Any]:
        return _processor(type(self), field_name, "out")

    def _process_input_value(self, field_name: str, value: Any) -> Any:  # private API: see compat.py
        proc = self.get_input_processor(field_name)
        try:
            return proc(value)
        except Exception as e:
            raise ValueError(
                f"Error with input processor {proc.__class__.__name__}:"
                f" field={field_name!r} value={value!r} error='{type(e).__name__}: {e!s}'"
            ) from e

    def get_output_value(self, field_name: str) -> Any:
        proc = self.get_output_processor(field_name)
        value = loader_values(self, field_name)
        try:
            return proc(value)
        except Exception as e:
            raise ValueError(
                f"Error with output processor: field={field_name!r} value={value!r} error='{type(e).__name__}: {e!s}'"
            ) from e


@cache
def _processor(loader_class: type[ItemLoader], field_name: str, kind: str) -> Callable[..., Any]:
    """The processor ItemLoader would pick for the field (looked up on a fresh loader, once)."""
    loader = ItemLoader.__new__(loader_class)
    loader._local_item = loader_class.default_item_class()
    loader.parent = None
    lookup = ItemLoader.get_input_processor if kind == "in" else ItemLoader.get_output_processor
    return lookup(loader, field_name)


Candidate = tuple[str, Callable[[], Any]]


class SiteProfile:
    """What one site theme's pages look like. The base profile knows nothing: generic layers only.

    A profile is chosen by what the page shows (`matches`); its selectors are class constants,
    and a redesign subclasses the profile and overrides only what changed.
    """

    name = "generic"
    HEADER_SCOPES: tuple[tuple[str, ...] | etree.XPath, ...] = ()
    CONTENT_SCOPES: tuple[tuple[str, ...] | etree.XPath, ...] = ()
    TAG_CLASS = ""
    RELATED_CLASS = ""
    WIDGET_CLASS = ""
    FEATURED_CLASSES: tuple[str, ...] = ()
    SITE_NAME: str | None = None

    @classmethod
    def indexed_classes(cls) -> frozenset[str]:
        """Every class token the profile looks up: derived from its selectors, so overriding one works."""
        return _indexed_classes(cls)

    @classmethod
    def matches(cls, page: _Page) -> bool:
        """The page shows this profile's article header or content container."""
        return page.header is not None or page.content is not None


@cache
def _indexed_classes(profile: type[SiteProfile]) -> frozenset[str]:
    signature = getattr(profile, "SIGNATURE_SCOPES", ())
    scopes = [s for s in (*profile.HEADER_SCOPES, *profile.CONTENT_SCOPES, *signature) if isinstance(s, tuple)]
    tokens = {token for scope in scopes for token in scope}
    tokens |= {profile.TAG_CLASS, profile.RELATED_CLASS, profile.WIDGET_CLASS, *profile.FEATURED_CLASSES}
    return frozenset(t for t in tokens if t)


class SmartMagYoast(SiteProfile):
    """SmartMag + Yoast article pages (BM.KZ as ../shared/site-anatomy.md describes it), version 1."""

    name = "smartmag_yoast"
    # What only SmartMag prints: its header block, or its two content classes together
    # (`entry-content` alone is every WordPress theme's, and says nothing about the theme).
    SIGNATURE_SCOPES: tuple[tuple[str, ...], ...] = (("the-post-header",), ("post-content", "entry-content"))

    @classmethod
    def matches(cls, page: _Page) -> bool:
        return any(page.classes.having(*scope) for scope in cls.SIGNATURE_SCOPES)

    # --- what makes a page an article -------------------------------------------------------
    # --- the article header (scope for dates, byline, labels) -------------------------------
    # A scope is class tokens the element must all carry (looked up in the page's ClassIndex),
    # or a compiled selector.
    HEADER_SCOPES: tuple[tuple[str, ...] | etree.XPath, ...] = (
        ("the-post-header",),
        css("article[id^='post-'] .post-meta"),
        ("entry-header",),
        ("post-header",),
    )
    HEADLINE = css("h1.post-title, h1.entry-title, h1.is-title, .the-post-header h1, article h1")
    ANY_H1 = css("h1")
    HEADER_TIME = css("time.post-date, time.entry-date, time.published, time")
    HEADER_MODIFIED_TIME = css("time.updated, time.modified")
    HEADER_DATE_TEXT = css(".meta-item.date, .post-date, .entry-date, .date")
    AUTHOR_LINKS = css(".post-author a[rel~='author'], .meta-item.post-author a, a[rel~='author']")
    AUTHOR_TEXT = css(".post-author .author, .byline .author, .meta-item.post-author")
    CATEGORY_LABELS = css(".cat-labels a.category, .cat-labels a, a[rel~='category']")
    HEADER_VIEWS = css(".post-views, .meta-item.views, .post-view-count")
    FEATURED = css(".single-featured .featured, .single-featured, .featured-image, .post-thumbnail")
    FEATURED_CLASSES = ("single-featured", "featured-image", "post-thumbnail")
    FEATURED_LINK = css("a.image-link, a")
    FEATURED_IMG = css("img.wp-post-image, img")
    FEATURED_CAPTION = css(".wp-caption-text, figcaption, .caption")

    # --- body and what follows it -----------------------------------------------------------
    CONTENT_SCOPES: tuple[tuple[str, ...] | etree.XPath, ...] = (
        ("post-content", "entry-content"),
        ("entry-content",),
        ("post-content",),
        css("[itemprop='articleBody']"),
    )
    TAG_CLASS = "the-post-tags"  # its links are the tags, in page order
    LOOSE_TAG_LINKS = css(".post-tags a, .tags-links a, a[rel~='tag']")
    RELATED_CLASS = "related-posts"
    RELATED_CARD_LINKS = css(".post-title a, h2 a, h3 a, h4 a")
    HEADINGS = css("h2, h3, h4, h5, .heading, .section-head, .block-head")
    RELATED_HEADINGS = generic.RELATED_HEADINGS
    # Run inside each widget; `descendant::`, since a sidebar widget is often an `li` itself.
    WIDGET_ENTRIES = etree.XPath(GenericTranslator().css_to_xpath("article, li, .l-post", prefix="descendant::"))
    WIDGET_CLASS = "widget"
    LINK_HREFS = etree.XPath(".//a/@href")
    SITE_NAME = "BM.KZ"


PROFILES: dict[str, type[SiteProfile]] = {SmartMagYoast.name: SmartMagYoast}
# BMKZ_PROFILE: "auto" picks the first profile whose markup the page shows; a name forces that
# profile; "none" uses the generic layers only.
PROFILE_CHOICES = ("auto", "none", *PROFILES)
NON_POST_BODY = re.compile(
    r"(?:^|\s)(?:page|page-id-\d+|archive|category|tag|tax-[\w-]+|author|home|blog|search|error404)(?:\s|$)"
)
POST_ID_CLASS = re.compile(r"(?:^|\s)postid-(\d+)(?:\s|$)")
ARTICLE_ELEMENT = css("article[id^='post-']")
SHORTLINK = css("link[rel~='shortlink']")
REST_LINK = css("link[rel='alternate'][type='application/json']")
FIELD_ORDER = (
    "url", "post_id", "language", "title", "description", "body", "published_at", "modified_at", "authors",
    "category", "tags", "image_url", "image_caption", "dateline", "views", "related_urls",
)  # fmt: skip
PUBLISHED_META = (
    "article:published_time", "og:article:published_time", "datepublished", "date", "pubdate", "publishdate",
    "parsely-pub-date", "sailthru.date", "dc.date", "dc.date.issued", "dcterms.created", "article.published",
)  # fmt: skip
MODIFIED_META = ("article:modified_time", "og:updated_time", "datemodified", "dc.date.modified", "dcterms.modified")
MIN_MAIN_TEXT_WORDS = 15
# The main block agrees with trafilatura when nearly all its words are in trafilatura's text (it
# holds no furniture trafilatura dropped) and it has most of trafilatura's words (it is not a
# fragment). Recall is looser: the block rightly leaves out "read also" lines trafilatura keeps.
MAIN_BLOCK_PRECISION = 0.9
# Paragraph text a short article's block needs inside its article element (a main block needs 200).
MIN_SHORT_BLOCK_CHARS = 60
MAIN_BLOCK_RECALL = 0.85
_TOKEN = re.compile(r"\w+")


def token_overlap(text: str, reference: str) -> tuple[float, float]:
    """Bag-of-words precision and recall of a text against a reference (lowercased word tokens)."""
    got, want = Counter(_TOKEN.findall(text.lower())), Counter(_TOKEN.findall(reference.lower()))
    overlap = sum((got & want).values())
    if not overlap:
        return 0.0, 0.0
    return overlap / sum(got.values()), overlap / sum(want.values())


AUTHOR_META = ("author", "parsely-author", "sailthru.author", "dc.creator", "article:author")


class ArticleExtractor:
    """Pages -> Articles: recognises an article, picks a profile, fills each field layer by layer."""

    def __init__(self, stats: Any | None = None, profile: str = "auto") -> None:
        choices = ("auto", "none", *PROFILES)  # read now: a profile registered after import counts
        if profile not in choices:
            raise ValueError(f"unknown profile {profile!r} (choose from {', '.join(choices)})")
        self.stats = stats
        self.profile = profile

    def _profiles(self) -> list[type[SiteProfile]]:
        if self.profile == "auto":
            return list(PROFILES.values())
        return [] if self.profile == "none" else [PROFILES[self.profile]]

    # --- public API ---------------------------------------------------------------------------

    def extract(self, response: TextResponse, *, listing_excerpt: str | None = None) -> Article | None:
        """The page's Article, or None when the page is not an article (counted)."""
        if not isinstance(response, HtmlResponse | TextResponse):
            self._inc("article/not_html")
            return None
        parsed = parse_page(response.text, response.url)
        root = parsed.root
        if parsed.depth != "ok":
            self._count_depth(parsed.depth, response.url)
        if not isinstance(getattr(root, "tag", None), str):
            self._inc("article/unparseable")
            logger.warning("Page could not be parsed as HTML: %s", response.url)
            return None
        data = StructuredData(root)
        page = self._page(response, parsed, data)
        if not self._is_article(page):
            self._inc("article/not_article")
            return None
        if data.jsonld_errors:
            self._inc("article/jsonld_malformed")
            logger.warning("Malformed JSON-LD on %s: falling back to meta tags and markup", response.url)
        if data.jsonld_oversized:
            self._inc("article/jsonld_oversized")
            logger.warning("Oversized JSON-LD block skipped on %s", response.url)
        self._inc(f"article/profile/{page.profile.name}")
        if (
            page.profile is SiteProfile
            and self.stats is not None
            and self.stats.get_value(keys.NO_PROFILE_EXAMPLE) is None
        ):
            self.stats.set_value(keys.NO_PROFILE_EXAMPLE, response.url)
        loader = ArticleLoader()
        sources = page.fill(loader, listing_excerpt)
        article: Article = loader.load_item()
        article.word_count = count_words(article.body)
        article.content_hash = content_hash(article.title, article.body)
        article.crawled_at = utc_now_iso()
        self._inc(keys.ARTICLE_EXTRACTED)
        self._report(response.url, sources)
        return mark_contract_clean(article)

    # --- internals ------------------------------------------------------------------------------

    def _page(self, response: TextResponse, parsed: ParsedPage, data: StructuredData) -> _Page:
        profiles = self._profiles()
        tokens = frozenset().union(*(profile.indexed_classes() for profile in profiles)) if profiles else frozenset()
        classes = ClassIndex(parsed.root, tokens, generic.VIEWS_CLASS_SUBSTRINGS)
        for profile in profiles:
            page = _Page(self, profile, response, parsed, data, classes)
            if self.profile != "auto" or profile.matches(page):
                return page
        return _Page(self, SiteProfile, response, parsed, data, classes)

    def _is_article(self, page: _Page) -> bool:
        """Recognised by what an article page shows, never by its URL.

        A WordPress single-post body class; Article-type JSON-LD or microdata naming one article;
        `og:type=article` with a headline, a date and body text. Home, archive, tag, author and
        static pages are refused even when Yoast marks them `og:type=article`.
        """
        root, data = page.root, page.data
        body = root.find("body")
        body_class = (body.get("class") or "") if body is not None else ""
        if "single-post" in body_class.split() or POST_ID_CLASS.search(body_class):
            return True
        if NON_POST_BODY.search(body_class):
            return False
        headlines = {
            h for node in data.nodes if types_of(node) & ARTICLE_TYPES for h in text_values(node.get("headline"))
        }
        if len(headlines) > 2:
            return False  # a list of articles: a home page or an archive
        if data.article is not None or data.microdata is not None:
            return True
        og_article = (data.first_meta("og:type") or "").strip().lower() == "article"
        if og_article and any("type-post" in (el.get("class") or "") for el in ARTICLE_ELEMENT(root)):
            return True
        if og_article and root.find(".//h1") is not None and page.main_block() is not None:
            return page.has_date()
        if not data.first_meta("og:type"):
            # No metadata at all: an article element holding the headline, a printed date and
            # a block of body text is what any news page without SEO markup still shows.
            return page.printed_article()
        return False

    def _count_depth(self, depth: str, url: str) -> None:
        if depth == "flattened":
            self._inc("article/deep_nesting_flattened")
            logger.warning("Page nested too deep for the HTML parser; read without its wrapper tags: %s", url)
        else:
            self._inc("article/body/too_deep")
            logger.warning("Page nested too deep for the HTML parser: text past the limit is lost on %s", url)

    def _inc(self, key: str) -> None:
        if self.stats is not None:
            self.stats.inc_value(key)

    def _report(self, url: str, sources: dict[str, tuple[str | None, bool]]) -> None:
        for field_name, (source, weakest) in sources.items():
            self._inc(f"article/{field_name}/{source or 'missing'}")
            if source and is_generic_source(source) and self.stats is not None:
                example_key = f"article/{field_name}/generic_example"
                if self.stats.get_value(example_key) is None:
                    self.stats.set_value(example_key, url)
            if field_name in REQUIRED_FIELDS:
                if source is None:
                    logger.warning("Required field %r not found on %s", field_name, url)
                elif weakest:
                    logger.warning("Field %r of %s came from its weakest source (%s)", field_name, url, source)


def is_generic_source(source: str) -> bool:
    """A source of the generic page-evidence or main-text layers: the markup-changed signal."""
    return source.startswith("generic") or source == "main_text"


class _Page:
    """One page being extracted: the field methods and their ordered candidate sources."""

    def __init__(
        self,
        extractor: ArticleExtractor,
        profile: type[SiteProfile],
        response: TextResponse,
        parsed: ParsedPage,
        data: StructuredData,
        classes: ClassIndex,
    ):
        self.extractor = extractor
        self.x = profile
        self.profile = profile
        self.response = response
        self.html = parsed.html  # what the page was parsed from (wrapper tags dropped when too deep)
        self.url = response.url
        self.root = parsed.root
        self.data = data
        self.classes = classes
        self.header = self._first_in_scopes(profile.HEADER_SCOPES)
        self.content = self._first_in_scopes(profile.CONTENT_SCOPES)
        self.canonical_url: str | None = None
        self.first_block: str | None = None
        self._featured_found: tuple[etree._Element | None] | None = None
        self._main_block: tuple[etree._Element | None] | None = None
        self._region: tuple[etree._Element | None] | None = None

    def fill(self, loader: ArticleLoader, listing_excerpt: str | None) -> dict[str, tuple[str | None, bool]]:
        profiled = self.profile is not SiteProfile
        sources: dict[str, tuple[str | None, bool]] = {}
        for name in FIELD_ORDER:
            # A field has up to three candidate lists: the profile's, structured data's, generic evidence's.
            candidates = self._layer(name, "candidates") if profiled else []
            candidates += self._layer(name, "structured") + self._layer(name, "generic")
            if name == "description":
                candidates.append(("listing", lambda: listing_excerpt))
            seen: set[str] = set()
            candidates = [c for c in candidates if not (c[0] in seen or seen.add(c[0]))]
            sources[name] = self._first_source(loader, name, candidates)
            if name == "url":
                self.canonical_url = loader.get_output_value("url")
        return sources

    def _layer(self, field_name: str, layer: str) -> list[Candidate]:
        method = getattr(self, f"{field_name}_{layer}", None)
        return list(method()) if method is not None else []

    def _first_source(self, loader: ArticleLoader, name: str, candidates: list[Candidate]) -> tuple[str | None, bool]:
        for position, (source, getter) in enumerate(candidates):
            try:
                value = getter()
                if value is None or value == "" or value == []:
                    continue
                loader.add_value(name, value)
            except Exception as error:  # one source failing costs that source, never the article
                self.extractor._inc(f"article/{name}/error")
                logger.warning("Field %r source %r failed on %s: %r", name, source, self.url, error)
                continue
            if loader.get_collected_values(name):
                return source, len(candidates) > 1 and position == len(candidates) - 1
        return None, False

    def _first_in_scopes(self, scopes: tuple[tuple[str, ...] | etree.XPath, ...]) -> etree._Element | None:
        for scope in scopes:
            found = self.classes.having(*scope) if isinstance(scope, tuple) else scope(self.root)
            if found:
                return found[0]
        return None

    # --- generic evidence, found once ----------------------------------------------------------

    def main_block(self) -> etree._Element | None:
        if self._main_block is None:
            self._main_block = (generic.main_block(self.root),)
        return self._main_block[0]

    def body_container(self) -> etree._Element | None:
        """The article text's element: the profile's content block, else the generic main block."""
        return self.content if self.content is not None else self.main_block()

    def region(self) -> etree._Element | None:
        """The article around the body (`<article>`, microdata item, or the block's h1 container)."""
        if self._region is None:
            microdata = self.data.microdata
            block = self.body_container()
            self._region = (microdata.element if microdata is not None else generic.article_region(self.root, block),)
        return self._region[0]

    def _title_text(self) -> str | None:
        headline = self.root.find(".//h1")
        return "".join(headline.itertext()) if headline is not None else None

    def printed_date(self) -> str | None:
        """The first date printed in the article region, outside the body, that reads as a date."""
        dates = generic.printed_dates(self.region(), self.body_container())
        return next((text for text in dates if parse_printed_date(text) is not None), None)

    def printed_article(self) -> bool:
        """The page's one headline and its main block inside one `<article>`, with a printed date."""
        region, block = self.region(), self.main_block()
        if region is None or block is None or region.tag != "article" or len(self.root.findall(".//h1")) != 1:
            return False
        return region.find(".//h1") is not None and self.printed_date() is not None

    def has_date(self) -> bool:
        return bool(
            self.data.first_meta(*PUBLISHED_META)
            or generic.times_in(self.region())
            or any(t.get("datetime") for t in self.root.iter("time"))
        )

    # --- helpers -----------------------------------------------------------------------------

    def _in_header(self, selector: etree.XPath) -> list[etree._Element]:
        return selector(self.header) if self.header is not None else []

    def _text(self, element: etree._Element) -> str:
        return "".join(element.itertext())

    def _texts(self, elements: Iterable[etree._Element]) -> list[str]:
        return [self._text(el) for el in elements]

    def _abs(self, href: str | None) -> str | None:
        return urljoin(self.url, href.strip()) if href and href.strip() else None

    def _same_site_or_none(self, href: str | None) -> str | None:
        url = self._abs(href)
        return url if url and same_site(url, self.url) else None

    # --- fields ------------------------------------------------------------------------------

    def url_structured(self) -> list[Candidate]:
        def canonical() -> str | None:
            hrefs = [link.get("href") for link in self.root.iter("link") if link.get("rel") == "canonical"][:1]
            if hrefs and not self._same_site_or_none(hrefs[0]):
                self.extractor._inc("article/url/canonical_offsite")
                return None
            return self._same_site_or_none(hrefs[0]) if hrefs else None

        def response_url() -> str:
            # Without a canonical, an /amp/ duplicate still names its original.
            return amp_original(self.url)

        return [
            ("canonical", canonical),
            ("og_url", lambda: self._same_site_or_none(self.data.first_meta("og:url"))),
            ("response", response_url),
        ]

    def post_id_structured(self) -> list[Candidate]:
        def body_class() -> str | None:
            body = self.root.find("body")
            match = POST_ID_CLASS.search(body.get("class") or "") if body is not None else None
            return match.group(1) if match else None

        def article_id() -> str | None:
            for element in ARTICLE_ELEMENT(self.root):
                match = re.fullmatch(r"post-(\d+)", element.get("id", ""))
                if match:
                    return match.group(1)
            return None

        def shortlink() -> str | None:
            for element in SHORTLINK(self.root):
                match = re.search(r"[?&]p=(\d+)", element.get("href", ""))
                if match:
                    return match.group(1)
            return None

        def rest_link() -> str | None:
            for element in REST_LINK(self.root):
                match = re.search(r"/wp/v2/posts/(\d+)", element.get("href", ""))
                if match:
                    return match.group(1)
            return None

        return [
            ("body_class", body_class),
            ("article_id", article_id),
            ("shortlink", shortlink),
            ("rest_link", rest_link),
        ]

    def language_structured(self) -> list[Candidate]:
        return [
            ("html_lang", lambda: self.root.get("lang") or self.root.get("xml:lang")),
            ("og_locale", lambda: self.data.first_meta("og:locale")),
            ("jsonld", lambda: self.data.article_value("inLanguage")),
        ]

    def title_candidates(self) -> list[Candidate]:
        return [
            ("jsonld", lambda: self._jsonld_first("headline")),
            (
                "markup",
                lambda: self._texts(self.x.HEADLINE(self.root)[:1]) or self._texts(self.x.ANY_H1(self.root)[:1]),
            ),
            ("meta", lambda: self.data.first_meta("og:title", "twitter:title")),
            ("title_tag", lambda: self._without_site_name(self.root.findtext(".//title"))),
        ]

    def description_candidates(self) -> list[Candidate]:
        return [
            ("meta", lambda: self.data.first_meta("og:description", "description", "twitter:description")),
            ("jsonld", lambda: self._jsonld_first("description")),
        ]

    def body_candidates(self) -> list[Candidate]:
        return [("markup", lambda: self._blocks_of(self.content)), ("jsonld", self._jsonld_body)]

    def published_at_candidates(self) -> list[Candidate]:
        return [
            ("jsonld", lambda: self._jsonld_first("datePublished")),
            ("meta", lambda: self.data.first_meta("article:published_time", "datepublished", "date")),
            (
                "markup",
                lambda: [t.get("datetime") for t in self._in_header(self.x.HEADER_TIME) if t.get("datetime")][:1],
            ),
            ("printed", lambda: self._texts(self._in_header(self.x.HEADER_DATE_TEXT)[:1])),
        ]

    def modified_at_candidates(self) -> list[Candidate]:
        return [
            ("jsonld", lambda: self._jsonld_first("dateModified")),
            (
                "meta",
                lambda: self.data.first_meta("article:modified_time", "og:updated_time", "datemodified"),
            ),
            (
                "markup",
                lambda: [t.get("datetime") for t in self._in_header(self.x.HEADER_MODIFIED_TIME) if t.get("datetime")][
                    :1
                ],
            ),
        ]

    def authors_candidates(self) -> list[Candidate]:
        # Only a byline shown on the page counts; metadata authors (often the organization) do not.
        def text_byline() -> list[str]:
            names = []
            for element in self._in_header(self.x.AUTHOR_TEXT):
                parts = [t for t in element.itertext() if t.strip()]
                names += [p for p in parts if normalize_text(p) not in {"Автор", "Автор:", "By", "Авторы:"}][:1]
            return names

        return [
            ("markup", lambda: self._texts(self._in_header(self.x.AUTHOR_LINKS))),
            ("markup_text", text_byline),
        ]

    def category_candidates(self) -> list[Candidate]:
        return [
            ("markup", lambda: self._texts(self._in_header(self.x.CATEGORY_LABELS)[:1])),
            ("jsonld", lambda: text_values(self.data.article_value("articleSection"))[:1]),
            ("meta", lambda: self.data.first_meta("article:section")),
        ]

    def tags_candidates(self) -> list[Candidate]:
        return [
            (
                "markup",
                lambda: [self._text(a) for block in self.classes.having(self.x.TAG_CLASS) for a in block.iter("a")],
            ),
            ("markup_rel", lambda: self._texts(self.x.LOOSE_TAG_LINKS(self.root))),
            ("meta", lambda: self.data.all_meta("article:tag")),
            ("jsonld", lambda: text_values(self.data.article_value("keywords"))),
        ]

    def _featured(self) -> etree._Element | None:
        # Up to three fields ask for it, and the whole-page fallback is one of the costlier scans.
        if self._featured_found is None:
            found = self._in_header(self.x.FEATURED) or self.classes.any_of(self.x.FEATURED_CLASSES)
            self._featured_found = (found[0] if found else None,)
        return self._featured_found[0]

    def image_url_candidates(self) -> list[Candidate]:
        def featured_link() -> str | None:
            featured = self._featured()
            if featured is None:
                return None
            for link in self.x.FEATURED_LINK(featured):
                href = link.get("href", "")
                if re.search(r"\.(?:jpe?g|png|gif|webp|avif)$", href.split("?")[0], re.IGNORECASE):
                    return self._abs(href)
            return None

        def featured_img() -> str | None:
            featured = self._featured()
            images = self.x.FEATURED_IMG(featured) if featured is not None else []
            if not images:
                return None
            img = images[0]
            src = img.get("data-src") or img.get("src") or ""
            # WordPress names resized copies name-1024x576.jpg; the original is name.jpg.
            return self._abs(re.sub(r"-\d+x\d+(?=\.\w+$)", "", src.split("?")[0]))

        return [
            ("meta", lambda: self._abs(self.data.first_meta("og:image", "og:image:url", "twitter:image"))),
            ("jsonld", self._jsonld_image_url),
            ("markup_link", featured_link),
            ("markup_img", featured_img),
        ]

    def image_caption_candidates(self) -> list[Candidate]:
        def markup() -> list[str]:
            featured = self._featured()
            return self._texts(self.x.FEATURED_CAPTION(featured)[:1]) if featured is not None else []

        return [("markup", markup), ("jsonld", self._jsonld_image_caption)]

    def views_candidates(self) -> list[Candidate]:
        def widget() -> str | None:
            # The most-read widget lists this very article with its count.
            own = self.canonical_url or canonicalize_url(self.url)
            slug = _last_segment(own)

            def is_own(href: str) -> bool:
                # An absolute link names its own path: without the page's slug it cannot be this
                # page, and most widget links are skipped without joining and canonicalizing them.
                stripped = href.strip()
                if slug and slug not in stripped and stripped.startswith(("http://", "https://", "//")):
                    return False
                return canonicalize_url(self._abs(href)) == own

            for entry in self._widget_entries():
                hrefs = self.x.LINK_HREFS(entry)
                if any(is_own(h) for h in hrefs):
                    counts = self.x.HEADER_VIEWS(entry)
                    if counts:
                        return self._text(counts[0])
            return None

        return [
            ("markup", lambda: self._texts(self._in_header(self.x.HEADER_VIEWS)[:1])),
            ("widget", widget),
        ]

    def _widget_entries(self) -> list[etree._Element]:
        """WIDGET_ENTRIES of the page, in page order, once each (widgets may nest)."""
        entries: dict[etree._Element, None] = {}
        for widget in self.classes.having(self.x.WIDGET_CLASS):
            entries.update(dict.fromkeys(self.x.WIDGET_ENTRIES(widget)))
        return list(entries)

    def related_urls_candidates(self) -> list[Candidate]:
        def links_in(block: etree._Element, selector: etree.XPath) -> list[str]:
            own = self.canonical_url
            urls = [self._same_site_or_none(a.get("href")) for a in selector(block)]
            return [u for u in urls if u and canonicalize_url(u) != own]

        def related_section() -> list[str]:
            blocks = self.classes.having(self.x.RELATED_CLASS)
            return [u for block in blocks for u in links_in(block, self.x.RELATED_CARD_LINKS)]

        def by_heading() -> list[str]:
            for heading in self.x.HEADINGS(self.root):
                if self.x.RELATED_HEADINGS.match(normalize_text(self._text(heading)) or ""):
                    container = heading.getparent()
                    while container is not None and not container.xpath(".//a[@href]"):
                        container = container.getparent()
                    if container is not None:
                        return links_in(container, css("a[href]"))
            return []

        return [("markup", related_section), ("heading", by_heading)]

    # --- layers 2-4 for every profile: structured data, then generic page evidence -------------
    # Profile-less fields (url, post_id, language, dateline) are WordPress/HTML conventions:
    # structured. A field with no candidates in a layer has no method for it (`_layer`).

    def _jsonld_first(self, key: str) -> str | None:
        return (text_values(self.data.article_value(key)) or [None])[0]

    def _jsonld_body(self) -> list[str] | None:
        text = self._jsonld_first("articleBody")
        if not text:
            return None
        blocks = [block for block in re.split(r"\n\s*\n|\r?\n", text) if block.strip()]
        self.first_block = blocks[0] if blocks else None
        return blocks

    def _jsonld_image(self) -> Any:
        image = self.data.resolve(self.data.article_value("image"))
        if isinstance(image, list) and image:
            image = self.data.resolve(image[0])
        return image

    def _jsonld_image_url(self) -> str | None:
        values = text_values(self._jsonld_image())
        return self._abs(values[0]) if values else None

    def _jsonld_image_caption(self) -> str | None:
        image = self._jsonld_image()
        return image.get("caption") if isinstance(image, dict) else None

    def _microdata(self, prop: str) -> str | None:
        microdata = self.data.microdata
        return microdata.value(prop) if microdata is not None else None

    def title_structured(self) -> list[Candidate]:
        # og:title first: it is the headline as the publisher shows it when the page is shared,
        # kicker included; a JSON-LD headline is written for search engines (Google's guidance
        # caps it at 110 characters, and themes fill it from a shorter SEO field).
        return [
            (
                "meta",
                lambda: self._without_site_name(self.data.first_meta("og:title", "twitter:title", "parsely-title")),
            ),
            ("jsonld", lambda: self._jsonld_first("headline")),
            ("microdata", lambda: self._microdata("headline")),
        ]

    def _without_site_name(self, title: str | None) -> str | None:
        """An SEO title without the site's name and what follows it (`Title | The Site | by X`)."""
        site = normalize_text(self.data.first_meta("og:site_name", "application-name"))
        title = normalize_text(title)
        if not site or not title:
            return title
        cut = re.sub(rf"\s*[-–—|:•·»]\s*{re.escape(site)}(?:\s*[-–—|•·»].*)?$", "", title, flags=re.IGNORECASE)
        return cut or title

    def title_generic(self) -> list[Candidate]:
        def headline() -> list[str]:
            region = self.region()
            found = region.findall(".//h1") if region is not None else []
            return self._texts((found or self.root.findall(".//h1"))[:1])

        return [("generic", headline), ("title_tag", lambda: self._without_site_name(self.root.findtext(".//title")))]

    def description_structured(self) -> list[Candidate]:
        return [
            ("meta", lambda: self.data.first_meta("og:description", "description", "twitter:description")),
            ("jsonld", lambda: self._jsonld_first("description")),
            ("microdata", lambda: self._microdata("description")),
        ]

    def _blocks_of(self, container: etree._Element | None) -> list[str] | None:
        if container is None:
            return None
        # A profile knows its theme's content block; elsewhere the block is a guess, and what a
        # theme puts inside it besides the text is left out by what it is.
        skip = generic_body_skip(container) if self.profile is SiteProfile else None
        blocks, skipped = collect_body(container, self.url, skip)
        if skipped:
            self.extractor._inc("article/body/read_also_skipped")
        self.first_block = blocks[0] if blocks else None
        return blocks

    def body_structured(self) -> list[Candidate]:
        def microdata() -> list[str] | None:
            found = self.data.microdata.elements("articleBody") if self.data.microdata is not None else []
            return self._blocks_of(found[0]) if found else None

        return [("microdata", microdata), ("jsonld", self._jsonld_body)]

    def body_generic(self) -> list[Candidate]:
        """The main block's text where trafilatura agrees with it, else trafilatura's text.

        The main-block rule keeps the page's own paragraphs and our cleaning rules, but on a page
        it misreads (text split over many sections, a block of teasers) it can be far off;
        trafilatura is the best generic reader measured (bench, real pages). So both run, on
        pages no profile read, and the block wins only when the two agree.
        """
        cached: dict[str, list[str] | None] = {}

        def main_text(min_words: int = MIN_MAIN_TEXT_WORDS) -> list[str] | None:
            if "main_text" not in cached:
                title = normalize_text(self._title_text())
                blocks = [b for b in main_text_blocks(self.html, self.url) or [] if normalize_text(b) != title]
                cached["main_text"] = blocks or None
            blocks = cached["main_text"]
            return blocks if blocks and count_words(" ".join(blocks)) >= min_words else None

        def agreed_block() -> list[str] | None:
            blocks = self._blocks_of(self.main_block())
            if not blocks:
                return None
            reference = main_text()
            if reference:
                precision, recall = token_overlap(" ".join(blocks), " ".join(reference))
                if precision < MAIN_BLOCK_PRECISION or recall < MAIN_BLOCK_RECALL:
                    return None
            return blocks

        def short_block() -> list[str] | None:
            # A short article is below the main-block rule's size; inside the page's one article
            # element, its paragraphs are kept when trafilatura's text holds them all (trafilatura
            # takes header furniture in on pages this short).
            region = self.region()
            if self.main_block() is not None or region is None:
                return None
            blocks = self._blocks_of(generic.main_block(self.root, within=region, min_chars=MIN_SHORT_BLOCK_CHARS))
            reference = main_text(min_words=1)
            if not blocks or not reference:
                return None
            precision, _ = token_overlap(" ".join(blocks), " ".join(reference))
            return blocks if precision >= MAIN_BLOCK_PRECISION else None

        def main_text_body() -> list[str] | None:
            blocks = main_text()
            self.first_block = blocks[0] if blocks else None
            return blocks

        return [("generic", agreed_block), ("generic_short", short_block), ("main_text", main_text_body)]

    def published_at_structured(self) -> list[Candidate]:
        return [
            ("jsonld", lambda: self._jsonld_first("datePublished")),
            ("microdata", lambda: self._microdata("datePublished")),
            ("meta", lambda: self.data.first_meta(*PUBLISHED_META)),
        ]

    def published_at_generic(self) -> list[Candidate]:
        return [("generic_time", lambda: generic.times_in(self.region())[:1]), ("generic_printed", self.printed_date)]

    def modified_at_structured(self) -> list[Candidate]:
        return [
            ("jsonld", lambda: self._jsonld_first("dateModified")),
            ("microdata", lambda: self._microdata("dateModified")),
            ("meta", lambda: self.data.first_meta(*MODIFIED_META)),
        ]

    def authors_structured(self) -> list[Candidate]:
        # Microdata authors are printed on the page (itemprop marks visible text); JSON-LD and meta
        # authors count only where the byline region prints them (authors_generic).
        def microdata() -> list[str]:
            found = self.data.microdata.author_elements() if self.data.microdata is not None else []
            return generic.unique(n for el in found for n in generic.split_names("".join(el.itertext())))

        return [("microdata", microdata)]

    def authors_generic(self) -> list[Candidate]:
        def byline() -> list[str]:
            body = self.body_container()
            return generic.bylines(self.region() if self.region() is not None else body, body=body)

        def metadata_printed() -> list[str]:
            names = self.data.person_names(self.data.article_value("author"))
            names += [n for key in AUTHOR_META for n in self.data.all_meta(key) if not n.startswith("http")]
            site = {normalize_text(self.data.first_meta("og:site_name")) or "", normalize_text(self.x.SITE_NAME) or ""}
            names = [n for n in names if normalize_text(n) not in site]
            if not names:
                return []
            body = self.body_container()
            places: list[etree._Element] = []
            if self.region() is not None:
                places += [
                    el for el in self.region().iter(etree.Element) if generic.BYLINE_CLASS.search(el.get("class") or "")
                ]
            if body is not None:
                paragraphs = [p for p in body.iter("p")]
                places += paragraphs[-2:]
            return generic.printed_names(names, places)

        def body_end() -> list[str]:
            # A last body paragraph that is only an emphasized name is the byline ("<p><em>Name</em></p>").
            body = self.body_container()
            paragraphs = [p for p in body.iter("p") if "".join(p.itertext()).strip()] if body is not None else []
            for paragraph in paragraphs[-3:]:
                children = [c for c in paragraph if isinstance(c.tag, str)]
                if (
                    len(children) == 1
                    and children[0].tag in {"em", "i", "strong", "b"}
                    and not (paragraph.text or "").strip()
                    and not (children[0].tail or "").strip()
                ):
                    name = generic.clean_name("".join(children[0].itertext()))
                    if name and len(name.split()) <= 3:
                        return [name]
            return []

        return [
            ("generic_byline", byline),
            ("generic_metadata_printed", metadata_printed),
            ("generic_body_end", body_end),
        ]

    def category_structured(self) -> list[Candidate]:
        return [
            ("jsonld", lambda: text_values(self.data.article_value("articleSection"))[:1]),
            ("microdata", lambda: self._microdata("articleSection")),
            ("meta", lambda: self.data.first_meta("article:section", "parsely-section")),
        ]

    def category_generic(self) -> list[Candidate]:
        def rel_category() -> list[str]:
            region = self.region()
            links = (
                [a for a in region.iter("a") if "category" in (a.get("rel") or "").split()]
                if region is not None
                else []
            )
            return self._texts(links[:1])

        return [("generic", rel_category)]

    def tags_structured(self) -> list[Candidate]:
        return [
            ("meta", lambda: self.data.all_meta("article:tag")),
            ("jsonld", lambda: text_values(self.data.article_value("keywords"))),
        ]

    def tags_generic(self) -> list[Candidate]:
        def rel_tag() -> list[str]:
            region = self.region()
            return (
                # WordPress's the_category() prints rel="category tag": a category label, no tag.
                self._texts(a for a in region.iter("a") if _rel_tag(a.get("rel"))) if region is not None else []
            )

        return [("generic", rel_tag)]

    def related_urls_generic(self) -> list[Candidate]:
        def links(block: etree._Element | None) -> list[str]:
            text = self.body_container()
            if block is None or (text is not None and generic.inside(text, block)):
                return []  # a block around the article text is no related block
            own = self.canonical_url
            urls = [self._same_site_or_none(a.get("href")) for a in block.iter("a")]
            return generic.unique(u for u in urls if u and canonicalize_url(u) != own)

        def related_class() -> list[str]:
            return generic.unique(u for block in generic.related_blocks(self.root) for u in links(block))

        return [
            ("generic", related_class),
            ("generic_heading", lambda: links(generic.related_heading_block(self.root))),
        ]

    def views_generic(self) -> list[Candidate]:
        cached: list[tuple[list[etree._Element], list[etree._Element]]] = []

        def counters() -> tuple[list[etree._Element], list[etree._Element]]:
            if not cached:
                region = self.region()
                candidates = sorted(
                    (el for found in self.classes.containing.values() for el in found),
                    key=lambda el: self.classes.position(el),
                )
                found = generic.view_counters(candidates)
                inside = [c for c in found if generic.inside(c, region)]
                cached.append((inside, [c for c in found if not generic.inside(c, region)]))
            return cached[0]

        def in_article() -> list[str]:
            return self._texts(counters()[0][:1])

        def listed() -> str | None:
            # A most-read list names this very page beside its count.
            own = self.canonical_url or canonicalize_url(self.url)
            for counter in counters()[1]:
                entry = generic.counter_entry(counter)
                if entry is not None and any(
                    canonicalize_url(self._abs(a.get("href"))) == own for a in entry.iter("a") if a.get("href")
                ):
                    return self._text(counter)
            return None

        return [("generic", in_article), ("generic_widget", listed)]

    def image_url_structured(self) -> list[Candidate]:
        return [
            ("meta", lambda: self._abs(self.data.first_meta("og:image", "og:image:url", "twitter:image"))),
            ("jsonld", self._jsonld_image_url),
            ("microdata", lambda: self._abs(self._microdata("image"))),
        ]

    def _lead_figure(self) -> etree._Element | None:
        """The first figure of the article region that is not inside the body (the lead image)."""
        region = self.region()
        body = self.body_container()
        for figure in region.iter("figure") if region is not None else ():
            if body is None or not any(ancestor is body for ancestor in figure.iterancestors()):
                return figure
        return None

    def image_url_generic(self) -> list[Candidate]:
        def figure_img() -> str | None:
            figure = self._lead_figure()
            images = list(figure.iter("img")) if figure is not None else []
            return self._abs(images[0].get("data-src") or images[0].get("src")) if images else None

        return [("generic", figure_img)]

    def image_caption_structured(self) -> list[Candidate]:
        return [("jsonld", self._jsonld_image_caption)]

    def image_caption_generic(self) -> list[Candidate]:
        def figcaption() -> list[str]:
            figure = self._lead_figure()
            return self._texts(list(figure.iter("figcaption"))[:1]) if figure is not None else []

        return [("generic", figcaption)]

    def dateline_structured(self) -> list[Candidate]:
        return [("body", lambda: dateline_city(self.first_block))]


def generic_body_skip(container: etree._Element) -> Callable[[etree._Element], bool]:
    """What a guessed body block holds besides the text: the headline's block (kicker, date and
    byline around the h1), the lead figure before the first paragraph (its caption is
    `image_caption`), and elements whose class names teasers, galleries or disclaimers."""
    furniture = {generic.headline_block(container), generic.lead_figure(container)} - {None}
    return lambda element: element in furniture or is_inner_furniture(element)


def _rel_tag(rel: str | None) -> bool:
    tokens = (rel or "").split()
    return "tag" in tokens and "category" not in tokens


def _last_segment(url: str | None) -> str:
    """The last non-empty path segment of a URL (an article's slug), or ""."""
    path = urlsplit(url).path if url else ""
    return next((segment for segment in reversed(path.split("/")) if segment), "")


# libxml2 stops reading a document nested deeper than 256 elements, and every word after that
# point is gone without an exception. `huge_tree` only moves the limit (to 2048), and a tree that
# deep is past Python's recursion limit for the body walk anyway; so a page that hits the limit is
# parsed again without the tags that only wrap or style text: its words stay, in order, and
# paragraphs, headings and lists keep their tags.
_HTML_PARSER = etree.HTMLParser(recover=True, encoding="utf-8")
WRAPPER_TAG = re.compile(
    r"<(?P<close>/?)(?:div|section|span|font|center|main|b|i|em|strong|u|small|big)(?:\s[^>]*)?(?P<void>/?)>",
    re.IGNORECASE,
)
# Wrapper tags kept around any point of a flattened page: the outer layout (article, content
# block, header) stays, the excess nesting inside it goes.
KEPT_WRAPPER_DEPTH = 64


class ParsedPage(NamedTuple):
    """The page's tree, the HTML it was parsed from, and how deep nesting was dealt with."""

    root: etree._Element
    html: str
    depth: str  # "ok", "flattened" (too deep: wrapper tags dropped, text kept) or "too_deep" (text lost)


def _parse(html: str, url: str) -> tuple[etree._Element | None, bool]:
    """The tree, and whether libxml2 stopped early at its nesting limit."""
    root = etree.fromstring(html.encode("utf-8"), parser=_HTML_PARSER, base_url=url)
    # The depth limit is a fatal error: parsing stops there, so it is the last error logged.
    error = _HTML_PARSER.error_log.last_error
    return root, error is not None and error.type == etree.ErrorTypes.ERR_RESOURCE_LIMIT


def flatten_wrappers(html: str, keep: int = KEPT_WRAPPER_DEPTH) -> str:
    """The HTML without wrapper and styling tags nested more than `keep` deep (all text stays)."""
    depth = 0

    def tag(match: re.Match[str]) -> str:
        nonlocal depth
        if match["void"]:
            return match[0]
        if match["close"]:
            depth = max(0, depth - 1)
            return match[0] if depth < keep else " "
        depth += 1
        return match[0] if depth <= keep else " "

    return WRAPPER_TAG.sub(tag, html)


def parse_page(html: str, url: str) -> ParsedPage:
    """The page as a plain lxml tree, parsed the way parsel does (the decoded text, as UTF-8).

    Not `response.selector.root`: lxml.html's element classes are chosen by a Python lookup for
    every element the extractor touches, which was a sizeable share of extraction time. A page
    that does not parse at all gives an empty <html/>. A page nested too deep for libxml2 is
    parsed again with its wrapper tags dropped, so its text is not silently cut off.
    """
    root, too_deep = _parse(html, url)
    depth = "ok"
    if too_deep:
        html = flatten_wrappers(html)
        root, too_deep = _parse(html, url)
        depth = "too_deep" if too_deep else "flattened"
    if root is None:
        root = etree.fromstring(b"<html/>", parser=_HTML_PARSER)
    return ParsedPage(root, html, depth)


def parse_html(response: TextResponse) -> etree._Element:
    """The page's tree (see `parse_page`)."""
    return parse_page(response.text, response.url).root


__all__ = ["ARTICLE_TYPES", "PROFILES", "ArticleExtractor", "ArticleLoader", "SiteProfile", "SmartMagYoast"]
