"""The Article item: the public contract of every feed (see README, "Article fields").

Field order here is the column order of CSV feeds. Every field has a default because the
ItemLoader fills the item field by field.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields

REQUIRED_FIELDS: tuple[str, ...] = ("url", "title", "body", "published_at")


@dataclass
class Article:
    url: str | None = None
    post_id: int | None = None
    language: str | None = None
    title: str | None = None
    description: str | None = None
    body: str | None = None
    published_at: str | None = None
    modified_at: str | None = None
    authors: list[str] = field(default_factory=list)
    category: str | None = None
    tags: list[str] = field(default_factory=list)
    image_url: str | None = None
    image_caption: str | None = None
    dateline: str | None = None
    views: int | None = None
    related_urls: list[str] = field(default_factory=list)
    word_count: int | None = None
    content_hash: str | None = None
    crawled_at: str | None = None
    change: str = "new"


ARTICLE_FIELDS: tuple[str, ...] = tuple(f.name for f in fields(Article))
LIST_FIELDS: frozenset[str] = frozenset({"authors", "tags", "related_urls"})
