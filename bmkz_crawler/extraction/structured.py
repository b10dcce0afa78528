"""Structured metadata of a page: `<meta>` tags, the JSON-LD graph and schema.org microdata.

Yoast SEO prints OpenGraph / `article:*` meta tags and one `@graph` of typed nodes; other
plugins print single objects, lists, or nest the article under `mainEntity`; older themes mark
the article up with microdata (`itemscope itemtype=.../NewsArticle`, `itemprop=...`). All are
read once per page. A JSON-LD block that is malformed, absurdly long or absurdly deep costs
that block (counted), never the page.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from typing import Any

from lxml import etree

logger = logging.getLogger(__name__)

ARTICLE_TYPES = frozenset(
    {
        "Article",
        "NewsArticle",
        "BlogPosting",
        "ReportageNewsArticle",
        "AnalysisNewsArticle",
        "OpinionNewsArticle",
        "BackgroundNewsArticle",
        "ReviewNewsArticle",
        "AskPublicNewsArticle",
        "SatiricalArticle",
        "LiveBlogPosting",
        "Report",
        "TechArticle",
        "ScholarlyArticle",
        "SocialMediaPosting",
    }
)
ORGANIZATION_TYPES = frozenset({"Organization", "NewsMediaOrganization", "Corporation", "WebSite", "Brand"})
# A real JSON-LD block is a few kB; a 1 MB one is a page built to hurt a parser.
MAX_JSONLD_CHARS = 1_000_000
MAX_JSONLD_DEPTH = 40
MAX_JSONLD_NODES = 2_000


class StructuredData:
    """The page's meta tags (by property/name/itemprop), JSON-LD nodes and microdata article."""

    def __init__(self, root: etree._Element) -> None:
        self.meta: dict[str, list[str]] = {}
        # iter(tag) filters in C: only <meta> and <script> elements get Python proxies.
        for element in root.iter("meta"):
            key = element.get("property") or element.get("name") or element.get("itemprop")
            if key and element.get("content") is not None:
                self.meta.setdefault(key.strip().lower(), []).append(element.get("content", ""))
        self.nodes: list[dict[str, Any]] = []
        self.jsonld_errors = 0
        self.jsonld_oversized = 0
        for script in root.iter("script"):
            if (script.get("type") or "").strip().lower() != "application/ld+json":
                continue
            text = (script.text or "").strip()
            if not text:
                continue
            if len(text) > MAX_JSONLD_CHARS:
                self.jsonld_oversized += 1
                continue
            try:
                data = json.loads(text)
            except (ValueError, RecursionError):
                self.jsonld_errors += 1
                continue
            self.nodes.extend(_flatten(data))
        self.by_id = {node["@id"]: node for node in self.nodes if isinstance(node.get("@id"), str)}
        self.article = next((node for node in self.nodes if types_of(node) & ARTICLE_TYPES), None)
        self._root = root
        self._microdata: Microdata | bool | None = False

    @property
    def microdata(self) -> Microdata | None:
        """The first schema.org article in microdata, read on first use (most pages have none)."""
        if self._microdata is False:
            self._microdata = Microdata.find(self._root)
        return self._microdata  # type: ignore[return-value]

    def first_meta(self, *keys: str) -> str | None:
        for key in keys:
            for value in self.meta.get(key, ()):
                if value.strip():
                    return value
        return None

    def all_meta(self, key: str) -> list[str]:
        return [value for value in self.meta.get(key, ()) if value.strip()]

    def article_value(self, key: str) -> Any:
        return self.article.get(key) if self.article else None

    def resolve(self, value: Any) -> Any:
        """A `{"@id": ...}` reference -> the node it names (or the value unchanged)."""
        if isinstance(value, dict) and set(value) == {"@id"}:
            return self.by_id.get(value["@id"], value)
        return value

    def person_names(self, value: Any) -> list[str]:
        """Names of the people a JSON-LD `author` value names; organizations are left out."""
        names = []
        for entry in value if isinstance(value, list) else [value]:
            entry = self.resolve(entry)
            if isinstance(entry, str):
                names.append(entry)
            elif isinstance(entry, dict) and not (types_of(entry) & ORGANIZATION_TYPES):
                names += [n for n in text_values(entry.get("name")) if isinstance(n, str)]
        return names


class Microdata:
    """`itemprop`s of one `itemscope` article element (its own, not those of nested items)."""

    def __init__(self, element: etree._Element) -> None:
        self.element = element
        self.props: dict[str, list[etree._Element]] = {}
        stack = list(element)
        while stack:
            child = stack.pop(0)
            if not isinstance(child.tag, str):
                continue
            for prop in (child.get("itemprop") or "").split():
                self.props.setdefault(prop, []).append(child)
            if child.get("itemscope") is None:
                stack[0:0] = list(child)

    @classmethod
    def find(cls, root: etree._Element) -> Microdata | None:
        for element in root.iterfind(".//*[@itemtype]"):
            kinds = {kind.rstrip("/").rsplit("/", 1)[-1] for kind in (element.get("itemtype") or "").split()}
            if kinds & ARTICLE_TYPES and element.get("itemprop") is None:
                return cls(element)
        return None

    def elements(self, prop: str) -> list[etree._Element]:
        return self.props.get(prop, [])

    def value(self, prop: str) -> str | None:
        """The value of a property as microdata defines it: content, datetime, href or text."""
        for element in self.elements(prop):
            for attribute in ("content", "datetime"):
                if element.get(attribute):
                    return element.get(attribute)
            if element.tag in {"a", "link"} and element.get("href"):
                return element.get("href")
            if element.tag == "img" and element.get("src"):
                return element.get("src")
            text = "".join(element.itertext()).strip()
            if text:
                return text
        return None

    def author_elements(self) -> list[etree._Element]:
        """The elements that name each author: a nested Person's `name`, else the author element."""
        found = []
        for element in self.elements("author"):
            kinds = element.get("itemtype") or ""
            if "Organization" in kinds:
                continue
            names = element.xpath(".//*[@itemprop='name']") if element.get("itemscope") is not None else []
            found.append(names[0] if names else element)
        return found


def types_of(node: dict[str, Any]) -> set[str]:
    kind = node.get("@type")
    if isinstance(kind, str):
        return {kind}
    if isinstance(kind, list):
        return {k for k in kind if isinstance(k, str)}
    return set()


def _flatten(data: Any) -> Iterator[dict[str, Any]]:
    """Every typed node of a JSON-LD document: top level, `@graph`, `mainEntity`, lists.

    Iterative with a depth and count bound, so a hostile document (100,000 nested arrays)
    costs a bounded walk and never a RecursionError.
    """
    stack: list[tuple[Any, int]] = [(data, 0)]
    emitted = 0
    while stack and emitted < MAX_JSONLD_NODES:
        value, depth = stack.pop()
        if depth > MAX_JSONLD_DEPTH:
            continue
        if isinstance(value, list):
            stack.extend((entry, depth + 1) for entry in reversed(value))
        elif isinstance(value, dict):
            graph = value.get("@graph")
            if isinstance(graph, list):
                stack.extend((entry, depth + 1) for entry in reversed(graph))
                continue
            emitted += 1
            yield value
            for key in ("mainEntity", "mainEntityOfPage", "hasPart"):
                nested = value.get(key)
                if isinstance(nested, dict | list):
                    stack.append((nested, depth + 1))


def text_values(value: Any) -> list[str]:
    """Strings out of a JSON-LD value that may be a string, a list, or named objects."""
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    if isinstance(value, int | float) and not isinstance(value, bool):
        return [str(value)]
    if isinstance(value, dict):
        for key in ("name", "url", "contentUrl", "@value"):
            if isinstance(value.get(key), str):
                return [value[key]]
        return []
    if isinstance(value, list):
        return [text for entry in value[:100] for text in text_values(entry)]
    return []
