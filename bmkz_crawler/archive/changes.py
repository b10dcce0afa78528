"""What changed between two versions of an article: word-level diffs, edits, silent edits.

Pure functions over `Version` records, shared by every archive store. Words are runs of
non-space characters (punctuation stays with its word, as a reader sees it); the diff is
difflib's over those tokens.

An *edit* is a version after an article's first: the fields that differ from the version
before (crawl-time fields — `crawled_at`, `change`, `views` — and the derived `content_hash`
and `word_count` are not edits), how many words each text field gained and lost, and
`silent` when the text (`content_hash`) changed while the page's `modified_at` did not.
"""

from __future__ import annotations

import difflib
import itertools
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from bmkz_crawler.archive.base import Version
from bmkz_crawler.items import ARTICLE_FIELDS
from bmkz_crawler.processors import parse_instant

NOT_EDITS = frozenset({"crawled_at", "change", "views", "content_hash", "word_count"})
DATE_FIELDS = frozenset({"published_at", "modified_at"})
TEXT_FIELDS: tuple[str, ...] = ("title", "description", "body", "image_caption", "tags", "authors")
CONTEXT_WORDS = 4
_WORD = re.compile(r"\S+")


def same_instant(a: Any, b: Any) -> bool:
    """Two page dates are the same time, whatever offset each is written in (both absent counts)."""
    if a == b:
        return True
    first, second = parse_instant(str(a)) if a else None, parse_instant(str(b)) if b else None
    return first is not None and first == second


def words(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, list):
        return [word for part in value for word in _WORD.findall(str(part))]
    return _WORD.findall(str(value))


@dataclass(frozen=True)
class WordChange:
    """One difference: `removed` words of the old text became `added` ones, after `before`."""

    before: list[str]  # up to CONTEXT_WORDS unchanged words before it
    removed: list[str]
    added: list[str]


def word_diff(old: Any, new: Any) -> list[WordChange]:
    a, b = words(old), words(new)
    matcher = difflib.SequenceMatcher(None, a, b, autojunk=False)
    return [
        WordChange(a[max(0, i1 - CONTEXT_WORDS) : i1], a[i1:i2], b[j1:j2])
        for tag, i1, i2, j1, j2 in matcher.get_opcodes()
        if tag != "equal"
    ]


def render_changes(changes: Sequence[WordChange]) -> str:
    """`… context [-old words-]{+new words+}`, one change a line (wdiff's marks)."""
    lines = []
    for change in changes:
        parts = ["…", *change.before] if change.before else []
        if change.removed:
            parts.append("[-" + " ".join(change.removed) + "-]")
        if change.added:
            parts.append("{+" + " ".join(change.added) + "+}")
        lines.append(" ".join(parts))
    return "\n".join(lines)


@dataclass
class Edit:
    """One version after the first, compared with the version before it."""

    previous: Version
    version: Version
    fields: list[str] = field(default_factory=list)  # contract fields that changed
    words_added: dict[str, int] = field(default_factory=dict)  # per text field that changed
    words_removed: dict[str, int] = field(default_factory=dict)

    @property
    def silent(self) -> bool:
        """The text changed and the page did not say so: same modified_at (none counts)."""
        return self.previous["content_hash"] != self.version["content_hash"] and same_instant(
            self.previous["modified_at"], self.version["modified_at"]
        )

    def summary(self) -> str:
        """`body +12 -3, title +1 -1, modified_at`."""
        parts = []
        for name in self.fields:
            if name in self.words_added:
                parts.append(f"{name} +{self.words_added[name]} -{self.words_removed[name]}")
            else:
                parts.append(name)
        return ", ".join(parts)

    def as_record(self) -> dict[str, Any]:
        new, old = self.version, self.previous
        return {
            "url": new["url"],
            "post_id": new["post_id"],
            "language": new["language"],
            "title": new["title"],
            "crawled_at": new["crawled_at"],
            "exported_at": new.exported_at,
            "previous_crawled_at": old["crawled_at"],
            "modified_at": new["modified_at"],
            "previous_modified_at": old["modified_at"],
            "silent": self.silent,
            "fields": list(self.fields),
            "words_added": dict(self.words_added),
            "words_removed": dict(self.words_removed),
            "summary": self.summary(),
        }


def compare(previous: Version, version: Version) -> Edit:
    edit = Edit(previous, version)
    for name in ARTICLE_FIELDS:
        if name in NOT_EDITS or previous[name] == version[name]:
            continue
        if name in DATE_FIELDS and same_instant(previous[name], version[name]):
            continue  # the same time written in another offset (the site changed its time zone)
        edit.fields.append(name)
        if name in TEXT_FIELDS:
            changes = word_diff(previous[name], version[name])
            edit.words_added[name] = sum(len(change.added) for change in changes)
            edit.words_removed[name] = sum(len(change.removed) for change in changes)
    return edit


def edits(articles: Iterable[list[Version]], *, since: datetime | None = None, silent_only: bool = False) -> list[Edit]:
    """Every edit of these articles (each a list of versions, oldest first), in crawl order;
    `since`: only versions crawled at or after it."""
    found = []
    for versions in articles:
        for previous, version in itertools.pairwise(versions):
            crawled = parse_instant(version["crawled_at"])
            if since is not None and (crawled is None or crawled < since):
                continue
            edit = compare(previous, version)
            if silent_only and not edit.silent:
                continue
            found.append(edit)
    found.sort(key=lambda edit: (str(edit.version["crawled_at"] or ""), edit.version.version_id))
    return found
