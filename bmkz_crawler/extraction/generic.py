"""Generic page evidence: what any article page shows, whatever its theme calls things.

Used only where the site profile and structured data found nothing for a field: the main
article block (the element holding most paragraph text), the `<time datetime>` inside it, and
visible bylines (`rel=author`, `.author`/`.byline`/vcard, `Автор:`, `By ...`). Pure functions
over an lxml tree; no I/O.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from lxml import etree

from bmkz_crawler.extraction.body import SKIP_CLASSES
from bmkz_crawler.processors import normalize_text

# Where no article text or byline is: navigation, asides, footers, widgets, comments, teasers.
FURNITURE_TAGS = frozenset({"nav", "aside", "footer", "header", "form", "script", "style", "noscript", "template"})
# Matched per class token, at its end (`site-footer`, `td-sidebar`) or as a `widget*` prefix, so a
# layout wrapper such as `cs-sidebar-enabled` around the whole page is not taken for a sidebar.
FURNITURE_TOKEN = re.compile(
    r"(?:^|.*[_-])(?:sidebar|related|comments?|menu|footer|teasers?|popular|trending|recommended|newsletter|"
    r"breadcrumbs?|most-read|most-popular)$|^widget",
    re.IGNORECASE,
)
LAYOUT_MODIFIER = re.compile(
    r"^(?:has|is|no|with|left|right)[-_]|[-_](?:enabled|disabled|layout|float)$", re.IGNORECASE
)
PARAGRAPH_TAGS = frozenset({"p", "h2", "h3", "h4", "li", "blockquote", "pre"})
MIN_PARAGRAPH_CHARS = 25
MIN_MAIN_BLOCK_CHARS = 200
SIBLING_SHARE = 0.6
MIN_MAIN_BLOCK_PARAGRAPHS = 3
MAX_HEADLINE_BLOCK_CHARS = 400


def _is_furniture(element: etree._Element, *, headers_too: bool = True) -> bool:
    tag = element.tag
    if not isinstance(tag, str):
        return True
    if tag == "form":
        # ASP.NET pages wrap the whole page in one form: a form holding the headline is the page.
        return element.find(".//h1") is None
    if tag in FURNITURE_TAGS and (headers_too or tag != "header"):
        return True
    classes = element.get("class") or ""
    if not classes:
        return False
    # Layout modifiers (`has-share-float`, `right-sidebar`, `cs-sidebar-enabled`) describe the
    # wrapper's layout, not what it holds.
    tokens = [t for t in classes.split() if not LAYOUT_MODIFIER.search(t)]
    if not tokens:
        return False
    return bool(SKIP_CLASSES.search(" ".join(tokens))) or any(FURNITURE_TOKEN.match(token) for token in tokens)


def _inside_furniture(element: etree._Element, stop: etree._Element | None = None, *, headers_too: bool = True) -> bool:
    for ancestor in element.iterancestors():
        if ancestor is stop:
            return False
        if ancestor.tag in {"body", "html"}:
            return False
        if ancestor.tag == "article" and stop is None:
            continue
        if _is_furniture(ancestor, headers_too=headers_too):
            return True
    return False


def main_block(
    root: etree._Element, *, within: etree._Element | None = None, min_chars: int = MIN_MAIN_BLOCK_CHARS
) -> etree._Element | None:
    """The element holding the article's paragraphs: most paragraph text, parent-weighted.

    Readability's rule: each paragraph's text counts fully for its parent and half for its
    grandparent, so a container of many paragraphs beats the page wrapper around it. Paragraphs
    inside navigation, asides, footers, widgets and comment blocks do not count. `within` looks
    inside one element only (a short article's `<article>`), with `min_chars` its own threshold.
    """
    body = within if within is not None else root.find("body")
    if body is None:
        return None
    scores: dict[etree._Element, float] = {}
    text_under: dict[etree._Element, float] = {}
    paragraphs_under: dict[etree._Element, int] = {}
    for paragraph in body.iter(*PARAGRAPH_TAGS):
        text = normalize_text("".join(paragraph.itertext())) or ""
        if len(text) < MIN_PARAGRAPH_CHARS or _inside_furniture(paragraph, headers_too=False):
            continue
        weight = len(text) * (1.0 if paragraph.tag in {"p", "blockquote", "pre"} else 0.5)
        parent = paragraph.getparent()
        if parent is None:
            continue
        scores[parent] = scores.get(parent, 0.0) + weight
        grandparent = parent.getparent()
        if grandparent is not None:
            scores[grandparent] = scores.get(grandparent, 0.0) + weight / 2
        for ancestor in paragraph.iterancestors():
            text_under[ancestor] = text_under.get(ancestor, 0.0) + weight
            paragraphs_under[ancestor] = paragraphs_under.get(ancestor, 0) + 1
    if not scores:
        return None
    best, score = max(scores.items(), key=lambda item: item[1])
    if score < min_chars:
        return None
    # Text split over sibling sections (a wrapper per paragraph): climb through wrappers while
    # the block holds too few paragraphs or much less text than its parent.
    # (A short article's block inside its article element is taken as found: no climbing.)
    while within is None and (parent := best.getparent()) is not None and parent.tag not in {"body", "html"}:
        few = paragraphs_under.get(best, 0) < MIN_MAIN_BLOCK_PARAGRAPHS
        if not few and text_under.get(best, 0.0) >= SIBLING_SHARE * text_under.get(parent, 0.0):
            break
        best = parent
    return best


def headline_block(container: etree._Element) -> etree._Element | None:
    """The element around the block's h1 that holds the headline furniture and no article text.

    Climbs from the h1 while the parent's text stays short: a kicker, a date, a byline.
    """
    headline = next(container.iter("h1"), None)
    if headline is None:
        return None
    block = headline
    while (parent := block.getparent()) is not None and parent is not container:
        if len(normalize_text("".join(parent.itertext())) or "") > MAX_HEADLINE_BLOCK_CHARS:
            break
        block = parent
    return block


def lead_figure(container: etree._Element) -> etree._Element | None:
    """A figure of the block that comes before any paragraph of text: the lead image."""
    for element in container.iter("figure", "p"):
        if element.tag == "figure":
            return element
        if len(normalize_text("".join(element.itertext())) or "") >= MIN_PARAGRAPH_CHARS:
            return None
    return None


def article_region(root: etree._Element, block: etree._Element | None) -> etree._Element | None:
    """The element around the article: its `<article>`, or the block's container holding an h1."""
    if block is None:
        articles = [a for a in root.iter("article") if a.find(".//h1") is not None]
        return articles[0] if len(articles) == 1 else None
    for ancestor in [block, *block.iterancestors()]:
        if ancestor.tag == "article" or (ancestor.get("itemscope") is not None and ancestor.get("itemtype")):
            return ancestor
    for ancestor in block.iterancestors():
        if ancestor.tag == "body":
            return None
        if ancestor.find(".//h1") is not None:
            return ancestor
    return None


def times_in(region: etree._Element | None) -> list[str]:
    """`datetime` of the `<time>` elements of the article region, outside its furniture."""
    if region is None:
        return []
    return [
        time.get("datetime")
        for time in region.iter("time")
        if time.get("datetime") and not _inside_furniture(time, region, headers_too=False)
    ]


# A printed date's element: `date`, `post-date`, `article__time`, `published`, `posted-on`.
DATE_CLASS = re.compile(r"(?:^|[\s_-])(?:date|time|published|pubdate|posted-on|dateline)(?:$|[\s_-])", re.IGNORECASE)
MAX_DATE_TEXT = 80


def printed_dates(region: etree._Element | None, body: etree._Element | None = None) -> list[str]:
    """Texts of the article region's date elements (by class), outside its furniture and body.

    A page without a machine-readable date still prints one beside the headline; whether the
    text is a date is for the date rules to say.
    """
    if region is None:
        return []
    found = []
    for element in region.iter(etree.Element):
        if not DATE_CLASS.search(element.get("class") or "") or (body is not None and inside(element, body)):
            continue
        text = normalize_text("".join(element.itertext()))
        if text and len(text) <= MAX_DATE_TEXT and not _inside_furniture(element, region, headers_too=False):
            found.append(text)
    return found


# --- bylines -----------------------------------------------------------------------------

BYLINE_CLASS = re.compile(r"author|byline|vcard|\bfn\b", re.IGNORECASE)
NOT_A_NAME_CLASS = re.compile(
    r"avatar|bio|image|img|photo|desc|about|title__|label|more|social|date|time", re.IGNORECASE
)
BYLINE_PREFIX = re.compile(
    r"^\s*(?:(?:written\s+)?by|von|text|texte|par|por|автор(?:ы)?|текст|авторлар|авторы\s+материала)\b\s*[:\-–—]?\s*",
    re.IGNORECASE,
)
BYLINE_LABEL = re.compile(r"^\s*(?:Автор|Авторы|Авторлар|Author|Authors|By)\s*:\s*(?P<names>.+)$", re.IGNORECASE)
NAME_SEPARATORS = re.compile(r"\s*(?:,|;|\s&\s|\s(?:and|und|и|et|y|және)\s)\s*", re.IGNORECASE)
MEDIA_TAGS = frozenset({"figure", "figcaption", "picture"})
MEDIA_CLASS = re.compile(r"photo|image|img|caption|gallery|credit|video", re.IGNORECASE)
MAX_BYLINE_CHARS = 300
AUTHOR_HREF = re.compile(r"/(?:author|authors|autor|autoren|avtor|avtory|people|profile|journalist)s?/", re.IGNORECASE)


def clean_name(text: str | None) -> str | None:
    """A byline's text as a name, or None when it does not look like one."""
    name = normalize_text(text)
    if not name:
        return None
    name = BYLINE_PREFIX.sub("", name).strip(" |·•-–—:,")
    if not name or len(name) > 60 or len(name.split()) > 6:
        return None
    if re.search(r"\d|https?:|@|©", name) or not re.search(r"[^\W\d_]", name):
        return None
    return name


def split_names(text: str | None) -> list[str]:
    text = normalize_text(text)
    if not text:
        return []
    text = BYLINE_PREFIX.sub("", text)
    return [name for name in (clean_name(part) for part in NAME_SEPARATORS.split(text)) if name]


def _is_byline_element(element: etree._Element) -> bool:
    rel = (element.get("rel") or "").split()
    if "author" in rel or "author" in (element.get("itemprop") or "").split():
        return True
    classes = element.get("class") or ""
    return bool(classes and BYLINE_CLASS.search(classes) and not NOT_A_NAME_CLASS.search(classes))


def bylines(region: etree._Element | None, body: etree._Element | None = None) -> list[str]:
    """Names of the first byline shown in the article region, outside furniture and the body.

    The first byline element in document order wins (before or after the body, not inside
    it); its author links (or name parts) give one name each, else its text is split at commas
    and "and"s. Text bylines (`Автор: ...`) count too.
    """
    if region is None:
        return []
    inside_body = set(body.iter()) if body is not None else set()
    for element in region.iter(etree.Element):
        if element in inside_body or element is region:  # `article.author-article` is no byline
            continue
        if not _is_byline_element(element) or _inside_furniture(element, region, headers_too=False):
            continue
        if _in_media(element, region) or len(normalize_text("".join(element.itertext())) or "") > MAX_BYLINE_CHARS:
            continue
        names = _names_in(element)
        if names:
            return names
    for element in region.iter("p", "span", "div", "em", "strong"):
        if element in inside_body:
            continue
        text = normalize_text("".join(element.itertext())) or ""
        match = BYLINE_LABEL.match(text) if len(text) < 120 else None
        if match and not _inside_furniture(element, region, headers_too=False):
            names = split_names(match["names"])
            if names:
                return names
    return []


def _in_media(element: etree._Element, region: etree._Element) -> bool:
    """Inside a figure or photo block: an `.author` there is the picture's credit, not a byline."""
    for ancestor in element.iterancestors():
        if ancestor is region:
            return False
        if ancestor.tag in MEDIA_TAGS or MEDIA_CLASS.search(ancestor.get("class") or ""):
            return True
    return False


def _names_in(element: etree._Element) -> list[str]:
    links = [
        a for a in element.iter("a") if "author" in (a.get("rel") or "") or AUTHOR_HREF.search(a.get("href") or "")
    ]
    if element.tag == "a":
        links = [element]
    if links:
        return unique(name for a in links for name in [clean_name("".join(a.itertext()))] if name)
    parts = [child for child in element.iter(etree.Element) if child is not element and _is_byline_element(child)]
    if len(parts) > 1:
        return unique(name for part in parts for name in split_names("".join(part.itertext())))
    return split_names("".join(element.itertext()))


def printed_names(names: Iterable[str], elements: Iterable[etree._Element]) -> list[str]:
    """Of the given (metadata) names, those printed as the whole text of one of the elements."""
    wanted = {normalize_text(n).casefold(): normalize_text(n) for n in names if normalize_text(n)}
    found = []
    for element in elements:
        for candidate in (element, *element.iterdescendants()):
            if not isinstance(candidate.tag, str):
                continue
            text = clean_name("".join(candidate.itertext()))
            if text and text.casefold() in wanted:
                found.append(wanted[text.casefold()])
    return unique(found)


def unique(values: Iterable[Any]) -> list[Any]:
    """Values in first-seen order, without repeats and without None or empty strings."""
    return list(dict.fromkeys(v for v in values if v not in (None, "")))


# --- related links and view counts ----------------------------------------------------------

# Headings of a "related posts" block in the languages met so far (the block's markup is the
# theme's; its heading is what readers see).
RELATED_HEADINGS = re.compile(
    r"^(?:продолжай(?:те)?\s+читать|читайте\s+также|похожие\s+(?:новости|записи|статьи)|по\s+теме|"
    r"оқуды\s+жалғастыр\w*|ұқсас\s+\w+|тақырыпқа\s+орай|related(?:\s+(?:posts|articles|stories))?|"
    r"read\s+more|more\s+(?:stories|on\s+this))\b",
    re.IGNORECASE,
)
HEADINGS = etree.XPath("//h2 | //h3 | //h4 | //h5")
RELATED_BLOCKS = etree.XPath("//*[contains(concat(' ', translate(@class, '_', '-'), ' '), 'related')]")
# A view counter's class: `post-views`, `article__views`, `view-count`, `hits`.
VIEWS_CLASS = re.compile(r"(?:^|[\s_-])(?:views?|view-?count|hits|pageviews)(?:$|[\s_-])", re.IGNORECASE)
# Substrings a view counter's class attribute contains: the page's ClassIndex collects those
# elements in its one walk over the page (an XPath over every element cost a millisecond a page).
VIEWS_CLASS_SUBSTRINGS = ("view", "View", "hits")
ENTRY_TAGS = frozenset({"li", "article"})
_DIGIT = re.compile(r"\d")


def related_blocks(root: etree._Element) -> list[etree._Element]:
    """Blocks whose class says they are related posts (`related-posts`, `post__related`, ...)."""
    return [block for block in RELATED_BLOCKS(root) if block.tag not in {"body", "html", "a"}]


def related_heading_block(root: etree._Element) -> etree._Element | None:
    """The nearest container with links around a heading that reads like "Продолжай читать"."""
    for heading in HEADINGS(root):
        if RELATED_HEADINGS.match(normalize_text("".join(heading.itertext())) or ""):
            container = heading.getparent()
            while container is not None and container.find(".//a[@href]") is None:
                container = container.getparent()
            return container
    return None


def view_counters(candidates: Iterable[etree._Element]) -> list[etree._Element]:
    """Of the elements whose class contains a views substring (`VIEWS_CLASS_SUBSTRINGS`), those
    whose class says they print a view count and whose text has a number, in page order."""
    return [
        element
        for element in unique(candidates)
        if VIEWS_CLASS.search(element.get("class") or "") and _DIGIT.search("".join(element.itertext()))
    ]


def counter_entry(counter: etree._Element, levels: int = 4) -> etree._Element | None:
    """The list entry or card a view counter belongs to (a most-read widget's `li`)."""
    for depth, ancestor in enumerate(counter.iterancestors()):
        if depth >= levels:
            break
        if ancestor.tag in ENTRY_TAGS:
            return ancestor
    return None


def inside(element: etree._Element, container: etree._Element | None) -> bool:
    return container is not None and (element is container or any(a is container for a in element.iterancestors()))
