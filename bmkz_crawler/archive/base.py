"""What the archive keeps and answers: the ArchiveStore protocol and its records.

A *version* is one exported state of an article: every contract field as the feed carried it,
plus when the feed holding it was stored (`exported_at`). It is keyed by (article,
`content_hash`, `modified_at`), so the same text exported again (`mode=full`, an import of an
old feed) adds nothing, and a version is never overwritten. An *article* links its versions:
the same canonical URL, or — after a slug change — the same WordPress post id in the same
edition.

Everything a store returns is a plain record of this module, so the commands, the diff and
the edit rules (`changes.py`) are shared by every store; a store only keeps and finds.
"""

from __future__ import annotations

import itertools
import re
import unicodedata
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol, runtime_checkable

from bmkz_crawler.items import ARTICLE_FIELDS
from bmkz_crawler.processors import parse_instant

# Highlight marks and the cut mark of search snippets, the same for every store.
MARK_START = "["
MARK_END = "]"
ELLIPSIS = "…"
# The text fields full-text search covers, in the order of their weights in the ranking.
SEARCH_FIELDS: tuple[str, ...] = ("title", "description", "body", "tags")


def fold_yo(text: str) -> str:
    """`ё` is found by `е`: both the indexed text and the query are folded, one letter for one
    (so offsets in the folded text are offsets in the original, which is what is shown)."""
    return text.replace("ё", "е").replace("Ё", "Е")


def in_original_text(marked: str, marks: str, originals: Iterable[str]) -> str | None:
    """A snippet cut from `ё`-folded text (`marked`: text plus the one-character `marks`) shown
    in the original text it came from: the first of `originals` whose folded form holds the
    snippet's text, character for character (folding keeps offsets). None when none holds it."""
    plain = "".join(char for char in marked if char not in marks)
    if not plain:
        return None
    for original in originals:
        start = fold_yo(original).find(plain)
        if start < 0:
            continue
        restored, position = [], start
        for char in marked:
            if char in marks:
                restored.append(char)
            else:
                restored.append(original[position])
                position += 1
        return "".join(restored)
    return None


_QUERY_TERM = re.compile(r'"([^"]*)"(\*?)|([^\s"]+)')
_WORD_CHARS = re.compile(r"[^\W_]+")  # what full-text tokenizers keep, near enough: letters and digits


@dataclass(frozen=True)
class QueryTerm:
    """One required term of a search: a word, or the words of a "phrase"; `prefix` for `word*`."""

    words: tuple[str, ...]
    prefix: bool


def query_terms(text: str) -> list[QueryTerm]:
    """The user's words and "phrases" as plain terms every store can quote safely: operators,
    quotes and brackets become plain words or go, `ё` is folded to `е`. Raises ValueError when
    nothing searchable is left."""
    terms = []
    for match in _QUERY_TERM.finditer(fold_yo(unicodedata.normalize("NFC", text))):
        phrase, star, word = match.groups()
        raw = phrase if phrase is not None else word
        prefix = bool(star) if phrase is not None else word.endswith("*")
        words = tuple(_WORD_CHARS.findall(raw))
        if words:
            terms.append(QueryTerm(words, prefix))
    if not terms:
        raise ValueError(f"nothing to search for in {text!r}: give a word")
    return terms


def instant_key(modified_at: str | None) -> str:
    """How a version's `modified_at` is keyed: the UTC instant (the site may write the same time in
    another offset after a time-zone change), or the text as it is when it is no date; "" for none."""
    if not modified_at:
        return ""
    moment = parse_instant(str(modified_at))
    return moment.astimezone(UTC).isoformat(timespec="seconds") if moment is not None else str(modified_at)


def version_recurrence(versions: Sequence[Sequence[Any]], key: tuple[str, str], crawled_at: str) -> int | None:
    """Whether a version with `key` (content_hash, modified_at) crawled at `crawled_at` is new to
    an article whose versions are `versions` ((content_hash, modified_at, crawled_at) rows in
    crawl order): None when the state just before or just after that time is this text already;
    else the number of earlier versions with the same key (0 the first time, 1 after a revert)."""
    key = (key[0], instant_key(key[1]))
    versions = [(row[0], instant_key(row[1]), row[2]) for row in versions]
    before = after = None
    for row in versions:
        if str(row[2]) <= crawled_at:
            before = row
        elif after is None:
            after = row
    if any(row is not None and (row[0], row[1]) == key for row in (before, after)):
        return None
    return sum(1 for row in versions if (row[0], row[1]) == key)


@dataclass(frozen=True)
class Version:
    """One archived version: the feed's item (`fields`, contract names) and where it sits."""

    article_id: int
    version_id: int
    exported_at: str
    fields: Mapping[str, Any]

    def __getitem__(self, name: str) -> Any:
        return self.fields.get(name)

    def as_item(self) -> dict[str, Any]:
        """The version as a feed item (contract fields, contract order)."""
        return {name: self.fields.get(name) for name in ARTICLE_FIELDS}


@dataclass(frozen=True)
class SearchQuery:
    text: str  # as the user typed it: words, "phrases", prefix*
    language: str | None = None
    section: str | None = None  # the article's category label, compared case-insensitively
    since: datetime | None = None  # bounds on published_at
    until: datetime | None = None
    limit: int = 20


@dataclass(frozen=True)
class SearchHit:
    """One article found: its best-ranked version and a snippet with MARK_START/MARK_END."""

    version: Version
    rank: float  # smaller is better (bm25's sign in SQLite; a store may use its own scale)
    snippet: str


@dataclass(frozen=True)
class GoneArticle:
    """An archived article whose page answered 404/410 on a later fetch."""

    article_id: int
    url: str  # the URL that answered
    status: int
    found_at: str  # UTC, when the crawl found it gone
    last_version: Version


@dataclass
class ArchiveStats:
    articles: int = 0
    versions: int = 0
    gone: int = 0
    # (articles, versions) per edition, per section (category), per publication month (YYYY-MM)
    by_language: dict[str, tuple[int, int]] = field(default_factory=dict)
    by_section: dict[str, tuple[int, int]] = field(default_factory=dict)
    by_month: dict[str, tuple[int, int]] = field(default_factory=dict)


@runtime_checkable
class ArchiveStore(Protocol):
    """Every version of every exported article, searchable. Built from a URI by a
    `from_uri(uri: str)` classmethod (see `bmkz_crawler.archive.ARCHIVE_CLASSES`).

    Writes come from ExportMarkerPipeline, once the feeds are durably stored (`add_versions`),
    from the spider when an archived page answers 404/410 (`record_gone`), and from
    `scrapy archive import` (`add_versions` with the feed file's time). Reads come from
    `scrapy archive`. Used from one thread.
    """

    @property
    def location(self) -> str:
        """Where the archive keeps its data (a file, a server), for messages."""
        ...

    def open(self) -> None: ...

    def close(self) -> None: ...

    def add_versions(self, items: Iterable[Mapping[str, Any]], exported_at: str) -> int:
        """In one transaction: archive each item (contract fields) as a version of its article,
        unless that (article, content_hash, modified_at) is there already; link a new URL to the
        article of the same post id and language. A new version clears the article's `gone`.
        Returns the number of versions added."""
        ...

    def record_gone(self, url: str, status: int, found_at: str) -> bool:
        """The archived article at this URL (any of its URLs) answered `status`: remember when,
        unless it is already known gone. False when no archived article has this URL."""
        ...

    def live_urls(self) -> list[str]:
        """The latest URL of every archived article not known gone (for the crawl's gone check)."""
        ...

    def search(self, query: SearchQuery) -> list[SearchHit]:
        """Articles matching every word of `query.text` (`word*` a prefix, `"a b"` a phrase;
        `ё` = `е`, any case), best first, one hit per article. Never raises on user syntax."""
        ...

    def history(self, url_or_post_id: str, language: str | None = None) -> list[Version]:
        """Every version of one article, oldest first (by crawled_at). A post id is per
        edition: with two editions and no `language`, raises AmbiguousArticle."""
        ...

    def edited(self, since: datetime | None = None) -> Iterable[list[Version]]:
        """The versions (oldest first) of each article that has more than one — with `since`,
        of those with a version crawled at or after it. `changes.edits` makes edits of them."""
        ...

    def gone(self, since: datetime | None = None) -> list[GoneArticle]:
        """Archived articles found gone (at or after `since`), the most recent first."""
        ...

    def stats(self) -> ArchiveStats: ...


class AmbiguousArticle(ValueError):
    """A post id without an edition that both editions use."""


def post_id_of(url_or_post_id: str) -> int | None:
    """The WordPress post id `scrapy archive history` was given, or None for a URL."""
    key = url_or_post_id.strip()
    return int(key) if key.isascii() and key.isdigit() else None


def one_edition(post_id: int, languages: Iterable[str | None]) -> None:
    """Raise AmbiguousArticle when the articles of a post id are in more than one edition."""
    editions = sorted(str(language) for language in languages)
    if len(set(editions)) > 1:
        raise AmbiguousArticle(f"post id {post_id} is in more than one edition ({', '.join(editions)}): add --lang")


def by_article(versions: Iterable[Version]) -> Iterator[list[Version]]:
    """Versions ordered by article, grouped into one list per article (`ArchiveStore.edited`)."""
    for _, group in itertools.groupby(versions, key=lambda version: version.article_id):
        yield list(group)
