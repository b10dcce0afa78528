"""The news spider's `-a` arguments: parsed and checked once, with one-line error messages."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, ClassVar
from urllib.parse import unquote, urlsplit

from bmkz_crawler.processors import day_end, normalize_text, parse_cli_date

LANGUAGES = ("ru", "kk", "all")
SOURCES = ("menu", "sitemap", "feed")
MODES = ("incremental", "full")


@dataclass(frozen=True)
class CrawlArguments:
    lang: str = "all"
    sections: frozenset[str] = field(default_factory=frozenset)
    since: datetime | None = None
    until: datetime | None = None
    sources: frozenset[str] = frozenset(SOURCES)
    max_articles: int | None = None
    mode: str = "incremental"

    NAMES: ClassVar[frozenset[str]] = frozenset(
        {"lang", "sections", "since", "until", "sources", "max_articles", "mode"}
    )

    @classmethod
    def parse(cls, raw: dict[str, Any]) -> CrawlArguments:
        """Check every argument; raise ValueError naming the argument and what it accepts.

        An unknown name is refused (a typo such as `max_article=5` would otherwise crawl the
        whole site); names starting with `_` pass, since scrapyd adds `_job` and `_version`.
        """
        unknown_names = sorted(name for name in raw if name not in cls.NAMES and not str(name).startswith("_"))
        if unknown_names:
            raise ValueError(
                f"unknown argument {', '.join(unknown_names)}: accepted are {', '.join(sorted(cls.NAMES))}"
            )
        lang = str(raw.get("lang", "all")).strip().lower()
        if lang not in LANGUAGES:
            raise ValueError(f"lang={lang!r} is not accepted: use one of {', '.join(LANGUAGES)}")
        sections = frozenset(s.casefold() for s in _csv(raw.get("sections")))
        sources = frozenset(_csv(raw.get("sources"))) or frozenset(SOURCES)
        unknown = sorted(sources - set(SOURCES))
        if unknown:
            raise ValueError(f"sources={','.join(unknown)} is not accepted: use any of {','.join(SOURCES)}")
        since = _date_argument("since", raw.get("since"))
        until = _date_argument("until", raw.get("until"))
        if until is not None and len(str(raw["until"]).strip()) == 10:
            until = day_end(until)
        if since and until and since > until:
            raise ValueError(f"since={raw['since']} is after until={raw['until']}")
        max_articles = raw.get("max_articles")
        if max_articles is not None:
            try:
                max_articles = int(max_articles)
            except (TypeError, ValueError):
                raise ValueError(
                    f"max_articles={max_articles!r} is not accepted: use a positive whole number"
                ) from None
            if max_articles <= 0:
                raise ValueError(f"max_articles={max_articles} is not accepted: use a positive whole number")
        mode = str(raw.get("mode", "incremental")).strip().lower()
        if mode not in MODES:
            raise ValueError(f"mode={mode!r} is not accepted: use one of {', '.join(MODES)}")
        return cls(lang, sections, since, until, sources, max_articles, mode)

    def wants_language(self, language: str | None) -> bool:
        return self.lang == "all" or language is None or language == self.lang

    def wants_section(self, name: str, url: str) -> bool:
        """A section is chosen by its menu name or the last part of its URL path (its slug)."""
        if not self.sections:
            return True
        slug = unquote(urlsplit(url).path.rstrip("/").rsplit("/", 1)[-1]).casefold()
        return (normalize_text(name) or "").casefold() in self.sections or slug in self.sections

    def in_window(self, published: datetime | None) -> bool:
        if published is None:
            return True
        if self.since and published < self.since:
            return False
        return not (self.until and published > self.until)


def _csv(value: Any) -> list[str]:
    if value is None:
        return []
    return [part.strip() for part in str(value).split(",") if part.strip()]


def _date_argument(name: str, value: Any) -> datetime | None:
    if value is None or str(value).strip() == "":
        return None
    try:
        return parse_cli_date(str(value))
    except ValueError:
        raise ValueError(f"{name}={value!r} is not accepted: use a date YYYY-MM-DD or ISO 8601 date-time") from None
