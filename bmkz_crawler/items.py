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

# An Article the extractor built through ArticleLoader is already in the contract's form (the
# loader runs the contract's processors on every field): CleanPipeline trusts it instead of
# cleaning it again. Kept as an instance attribute, not a field, so no feed ever shows it.
_CONTRACT_CLEAN = "_bmkz_contract_clean"


def mark_contract_clean(article: Article) -> Article:
    setattr(article, _CONTRACT_CLEAN, True)
    return article


def is_contract_clean(item: object) -> bool:
    return isinstance(item, Article) and getattr(item, _CONTRACT_CLEAN, False)
