"""Structured metadata of a page: `<meta>` tags and the JSON-LD graph, read once per page.

Yoast SEO prints OpenGraph / `article:*` meta tags and one `@graph` of typed nodes; other
plugins print single objects or lists. Everything is flattened into a list of nodes that can
be looked up by type or by `@id`. Malformed JSON-LD is counted, never raised.
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
    }
)


class StructuredData:
    """The page's meta tags (by property/name/itemprop) and JSON-LD nodes."""

    def __init__(self, root: etree._Element) -> None:
        self.meta: dict[str, list[str]] = {}
        # iter(tag) filters in C: only <meta> and <script> elements get Python proxies.
        for element in root.iter("meta"):
            key = element.get("property") or element.get("name") or element.get("itemprop")
            if key and element.get("content") is not None:
                self.meta.setdefault(key.strip().lower(), []).append(element.get("content", ""))
        self.nodes: list[dict[str, Any]] = []
        self.jsonld_errors = 0
        for script in root.iter("script"):
            if (script.get("type") or "").strip().lower() != "application/ld+json":
                continue
            text = (script.text or "").strip()
            if not text:
                continue
            try:
                data = json.loads(text)
            except ValueError:
                self.jsonld_errors += 1
                continue
            self.nodes.extend(_flatten(data))
        self.by_id = {node["@id"]: node for node in self.nodes if isinstance(node.get("@id"), str)}
        self.article = next((node for node in self.nodes if _types(node) & ARTICLE_TYPES), None)

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

    def has_type(self, *types: str) -> bool:
        wanted = set(types)
        return any(_types(node) & wanted for node in self.nodes)


def _types(node: dict[str, Any]) -> set[str]:
    kind = node.get("@type")
    if isinstance(kind, str):
        return {kind}
    if isinstance(kind, list):
        return {k for k in kind if isinstance(k, str)}
    return set()


def _flatten(data: Any) -> Iterator[dict[str, Any]]:
    if isinstance(data, list):
        for entry in data:
            yield from _flatten(entry)
    elif isinstance(data, dict):
        graph = data.get("@graph")
        if isinstance(graph, list):
            yield from _flatten(graph)
        else:
            yield data


def text_values(value: Any) -> list[str]:
    """Strings out of a JSON-LD value that may be a string, a list, or named objects."""
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    if isinstance(value, (int, float)):
        return [str(value)]
    if isinstance(value, dict):
        for key in ("name", "url", "contentUrl", "@value"):
            if isinstance(value.get(key), str):
                return [value[key]]
        return []
    if isinstance(value, list):
        return [text for entry in value for text in text_values(entry)]
    return []
