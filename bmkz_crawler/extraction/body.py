"""Article body text from the DOM: text blocks in reading order, with the page's furniture left out.

A block is a paragraph, heading, list item, quote, preformatted text or figure caption.
Scripts, styles, embeds, ads, share buttons, tag lists, related blocks and "read also"
paragraphs are not body text. Loose text directly inside a container (posts written
without `<p>`) becomes a block of its own. Works on lxml elements for speed.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from urllib.parse import urljoin

from lxml import etree

from bmkz_crawler.processors import normalize_text, same_site

SKIP_TAGS = frozenset(
    {
        "script", "style", "noscript", "iframe", "form", "button", "svg", "ins", "template", "object",
        "embed", "video", "audio", "canvas", "input", "select", "textarea", "img", "picture", "source",
        "map", "head", "link", "meta", "nav", "aside", "footer",
    }
)  # fmt: skip
BLOCK_TAGS = frozenset(
    {"p", "h1", "h2", "h3", "h4", "h5", "h6", "li", "figcaption", "pre", "dt", "dd", "tr", "caption"}
)
LIST_TAGS = frozenset({"ul", "ol", "dl"})
# Class names of things that sit inside the content area but are not the article's text.
SKIP_CLASSES = re.compile(
    r"(?:^|\s)(?:a-wrap[\w-]*|ads?|ad-[\w-]+|adsbygoogle|advert[\w-]*|banner[\w-]*|[\w-]*share[\w-]*|"
    r"social[\w-]*|spc-social[\w-]*|related[\w-]*|jp-relatedposts|yarpp[\w-]*|the-post-tags|post-tags|tags-links|"
    r"wp-block-embed__wrapper|twitter-tweet|instagram-media|telegram-post|tiktok-embed|fb-post|"
    r"code-block|read-also|inline-related|post-nav[\w-]*|navigation|screen-reader-text|visuallyhidden|"
    r"sr-only|hidden|subscribe[\w-]*|comments?[\w-]*)(?:\s|$)"
)
READ_ALSO_LABEL = re.compile(
    r"^(?:читайте\s+также|читайте\s+тоже|также\s+читайте|смотрите\s+также|читать\s+также|по\s+теме|"
    r"оқи\s+отырыңыз|оқыңыз|сондай-ақ\s+оқыңыз|оқи\s+отырып|тақырыпқа\s+орай|"
    # the same label where the page is in another language
    r"(?:also\s+)?read(?:\s+(?:also|more|next))?|see\s+also|related(?:\s+(?:news|articles?|stories))?|"
    r"lesen\s+sie\s+(?:auch|mehr)|mehr\s+zum\s+thema|(?:à\s+)?lire\s+aussi|lea\s+también|leia\s+também)"
    r"\s*[:.–—-]?\s*$",
    re.IGNORECASE,
)
READ_ALSO_PREFIX = re.compile(
    r"^\s*(?:читайте\s+также|читайте\s+тоже|также\s+читайте|смотрите\s+также|оқи\s+отырыңыз|"
    r"сондай-ақ\s+оқыңыз)\b",
    re.IGNORECASE,
)


# On pages no site profile reads, what a theme puts inside its content block and names by what it
# is, in any part of a class token (`inews__shortcode-relatedarticleinline`, `post_td_gallery`,
# `read-more-posts-container`, `ad-disclaimer-container`): teasers, galleries, disclaimers, the
# post's metadata line.
INNER_FURNITURE = re.compile(
    r"(?:^|[-_])(?:related\w*|teasers?|read-more|read-next|also-read|more-stories|popular|most-read|"
    r"newsletter\w*|recommended|promo|paywall|gallery|galery|slider|slideshow|carousel|disclaimer|donat\w*|"
    # the post's metadata line a theme prints inside the content (`singlepostmeta`, `entry-meta`):
    # "By X on 21/02/2021. Filed under Y" — who and when are read from their own sources
    r"\w*postmeta\w*|entry-meta|post-meta|entry-footer|post-footer)(?:$|[-_])",
    re.IGNORECASE,
)


def is_inner_furniture(element: etree._Element) -> bool:
    """A class token of the element names furniture (any segment of the token, not just its start)."""
    return any(INNER_FURNITURE.search(token) for token in (element.get("class") or "").split())


def _is_skipped(element: etree._Element) -> bool:
    tag = element.tag
    if not isinstance(tag, str):  # comments, processing instructions
        return True
    if tag in SKIP_TAGS:
        return True
    css = element.get("class")
    if css and SKIP_CLASSES.search(css):
        return True
    return element.get("hidden") is not None or "display:none" in (element.get("style") or "").replace(" ", "")


def _inline_text(element: etree._Element, parts: list[str]) -> None:
    """Text of an element and its inline descendants, skipping furniture."""
    if element.text:
        parts.append(element.text)
    for child in element:
        if not _is_skipped(child):
            if child.tag == "br":
                parts.append("\n")
            else:
                _inline_text(child, parts)
                if child.tag in BLOCK_TAGS or child.tag in LIST_TAGS or child.tag == "div":
                    parts.append(" ")
        if child.tail:
            parts.append(child.tail)


def block_text(element: etree._Element) -> str | None:
    parts: list[str] = []
    _inline_text(element, parts)
    return normalize_text("".join(parts))


def _text_outside_links(element: etree._Element) -> str:
    parts = [element.text or ""]
    for child in element:
        if isinstance(child.tag, str) and child.tag != "a" and not _is_skipped(child):
            parts.append(_text_outside_links(child))
        parts.append(child.tail or "")
    return "".join(parts)


def _link_only(element: etree._Element, text: str, page_url: str) -> bool:
    """A "read also" paragraph: it only links to another article, maybe after a label."""
    hrefs = [href for href in element.xpath(".//a/@href") if href.strip()]
    if not hrefs:
        return False
    rest = normalize_text(_text_outside_links(element))
    if rest:
        return bool(READ_ALSO_LABEL.match(rest))
    if READ_ALSO_PREFIX.match(text):
        return True
    return all(same_site(urljoin(page_url, href), page_url) for href in hrefs)


class BodyCollector:
    """Walks a content container and collects its text blocks in order."""

    def __init__(self, page_url: str, skip: Callable[[etree._Element], bool] | None = None) -> None:
        self.page_url = page_url
        self.skip = skip
        self.blocks: list[str] = []
        self.skipped_read_also = 0

    def collect(self, container: etree._Element) -> list[str]:
        self._walk_container(container)
        return self.blocks

    def _emit(self, element: etree._Element | None, text: str | None) -> None:
        if not text:
            return
        maybe_read_also = element is not None and (READ_ALSO_PREFIX.match(text) or element.find(".//a") is not None)
        if maybe_read_also and _link_only(element, text, self.page_url):
            self.skipped_read_also += 1
            return
        self.blocks.append(text)

    def _walk_container(self, container: etree._Element) -> None:
        loose: list[str] = [container.text or ""]
        for child in container:
            if _is_skipped(child) or (self.skip is not None and self.skip(child)):
                loose.append(child.tail or "")
                continue
            tag = child.tag
            if (
                tag in BLOCK_TAGS
                or tag in LIST_TAGS
                or tag in {"blockquote", "figure", "table", "tbody", "thead"}
                or (tag in {"div", "section", "article", "span"} and _has_blocks(child))
            ):
                self._flush(loose)
                self._walk_block(child)
                loose = [child.tail or ""]
            elif tag == "br":
                loose.append("\n")
                loose.append(child.tail or "")
            else:
                parts: list[str] = []
                _inline_text(child, parts)
                loose.extend(parts)
                loose.append(child.tail or "")
        self._flush(loose)

    def _flush(self, loose: list[str]) -> None:
        # Loose text split at blank lines / double <br> forms paragraphs of its own.
        text = "".join(loose)
        for piece in re.split(r"\n\s*\n", text):
            self._emit(None, normalize_text(piece))

    def _walk_block(self, element: etree._Element) -> None:
        tag = element.tag
        if tag == "li" and any(child.tag in LIST_TAGS for child in element):
            parts: list[str] = [element.text or ""]
            for child in element:
                if child.tag in LIST_TAGS:
                    self._emit(element, normalize_text("".join(parts)))
                    parts = []
                    self._walk_container(child)
                elif not _is_skipped(child):
                    _inline_text(child, parts)
                parts.append(child.tail or "")
            self._emit(element, normalize_text("".join(parts)))
        elif tag in BLOCK_TAGS:
            self._emit(element, block_text(element))
        elif tag == "figure":
            # Of an embedded figure only its caption is text; the media and embed code are not.
            for caption in element.iter("figcaption"):
                self._emit(caption, block_text(caption))
        else:
            self._walk_container(element)


def _has_blocks(element: etree._Element) -> bool:
    for descendant in element.iterdescendants():
        tag = descendant.tag
        if isinstance(tag, str) and (tag in BLOCK_TAGS or tag in LIST_TAGS or tag in {"blockquote", "figure", "div"}):
            return True
    return False


def collect_body(
    container: etree._Element, page_url: str, skip: Callable[[etree._Element], bool] | None = None
) -> tuple[list[str], int]:
    """Blocks of text in the container and how many "read also" paragraphs were left out.

    `skip` leaves out more elements (with what they hold) than the furniture every page has.
    """
    collector = BodyCollector(page_url, skip)
    blocks = collector.collect(container)
    return blocks, collector.skipped_read_also
