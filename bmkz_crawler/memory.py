"""What a crawl remembers of the site between runs, beside its articles: the crawl's plan.

Kept in the state store's memory (`StateStore.load_memory` / `save_memory`, SQLite and Redis
alike) as JSON, and written only together with the export marks, after the feeds are durably
stored (ExportMarkerPipeline): a run killed with -9 leaves the memory of the run before, so no
validator it learned can hide its unexported articles behind a `304`.

- discovery: the editions' homes, their feeds, the section archives (with when each was last
  walked), the sitemap indexes robots.txt names and the post sitemaps with their `lastmod`;
- validators (`ETag`, `Last-Modified`) of feeds and sitemaps, for conditional requests;
- the time of the last sweep (a full discovery: home pages, menus, archives);
- recent articles with their publication time and when they were last fetched, for re-checks
  at a few ages after publication (`BMKZ_RECHECK_HOURS`).
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from typing import Any

from bmkz_crawler.processors import parse_instant

KEYS = ("discovery", "validators", "sweep", "recent")


@dataclass
class Validator:
    etag: str | None = None
    last_modified: str | None = None


@dataclass
class Section:
    name: str
    walked_at: str | None = None  # UTC ISO time of the last walk of its archive


@dataclass
class Recent:
    published_at: str
    checked_at: str  # UTC ISO time the page was last fetched


@dataclass
class Discovery:
    editions: dict[str, str] = field(default_factory=dict)  # language -> home URL
    feeds: list[str] = field(default_factory=list)
    sections: dict[str, Section] = field(default_factory=dict)  # archive URL -> section
    sitemap_indexes: list[str] = field(default_factory=list)
    post_sitemaps: dict[str, str | None] = field(default_factory=dict)  # URL -> lastmod in its index

    @property
    def known(self) -> bool:
        """Enough is remembered to plan a run without reading the home pages."""
        return bool(self.editions and (self.feeds or self.sitemap_indexes))


@dataclass
class SiteMemory:
    discovery: Discovery = field(default_factory=Discovery)
    validators: dict[str, Validator] = field(default_factory=dict)
    swept_at: str | None = None
    recent: dict[str, Recent] = field(default_factory=dict)

    @classmethod
    def from_store(cls, values: dict[str, str]) -> SiteMemory:
        """Read what `to_store` wrote; anything unreadable is forgotten (the next run sweeps)."""
        try:
            discovery = json.loads(values.get("discovery") or "{}")
            sections = {url: Section(**data) for url, data in discovery.pop("sections", {}).items()}
            validators = {url: Validator(**data) for url, data in json.loads(values.get("validators") or "{}").items()}
            recent = {url: Recent(**data) for url, data in json.loads(values.get("recent") or "{}").items()}
            swept_at = json.loads(values.get("sweep") or "null")
            return cls(Discovery(**discovery, sections=sections), validators, swept_at, recent)
        except (TypeError, ValueError, AttributeError):
            return cls()

    def to_store(self) -> dict[str, str]:
        discovery = asdict(self.discovery)
        return {
            "discovery": json.dumps(discovery, ensure_ascii=False, sort_keys=True),
            "validators": json.dumps({u: asdict(v) for u, v in self.validators.items()}, sort_keys=True),
            "sweep": json.dumps(self.swept_at),
            "recent": json.dumps({u: asdict(r) for u, r in self.recent.items()}, sort_keys=True),
        }

    def sweep_due(self, now: datetime, every: timedelta) -> bool:
        swept = parse_instant(self.swept_at)
        return swept is None or now - swept >= every

    def prune_recent(self, now: datetime, horizon: timedelta) -> None:
        """Forget articles past the last re-check age: nothing about them is due any more."""
        for url, recent in list(self.recent.items()):
            published = parse_instant(recent.published_at)
            if published is None or now - published > horizon:
                del self.recent[url]


def recheck_due(
    published: datetime | None, last_fetched: datetime | None, now: datetime, ages: tuple[timedelta, ...]
) -> bool:
    """A re-check age after publication has passed since the page was last fetched."""
    if published is None:
        return False
    if last_fetched is None:
        return True
    return any(last_fetched < published + age <= now for age in ages)


def parse_ages(text: Any) -> tuple[timedelta, ...]:
    """`BMKZ_RECHECK_HOURS`: `1,6,24,48` -> ages after publication; raises ValueError when not numbers >= 0."""
    if isinstance(text, (list, tuple)):
        parts = [str(part) for part in text]
    else:
        parts = [part for part in str(text or "").split(",") if part.strip()]
    hours = sorted(float(part) for part in parts)
    if any(hour < 0 for hour in hours):
        raise ValueError("negative age")
    return tuple(timedelta(hours=hour) for hour in hours)
