"""What the crawler remembers between runs: the StateStore protocol and one article's record.

A store is keyed by the article's canonical URL. `content_hash` and `modified_at` describe
the version last *exported* (they are written only by `mark_exported`), so "has this changed
since we delivered it?" is a comparison with the row, never with something merely seen.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol, runtime_checkable

from itemadapter import ItemAdapter

from bmkz_crawler.processors import canonicalize_url, parse_instant

# How long `record_run` keeps run records (BMKZ_RUN_HISTORY_DAYS's default).
DEFAULT_RUN_HISTORY_DAYS = 90.0
# The fields of an item that a store records on export, in the table's column order.
EXPORT_RECORD_FIELDS: tuple[str, ...] = ("url", "post_id", "language", "content_hash", "modified_at", "published_at")


@dataclass(frozen=True)
class ArticleState:
    """One article as the store knows it. Times are ISO 8601 strings, as in the feeds."""

    url: str
    post_id: int | None
    language: str | None
    content_hash: str | None  # of the last exported version; None if never exported
    modified_at: str | None  # the page's modified_at at the last export
    published_at: str | None
    first_seen: str
    last_exported: str | None  # UTC time the feed holding it was stored; None: never exported

    @property
    def exported(self) -> bool:
        return self.last_exported is not None


@runtime_checkable
class StateStore(Protocol):
    """A store of article states. The crawl policy asks `lookup` (settled? unchanged since its
    export?); the pipelines ask the lookups and write with `record_seen` / `mark_exported`.

    Implementations are built from a URI by a `from_uri(uri: str)` classmethod (see
    `bmkz_crawler.state.STORE_CLASSES`), and are used from the reactor thread only.
    """

    @property
    def location(self) -> str:
        """Where the store keeps its data (a file, a server and key prefix), for messages."""
        ...

    def open(self) -> None: ...

    def close(self) -> None: ...

    def lookup(self, url: str) -> ArticleState | None: ...

    def lookup_post(self, post_id: int, language: str | None) -> ArticleState | None:
        """The article with this WordPress post id in this language (any language if None),
        the most recently exported first."""
        ...

    def lookup_hash(self, content_hash: str) -> ArticleState | None:
        """The most recently exported article whose exported text has this hash."""
        ...

    def record_seen(self, item: Mapping[str, Any] | Any) -> None:
        """Remember that the article was seen: first_seen is set once, nothing else changes."""
        ...

    def mark_exported(self, items: Iterable[Mapping[str, Any]], exported_at: str) -> None:
        """In one transaction: upsert each item's EXPORT_RECORD_FIELDS and last_exported."""
        ...

    def load_memory(self) -> dict[str, str]:
        """The crawl's memory besides articles (discovery, validators, sweep and re-check times):
        key -> JSON text, as `save_memory` last wrote it; empty on a new store."""
        ...

    def save_memory(self, values: Mapping[str, str]) -> None:
        """In one transaction: set each key's JSON text (other keys stay)."""
        ...

    def record_run(self, run: Mapping[str, Any], *, keep_days: float = DEFAULT_RUN_HISTORY_DAYS) -> None:
        """Append one run record (a JSON-able dict with an ISO UTC `started_at`, see
        `bmkz_crawler.monitoring.history.run_record`), durable on return; records that started
        more than `keep_days` before it are deleted."""
        ...

    def runs(self, since: str | None = None) -> list[dict[str, Any]]:
        """The run records that started at or after `since` (ISO 8601; all if None), oldest first."""
        ...

    def count(self) -> int: ...


def run_history_cutoff(run: Mapping[str, Any], keep_days: float) -> datetime:
    """The start time before which records are pruned when `run` is recorded."""
    started = parse_instant(str(run.get("started_at") or "")) or datetime.now(UTC)
    return started.astimezone(UTC) - timedelta(days=keep_days)


def iso_utc(value: str | None) -> str | None:
    """An ISO 8601 time as run records store it (UTC, seconds, `+00:00`): comparable as text."""
    parsed = parse_instant(value) if value else None
    return parsed.astimezone(UTC).isoformat(timespec="seconds") if parsed else None


def state_key(url: str) -> str:
    """Every store keys an article by its canonical URL, whatever variant (tracking parameters...) asks."""
    return canonicalize_url(url) or url


def required_url(adapter: ItemAdapter) -> str:
    """The URL an article's state is recorded under; an item without one cannot be recorded."""
    url = adapter.get("url")
    if not url:
        raise ValueError(f"an article state needs a url: {dict(adapter)!r:.200}")
    return str(url)
