"""ArticleExtractor: one BM.KZ article page -> one `Article`, with no I/O and no crawling.

Page knowledge lives here: which selectors the SmartMag theme uses, which metadata Yoast
prints, and in which order the sources of each field are tried. Each field tries its sources
strongest first (JSON-LD, then OpenGraph/`article:*` meta, then the theme's markup, then the
printed text); the first source whose value survives the field's input processor wins. The
winning source is counted in the stats as `article/<field>/<source>`; a required field that is
missing or came from its weakest source is logged with the page URL, so an operator sees on
the first run where the real site differs from what this module assumes.

The contract says which fields are defined by what the page *shows* (authors, category,
tags): for those the markup comes first and metadata is only a fallback, or not used.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterable
from functools import cache
from typing import Any
from urllib.parse import urljoin, urlsplit

from cssselect import GenericTranslator
from itemloaders import ItemLoader
from itemloaders.processors import Compose, Identity, MapCompose, TakeFirst
from lxml import etree
from scrapy.http import HtmlResponse, TextResponse

from bmkz_crawler.extraction.body import collect_body
from bmkz_crawler.extraction.classindex import ClassIndex
from bmkz_crawler.extraction.structured import ARTICLE_TYPES, StructuredData, text_values
from bmkz_crawler.items import REQUIRED_FIELDS, Article
from bmkz_crawler.processors import (
    canonicalize_url,
    content_hash,
    count_words,
    dateline_city,
    language_code,
    normalize_block,
    normalize_text,
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


def unique(values: Iterable[Any]) -> list[Any]:
    """Values in first-seen order, without repeats."""
    return list(dict.fromkeys(v for v in values if v not in (None, "")))


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
    body_in = MapCompose(normalize_block)
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

    def _process_input_value(self, field_name: str, value: Any) -> Any:
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
        value = self._values.get(field_name, [])
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


class ArticleExtractor:
    """SmartMag + Yoast article pages of BM.KZ. A redesign gets a subclass overriding selectors."""

    # --- what makes a page an article -------------------------------------------------------
    POST_ID_CLASS = re.compile(r"(?:^|\s)postid-(\d+)(?:\s|$)")
    NON_POST_BODY = re.compile(r"(?:^|\s)(?:page|page-id-\d+|archive|category|tag|home|blog|search|error404)(?:\s|$)")
    ARTICLE_ELEMENT = css("article[id^='post-']")
    SHORTLINK = css("link[rel~='shortlink']")
    REST_LINK = css("link[rel='alternate'][type='application/json']")

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
    RELATED_HEADINGS = re.compile(
        r"^(?:продолжай(?:те)?\s+читать|читайте\s+также|похожие\s+(?:новости|записи|статьи)|по\s+теме|"
        r"оқуды\s+жалғастыр\w*|ұқсас\s+\w+|тақырыпқа\s+орай)\b",
        re.IGNORECASE,
    )
    # Run inside each widget; `descendant::`, since a sidebar widget is often an `li` itself.
    WIDGET_ENTRIES = etree.XPath(GenericTranslator().css_to_xpath("article, li, .l-post", prefix="descendant::"))
    WIDGET_CLASS = "widget"
    INDEXED_CLASSES = frozenset(
        {"the-post-header", "entry-header", "post-header", "post-content", "entry-content", TAG_CLASS,
         RELATED_CLASS, WIDGET_CLASS, *FEATURED_CLASSES}
    )  # fmt: skip
    LINK_HREFS = etree.XPath(".//a/@href")
    SITE_NAME = "BM.KZ"

    def __init__(self, stats: Any | None = None) -> None:
        self.stats = stats

    # --- public API ---------------------------------------------------------------------------

    def is_article(self, response: TextResponse) -> bool:
        """Recognized by content (post body class, post id, article metadata), never by URL."""
        root = parse_html(response)
        return self._is_article(root, StructuredData(root))

    def extract(self, response: TextResponse, *, listing_excerpt: str | None = None) -> Article | None:
        """The page's Article, or None when the page is not an article (counted)."""
        if not isinstance(response, HtmlResponse | TextResponse):
            self._inc("article/not_html")
            return None
        root = parse_html(response)
        if not isinstance(getattr(root, "tag", None), str):
            self._inc("article/unparseable")
            logger.warning("Page could not be parsed as HTML: %s", response.url)
            return None
        data = StructuredData(root)
        if not self._is_article(root, data):
            self._inc("article/not_article")
            return None
        if data.jsonld_errors:
            self._inc("article/jsonld_malformed")
            logger.warning("Malformed JSON-LD on %s: falling back to meta tags and markup", response.url)
        page = _Page(self, response, root, data)
        loader = ArticleLoader()
        sources = page.fill(loader, listing_excerpt)
        article: Article = loader.load_item()
        article.word_count = count_words(article.body)
        article.content_hash = content_hash(article.title, article.body)
        article.crawled_at = utc_now_iso()
        self._report(response.url, sources)
        return article

    # --- internals ------------------------------------------------------------------------------

    def _is_article(self, root: etree._Element, data: StructuredData) -> bool:
        body = root.find("body")
        body_class = (body.get("class") or "") if body is not None else ""
        if "single-post" in body_class.split() or self.POST_ID_CLASS.search(body_class):
            return True
        if self.NON_POST_BODY.search(body_class):
            return False
        og_article = (data.first_meta("og:type") or "").strip().lower() == "article"
        typed = data.article is not None
        post_element = any("type-post" in (el.get("class") or "") for el in self.ARTICLE_ELEMENT(root))
        return (og_article and (typed or post_element)) or (typed and post_element)

    def _inc(self, key: str) -> None:
        if self.stats is not None:
            self.stats.inc_value(key)

    def _report(self, url: str, sources: dict[str, tuple[str | None, bool]]) -> None:
        for field_name, (source, weakest) in sources.items():
            self._inc(f"article/{field_name}/{source or 'missing'}")
            if field_name in REQUIRED_FIELDS:
                if source is None:
                    logger.warning("Required field %r not found on %s", field_name, url)
                elif weakest:
                    logger.warning("Field %r of %s came from its weakest source (%s)", field_name, url, source)


class _Page:
    """One page being extracted: the field methods and their ordered candidate sources."""

    def __init__(self, extractor: ArticleExtractor, response: TextResponse, root: etree._Element, data: StructuredData):
        self.x = extractor
        self.response = response
        self.url = response.url
        self.root = root
        self.data = data
        self.classes = ClassIndex(root, extractor.INDEXED_CLASSES)
        self.header = self._first_in_scopes(extractor.HEADER_SCOPES)
        self.content = self._first_in_scopes(extractor.CONTENT_SCOPES)
        self.canonical_url: str | None = None
        self.first_block: str | None = None
        self._featured_found: tuple[etree._Element | None] | None = None

    def fill(self, loader: ArticleLoader, listing_excerpt: str | None) -> dict[str, tuple[str | None, bool]]:
        fields: dict[str, list[Candidate]] = {
            "url": self.url_candidates(),
            "post_id": self.post_id_candidates(),
            "language": self.language_candidates(),
            "title": self.title_candidates(),
            "description": [
                *self.description_candidates(),
                ("listing", lambda: listing_excerpt),
            ],
            "body": self.body_candidates(),
            "published_at": self.published_candidates(),
            "modified_at": self.modified_candidates(),
            "authors": self.author_candidates(),
            "category": self.category_candidates(),
            "tags": self.tag_candidates(),
            "image_url": self.image_candidates(),
            "image_caption": self.caption_candidates(),
            "dateline": [("body", lambda: dateline_city(self.first_block))],
            "views": self.views_candidates(),
            "related_urls": self.related_candidates(),
        }
        sources: dict[str, tuple[str | None, bool]] = {}
        for name, candidates in fields.items():
            sources[name] = self._first_source(loader, name, candidates)
            if name == "url":
                self.canonical_url = loader.get_output_value("url")
        return sources

    @staticmethod
    def _first_source(loader: ArticleLoader, name: str, candidates: list[Candidate]) -> tuple[str | None, bool]:
        for position, (source, getter) in enumerate(candidates):
            value = getter()
            if value is None or value == "" or value == []:
                continue
            loader.add_value(name, value)
            if loader.get_collected_values(name):
                return source, len(candidates) > 1 and position == len(candidates) - 1
        return None, False

    def _first_in_scopes(self, scopes: tuple[tuple[str, ...] | etree.XPath, ...]) -> etree._Element | None:
        for scope in scopes:
            found = self.classes.having(*scope) if isinstance(scope, tuple) else scope(self.root)
            if found:
                return found[0]
        return None

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

    def url_candidates(self) -> list[Candidate]:
        def canonical() -> str | None:
            hrefs = [link.get("href") for link in self.root.iter("link") if link.get("rel") == "canonical"][:1]
            if hrefs and not self._same_site_or_none(hrefs[0]):
                self.x._inc("article/url/canonical_offsite")
                return None
            return self._same_site_or_none(hrefs[0]) if hrefs else None

        def response_url() -> str:
            # Without a canonical, an /amp/ duplicate still names its original.
            return re.sub(r"/amp/?(?=$|\?)", "/", self.url)

        return [
            ("canonical", canonical),
            ("og_url", lambda: self._same_site_or_none(self.data.first_meta("og:url"))),
            ("response", response_url),
        ]

    def post_id_candidates(self) -> list[Candidate]:
        def body_class() -> str | None:
            body = self.root.find("body")
            match = self.x.POST_ID_CLASS.search(body.get("class") or "") if body is not None else None
            return match.group(1) if match else None

        def article_id() -> str | None:
            for element in self.x.ARTICLE_ELEMENT(self.root):
                match = re.fullmatch(r"post-(\d+)", element.get("id", ""))
                if match:
                    return match.group(1)
            return None

        def shortlink() -> str | None:
            for element in self.x.SHORTLINK(self.root):
                match = re.search(r"[?&]p=(\d+)", element.get("href", ""))
                if match:
                    return match.group(1)
            return None

        def rest_link() -> str | None:
            for element in self.x.REST_LINK(self.root):
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

    def language_candidates(self) -> list[Candidate]:
        return [
            ("html_lang", lambda: self.root.get("lang") or self.root.get("xml:lang")),
            ("og_locale", lambda: self.data.first_meta("og:locale")),
            ("jsonld", lambda: self.data.article_value("inLanguage")),
        ]

    def title_candidates(self) -> list[Candidate]:
        return [
            ("jsonld", lambda: (text_values(self.data.article_value("headline")) or [None])[0]),
            (
                "markup",
                lambda: self._texts(self.x.HEADLINE(self.root)[:1]) or self._texts(self.x.ANY_H1(self.root)[:1]),
            ),
            ("meta", lambda: self.data.first_meta("og:title", "twitter:title")),
            ("title_tag", lambda: self.root.findtext(".//title")),
        ]

    def description_candidates(self) -> list[Candidate]:
        return [
            ("meta", lambda: self.data.first_meta("og:description", "description", "twitter:description")),
            ("jsonld", lambda: (text_values(self.data.article_value("description")) or [None])[0]),
        ]

    def body_candidates(self) -> list[Candidate]:
        def markup() -> list[str] | None:
            if self.content is None:
                return None
            blocks, skipped = collect_body(self.content, self.url)
            if skipped:
                self.x._inc("article/body/read_also_skipped")
            self.first_block = blocks[0] if blocks else None
            return blocks

        def jsonld() -> list[str] | None:
            text = (text_values(self.data.article_value("articleBody")) or [None])[0]
            if not text:
                return None
            blocks = [block for block in re.split(r"\n\s*\n|\r?\n", text) if block.strip()]
            self.first_block = blocks[0] if blocks else None
            return blocks

        return [("markup", markup), ("jsonld", jsonld)]

    def published_candidates(self) -> list[Candidate]:
        return [
            ("jsonld", lambda: (text_values(self.data.article_value("datePublished")) or [None])[0]),
            ("meta", lambda: self.data.first_meta("article:published_time", "datepublished", "date")),
            (
                "markup",
                lambda: [t.get("datetime") for t in self._in_header(self.x.HEADER_TIME) if t.get("datetime")][:1],
            ),
            ("printed", lambda: self._texts(self._in_header(self.x.HEADER_DATE_TEXT)[:1])),
        ]

    def modified_candidates(self) -> list[Candidate]:
        return [
            ("jsonld", lambda: (text_values(self.data.article_value("dateModified")) or [None])[0]),
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

    def author_candidates(self) -> list[Candidate]:
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

    def tag_candidates(self) -> list[Candidate]:
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

    def image_candidates(self) -> list[Candidate]:
        def jsonld() -> str | None:
            image = self.data.resolve(self.data.article_value("image"))
            if isinstance(image, list) and image:
                image = self.data.resolve(image[0])
            values = text_values(image)
            return self._abs(values[0]) if values else None

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
            ("jsonld", jsonld),
            ("markup_link", featured_link),
            ("markup_img", featured_img),
        ]

    def caption_candidates(self) -> list[Candidate]:
        def markup() -> list[str]:
            featured = self._featured()
            return self._texts(self.x.FEATURED_CAPTION(featured)[:1]) if featured is not None else []

        def jsonld() -> str | None:
            image = self.data.resolve(self.data.article_value("image"))
            if isinstance(image, list) and image:
                image = self.data.resolve(image[0])
            return image.get("caption") if isinstance(image, dict) else None

        return [("markup", markup), ("jsonld", jsonld)]

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

    def related_candidates(self) -> list[Candidate]:
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


def _last_segment(url: str | None) -> str:
    """The last non-empty path segment of a URL (an article's slug), or ""."""
    path = urlsplit(url).path if url else ""
    return next((segment for segment in reversed(path.split("/")) if segment), "")


_HTML_PARSER = etree.HTMLParser(recover=True, encoding="utf-8")


def parse_html(response: TextResponse) -> etree._Element:
    """The page as a plain lxml tree, parsed the way parsel does (the decoded text, as UTF-8).

    Not `response.selector.root`: lxml.html's element classes are chosen by a Python lookup for
    every element the extractor touches, which was a sizeable share of extraction time. A page
    that does not parse at all gives an empty <html/>.
    """
    root = etree.fromstring(response.text.encode("utf-8"), parser=_HTML_PARSER, base_url=response.url)
    return root if root is not None else etree.fromstring(b"<html/>", parser=_HTML_PARSER)


def extract_article(response: TextResponse, stats: Any | None = None) -> Article | None:
    """Convenience for scripts: one page, one call."""
    return ArticleExtractor(stats).extract(response)


__all__ = ["ARTICLE_TYPES", "ArticleExtractor", "ArticleLoader", "extract_article"]
