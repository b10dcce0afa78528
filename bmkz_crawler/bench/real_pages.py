"""The real-pages part of the benchmark: ArticleExtractor and trafilatura on pages nobody here wrote.

The mirror's pages (figure 2) are markup this project chose; a folder of real pages taken from
public extraction test suites (`../shared/real-pages`, see its README) says how the extractor
does on markup it was not written for. The folder holds `*.html.gz` pages and a
`manifest.jsonl` stating, per page, only what the suite itself states (title, published, body,
body snippets, authors, or `is_article: false` on pages that are not articles).

Scoring follows the folder's README:
- recognised: an article page taken for an article; a negative is refused when nothing comes back;
- title: equal after Unicode NFC and whitespace normalisation;
- published: the same instant when the expectation has a time and an offset (to the minute when
  its seconds are :00), else the same calendar day; trafilatura's date is a day, so its figure
  is day-level throughout;
- body: bag-of-words token F1, the better of body and lead + body where the suite keeps a lead
  apart; trafilatura's must-contain / must-not-contain snippets as a separate share;
- authors: set equality, case-folded.
A page not recognised scores 0 on its fields and stays in the denominator.

Nothing of the folder is copied into the project: the pages are read where they lie.

    python -m bmkz_crawler.bench.real_pages ../shared/real-pages [--json FILE] [--details]
"""

from __future__ import annotations

import argparse
import gzip
import json
import re
import sys
import time
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from scrapy.http import HtmlResponse

from bmkz_crawler.bench.extraction import quiet_loggers, token_f1
from bmkz_crawler.extraction import ArticleExtractor

GOAL_BODY_F1 = 0.97
ALLOWED_TITLE_MISSES = 1
ALLOWED_AUTHOR_MISSES = 1
WARM_UP_PAGES = 5
_TOKEN = re.compile(r"\w+")
_SPACE = re.compile(r"\s+")
# Fields whose winning sources are summarised: the ones scored here.
SCORED_FIELDS = ("title", "published_at", "body", "authors")


# --- the folder ----------------------------------------------------------------------------------


@dataclass
class Entry:
    """One manifest line: the page file, where it came from, and what its suite expects."""

    file: str
    url: str
    kind: str
    expected: dict[str, Any]
    body: bytes = b""

    @property
    def is_article(self) -> bool:
        return self.expected.get("is_article", True) is not False


def load_folder(directory: Path) -> list[Entry]:
    """Every page of the manifest, gunzipped into memory (so timing measures extraction only)."""
    entries = []
    for line in (directory / "manifest.jsonl").read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        record = json.loads(line)
        # A page without its original URL still needs an absolute one for urljoin and the like;
        # `.invalid` can never resolve, so nothing is fetched or mistaken for a real site.
        url = record.get("url") or f"https://real-pages.invalid/{record['file']}"
        entry = Entry(record["file"], url, record.get("kind", ""), record.get("expected") or {})
        entry.body = gzip.decompress((directory / record["file"]).read_bytes())
        entries.append(entry)
    return entries


def response_for(entry: Entry) -> HtmlResponse:
    # No `encoding=`: Scrapy then decodes as the page declares (HTTP headers are absent, so the
    # BOM or <meta charset>), which is what a crawl of the real site would do.
    return HtmlResponse(url=entry.url, body=entry.body)


# --- the two extractors --------------------------------------------------------------------------


class DictStats:
    """The part of Scrapy's StatsCollector the extractor calls, backed by a dict."""

    def __init__(self) -> None:
        self._stats: dict[str, Any] = {}

    def inc_value(self, key: str, count: int = 1, start: int = 0) -> None:
        self._stats[key] = self._stats.get(key, start) + count

    def get_value(self, key: str, default: Any = None) -> Any:
        return self._stats.get(key, default)

    def set_value(self, key: str, value: Any) -> None:
        self._stats[key] = value

    def max_value(self, key: str, value: Any) -> None:
        self._stats[key] = max(self._stats.get(key, value), value)

    def min_value(self, key: str, value: Any) -> None:
        self._stats[key] = min(self._stats.get(key, value), value)

    def get_stats(self) -> dict[str, Any]:
        return self._stats


@dataclass
class Extracted:
    """What one extractor returned for one page, in the fields scored here."""

    recognised: bool
    title: str | None = None
    published: str | None = None
    body: str | None = None
    authors: list[str] = field(default_factory=list)
    error: str | None = None


def run_ours(entry: Entry, extractor: ArticleExtractor) -> Extracted:
    try:
        article = extractor.extract(response_for(entry))
    except Exception as error:
        # One broken page must not hide the others: a crash is a page not delivered, and the
        # details say why rather than the whole run stopping.
        return Extracted(False, error=f"{type(error).__name__}: {error}")
    if article is None:
        return Extracted(False)
    return Extracted(True, article.title, article.published_at, article.body, list(article.authors or []))


def run_trafilatura(entry: Entry) -> Extracted:
    from trafilatura import bare_extraction

    # The same decoded text ours parses: trafilatura guesses encodings on bytes on its own, and
    # the comparison should be of extraction, not of charset detection.
    text = response_for(entry).text
    document = bare_extraction(text, url=entry.url, with_metadata=True)
    if document is None:
        return Extracted(False)
    data = document.as_dict() if hasattr(document, "as_dict") else dict(document)
    # trafilatura gives authors as one string, "A; B".
    authors = [name.strip() for name in (data.get("author") or "").split(";") if name.strip()]
    return Extracted(True, data.get("title"), data.get("date"), data.get("text"), authors)


def timed(
    entries: list[Entry], extract: Callable[[Entry], Extracted], warm_up: Callable[[Entry], Extracted] | None = None
) -> tuple[float, list[Extracted]]:
    """Milliseconds per page over the whole folder, after a short warm-up, and every result."""
    for entry in entries[:WARM_UP_PAGES]:
        (warm_up or extract)(entry)  # first calls import lazily and fill caches: not the steady state
    started = time.perf_counter()
    results = [extract(entry) for entry in entries]
    return (time.perf_counter() - started) / max(1, len(entries)) * 1000, results


# --- scoring helpers -----------------------------------------------------------------------------


def normalise(text: str | None) -> str:
    """NFC, every run of whitespace one space, no space at the ends."""
    return _SPACE.sub(" ", unicodedata.normalize("NFC", text or "")).strip()


def title_ok(got: str | None, expected: str) -> bool:
    return got is not None and normalise(got) == normalise(expected)


def expected_precision(expected: str) -> str:
    """`second`, `minute` or `day`: how precisely the expectation states the publication."""
    when = datetime.fromisoformat(expected)
    has_time = len(expected.strip()) > 10
    if not has_time or when.tzinfo is None:
        # Without an offset a time names no instant; Fundus writes `00:00:00` for "that day".
        return "day"
    return "minute" if when.second == 0 and when.microsecond == 0 else "second"


def _parse(value: str) -> datetime | None:
    try:
        return datetime.fromisoformat(value.strip())
    except ValueError:
        return None


def date_ok(got: str | None, expected: str, *, day_only: bool = False) -> bool:
    """The README's rule; `day_only` for an extractor that gives a day (trafilatura)."""
    if not got:
        return False
    found = _parse(got)
    if found is None:
        return False
    want = datetime.fromisoformat(expected)
    precision = "day" if day_only else expected_precision(expected)
    if precision == "day":
        # Each side's calendar day as it writes it: ours converts to Almaty time, so a post from
        # late evening in Europe is the next day here; the details show both values when so.
        return found.date() == want.date()
    if found.tzinfo is None or (len(got.strip()) <= 10):
        return False  # a day or a zone-less time cannot be the same instant
    if precision == "minute":
        found = found.replace(second=0, microsecond=0)
    return found == want


def body_f1(got: str | None, body: str, summary: str | None = None) -> float:
    """Token F1 against the body, or against lead + body when that is better (Fundus's lead)."""
    score = token_f1(got, body)
    if summary:
        score = max(score, token_f1(got, summary + "\n\n" + body))
    return score


def snippet_counts(got: str | None, snippets: list[str], *, present: bool) -> int:
    """How many snippets are in (`present`) or absent from (not `present`) the extracted body."""
    text = normalise(got)
    return sum((normalise(snippet) in text) == present for snippet in snippets)


def authors_ok(got: list[str], expected: list[str]) -> bool:
    return {normalise(name).casefold() for name in got} == {normalise(name).casefold() for name in expected}


# --- the figure ----------------------------------------------------------------------------------


def _short(value: Any, limit: int = 100) -> Any:
    """A value for the details: long text cut, so a miss is readable without quoting a page."""
    if isinstance(value, str) and len(value) > limit:
        return value[:limit] + "…"
    return value


def score(entries: list[Entry], results: list[Extracted], *, day_only: bool) -> tuple[dict[str, Any], list[dict]]:
    """The counts of one extractor over the folder, and one detail record per page."""
    counts = {
        name: {"count": 0, "of": 0}
        for name in ("recognised", "negatives_refused", "title", "published", "authors", "snippets_with",
                     "snippets_without")
    }  # fmt: skip
    f1s: list[float] = []
    details = []
    for entry, got in zip(entries, results, strict=True):
        want = entry.expected
        detail: dict[str, Any] = {"file": entry.file, "kind": entry.kind, "recognised": got.recognised}
        misses: dict[str, Any] = {}
        if got.error:
            detail["error"] = got.error
        if not entry.is_article:
            counts["negatives_refused"]["of"] += 1
            counts["negatives_refused"]["count"] += not got.recognised
            detail["negative"] = True
            if got.recognised:
                misses["is_article"] = {"got": True, "expected": False, "title": _short(got.title)}
            details.append(detail | {"misses": misses})
            continue
        counts["recognised"]["of"] += 1
        counts["recognised"]["count"] += got.recognised
        if not got.recognised:
            misses["recognised"] = {"got": False, "expected": True}
        if "title" in want:
            ok = got.recognised and title_ok(got.title, want["title"])
            counts["title"]["of"] += 1
            counts["title"]["count"] += ok
            detail["title_ok"] = ok
            if not ok and got.recognised:
                misses["title"] = {"got": got.title, "expected": want["title"]}
        if "published" in want:
            ok = got.recognised and date_ok(got.published, want["published"], day_only=day_only)
            counts["published"]["of"] += 1
            counts["published"]["count"] += ok
            detail["date_ok"] = ok
            if not ok and got.recognised:
                precision = "day" if day_only else expected_precision(want["published"])
                misses["published"] = {"got": got.published, "expected": want["published"], "rule": precision}
                found = _parse(got.published or "")
                if precision == "day" and found is not None and found.tzinfo is not None:
                    # Not counted as right (the page's own zone is unknown), but worth knowing:
                    # a day miss that is only the conversion to another zone looks like this.
                    utc_day = found.astimezone(UTC).date()
                    if utc_day == datetime.fromisoformat(want["published"]).date():
                        misses["published"]["note"] = "same day in UTC; another day in the zone we give"
        if "body" in want:
            f1 = body_f1(got.body, want["body"], want.get("body_summary")) if got.recognised else 0.0
            f1s.append(f1)
            detail["f1"] = round(f1, 4)
            if f1 < GOAL_BODY_F1 and got.recognised:
                misses["body"] = {
                    "f1": round(f1, 4),
                    "got_tokens": len(_TOKEN.findall(got.body or "")),
                    "expected_tokens": len(_TOKEN.findall(want["body"])),
                    "got_start": _short(got.body, 80),
                }
        for key, present in (("body_with", True), ("body_without", False)):
            if key in want:
                snippets = want[key]
                found = snippet_counts(got.body, snippets, present=present) if got.recognised else 0
                counts[f"snippets_{key[5:]}"]["of"] += len(snippets)
                counts[f"snippets_{key[5:]}"]["count"] += found
                detail[f"snippets_{key[5:]}"] = f"{found}/{len(snippets)}"
                if found < len(snippets) and got.recognised:
                    misses[key] = f"{found}/{len(snippets)}"
        if "authors" in want:
            ok = got.recognised and authors_ok(got.authors, want["authors"])
            counts["authors"]["of"] += 1
            counts["authors"]["count"] += ok
            detail["authors_ok"] = ok
            if not ok and got.recognised:
                misses["authors"] = {"got": got.authors, "expected": want["authors"]}
        details.append(detail | {"misses": misses})
    figures: dict[str, Any] = {
        name: c | {"share": round(c["count"] / c["of"], 4) if c["of"] else None} for name, c in counts.items()
    }
    figures["body_f1"] = {"mean": round(sum(f1s) / len(f1s), 4) if f1s else None, "pages": len(f1s)}
    return figures, details


def sources_summary(stats: dict[str, Any]) -> tuple[dict[str, dict[str, int]], dict[str, int]]:
    """`article/<field>/<source>` counts grouped per field, and the other stats as they are."""
    sources: dict[str, dict[str, int]] = {}
    counters: dict[str, int] = {}
    for key, value in sorted(stats.items()):
        parts = key.split("/")
        # Only counts: the extractor also keeps an example URL per weak source (`..._example`).
        if len(parts) == 3 and parts[0] == "article" and isinstance(value, int):
            sources.setdefault(parts[1], {})[parts[2]] = value
        else:
            counters[key] = value
    return sources, counters


def goals(ours: dict[str, Any], theirs: dict[str, Any]) -> dict[str, bool]:
    """The issue's goals, relative to the folder's denominators so another folder works too."""

    def misses(name: str) -> int:
        return ours[name]["of"] - ours[name]["count"]

    ours_f1, theirs_f1 = ours["body_f1"]["mean"], theirs["body_f1"]["mean"]
    return {
        "all_articles_recognised": misses("recognised") == 0,
        "title_misses_at_most_1": misses("title") <= ALLOWED_TITLE_MISSES,
        "date_all_right": misses("published") == 0,
        "body_f1": ours_f1 is None or (ours_f1 >= GOAL_BODY_F1 and ours_f1 >= (theirs_f1 or 0.0)),
        "author_misses_at_most_1": misses("authors") <= ALLOWED_AUTHOR_MISSES,
        "all_non_articles_refused": misses("negatives_refused") == 0,
    }


def real_pages_figure(directory: Path) -> dict[str, Any]:
    """Both extractors over the folder: counts, mean F1, timing, winning sources and per-page detail."""
    entries = load_folder(directory)
    stats = DictStats()
    # The extractor warns about every required field it finds only weakly or not at all; on
    # foreign sites that is most pages, and the counts are in the stats anyway.
    with quiet_loggers("bmkz_crawler", "trafilatura", "htmldate", "courlan", "justext"):
        warm = ArticleExtractor(DictStats())  # warm-up pages are not counted in the sources
        extractor = ArticleExtractor(stats)
        ours_ms, ours_results = timed(
            entries, lambda entry: run_ours(entry, extractor), lambda entry: run_ours(entry, warm)
        )
        theirs_ms, theirs_results = timed(entries, run_trafilatura)
    ours, ours_details = score(entries, ours_results, day_only=False)
    theirs, theirs_details = score(entries, theirs_results, day_only=True)
    ours["ms_per_page"] = round(ours_ms, 3)
    theirs["ms_per_page"] = round(theirs_ms, 3)
    sources, counters = sources_summary(stats.get_stats())
    details = [
        mine | {"trafilatura": {k: v for k, v in other.items() if k not in ("file", "kind")}}
        for mine, other in zip(ours_details, theirs_details, strict=True)
    ]
    return {
        "directory": str(directory),
        "pages": len(entries),
        "articles": sum(entry.is_article for entry in entries),
        "negatives": sum(not entry.is_article for entry in entries),
        "ours": ours,
        "trafilatura": theirs,
        "goals": goals(ours, theirs),
        "goal_body_f1": GOAL_BODY_F1,
        "sources": sources,
        "counters": counters,
        "details": details,
    }


# --- output --------------------------------------------------------------------------------------


def _fraction(figure: dict[str, Any]) -> str:
    if not figure["of"]:
        return "-"
    return f"{figure['count']}/{figure['of']} ({figure['count'] / figure['of']:.1%})"


def real_pages_table(results: dict[str, Any]) -> str:
    """figure | ours | trafilatura | goal | holds, in the style of the main table."""
    mine, theirs, g = results["ours"], results["trafilatura"], results["goals"]
    mark = {True: "yes", False: "NO"}

    def f1(figure: dict[str, Any]) -> str:
        mean = figure["body_f1"]["mean"]
        return "-" if mean is None else f"{mean:.3f}"

    def at_least(name: str, allowed: int) -> str:
        of = mine[name]["of"]
        return f"misses ≤ {allowed} (≥ {max(0, of - allowed)}/{of})"

    rows = [
        ("R articles recognised", _fraction(mine["recognised"]), _fraction(theirs["recognised"]),
         f"all ({mine['recognised']['of']})", mark[g["all_articles_recognised"]]),
        ("R non-articles refused", _fraction(mine["negatives_refused"]), _fraction(theirs["negatives_refused"]),
         f"all ({mine['negatives_refused']['of']})", mark[g["all_non_articles_refused"]]),
        ("R title exact (NFC, whitespace)", _fraction(mine["title"]), _fraction(theirs["title"]),
         at_least("title", ALLOWED_TITLE_MISSES), mark[g["title_misses_at_most_1"]]),
        ("R published (ours instant/day; traf. day only)", _fraction(mine["published"]),
         _fraction(theirs["published"]), f"all ({mine['published']['of']})", mark[g["date_all_right"]]),
        (f"R body token F1, mean of {mine['body_f1']['pages']} pages", f1(mine), f1(theirs),
         f"≥ {GOAL_BODY_F1}, ≥ traf.", mark[g["body_f1"]]),
        ("R body snippets present (traf. suite)", _fraction(mine["snippets_with"]),
         _fraction(theirs["snippets_with"]), "", ""),
        ("R body snippets absent (traf. suite)", _fraction(mine["snippets_without"]),
         _fraction(theirs["snippets_without"]), "", ""),
        ("R authors (set, case-folded)", _fraction(mine["authors"]), _fraction(theirs["authors"]),
         at_least("authors", ALLOWED_AUTHOR_MISSES), mark[g["author_misses_at_most_1"]]),
        (f"R ms/page ({results['pages']} pages)", f"{mine['ms_per_page']:.2f}", f"{theirs['ms_per_page']:.2f}",
         "", ""),
    ]  # fmt: skip
    header = ("figure", "ours", "trafilatura", "goal", "holds")
    widths = [max(len(h), *(len(row[c]) for row in rows)) for c, h in enumerate(header)]
    lines = [" | ".join(h.ljust(w) for h, w in zip(header, widths, strict=True))]
    lines.append("-+-".join("-" * w for w in widths))
    lines += [" | ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)) for row in rows]
    lines.append(
        f"real pages: {results['directory']}: {results['pages']} pages, {results['articles']} articles, "
        f"{results['negatives']} not articles; a page not recognised scores 0 on its fields"
    )
    for name in SCORED_FIELDS:
        won = results["sources"].get(name)
        if won:
            listed = ", ".join(f"{source} {n}" for source, n in sorted(won.items(), key=lambda kv: -kv[1]))
            lines.append(f"ours' {name} from: {listed}")
    return "\n".join(lines)


def details_text(results: dict[str, Any]) -> str:
    """One line per page that misses anything for ours, then what was got against what was expected."""
    lines = []
    for page in results["details"]:
        theirs = page["trafilatura"]
        if not page["misses"] and not page.get("error"):
            continue
        traf = "recognised" if theirs["recognised"] else "not recognised"
        lines.append(f"{page['file']} [{page['kind']}] (trafilatura: {traf}, F1 {theirs.get('f1', '-')})")
        if page.get("error"):
            lines.append(f"    error: {page['error']}")
        for name, miss in page["misses"].items():
            lines.append(f"    {name}: {json.dumps(miss, ensure_ascii=False)}")
    return "\n".join(lines) if lines else "no misses"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bmkz_crawler.bench.real_pages", description=__doc__.split("\n")[0])
    parser.add_argument("directory", type=Path, help="a folder laid out like ../shared/real-pages")
    parser.add_argument("--json", type=Path, help="write the figures and per-page details to this JSON file")
    parser.add_argument("--details", action="store_true", help="list the pages that miss, field by field")
    args = parser.parse_args(argv)
    if not (args.directory / "manifest.jsonl").is_file():
        parser.error(f"{args.directory} has no manifest.jsonl")
    results = real_pages_figure(args.directory)
    print(real_pages_table(results))
    if args.details:
        print()
        print(details_text(results))
    if args.json:
        args.json.write_text(json.dumps(results, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
