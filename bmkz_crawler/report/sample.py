"""A made-up but realistic run history, for the report's tests and for trying the report out.

    python -m bmkz_crawler.report.sample [--days 7] [--every 15] [-o report.html]

Runs every `every_minutes`: most planned runs find nothing new (5 requests, four 304s), some
find an article or two, a daily sweep costs more; optionally the site's markup changes at
`drift_at` (fields then come from generic layers and a monitor fails) and a section goes silent.
"""

from __future__ import annotations

import argparse
import random
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

SECTIONS = {"ru": ("Новости", "Экономика", "Политика", "Общество", "Спорт"), "kk": ("Жаңалықтар", "Қоғам", "Саясат")}
PROFILE_SOURCES = {
    "url": "canonical", "post_id": "body_class", "language": "html_lang", "title": "jsonld", "description": "meta",
    "body": "markup", "published_at": "jsonld", "modified_at": "jsonld", "authors": "markup", "category": "markup",
    "tags": "markup", "image_url": "jsonld", "image_caption": "markup", "dateline": "body", "views": "markup",
    "related_urls": "markup",
}  # fmt: skip
# After the markup change: what the generic layers then give.
DRIFTED_SOURCES = {"body": "main_text", "authors": "generic_byline", "category": "generic_crumbs", "tags": "missing"}


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="seconds")


def sample_run(
    started: datetime, *, rng: random.Random, sweep: bool, drifted: bool, silent_section: str | None
) -> dict[str, Any]:
    """One run record (the format of bmkz_crawler.monitoring.history.run_record)."""
    hour = started.hour + 5  # Almaty: the newsroom publishes by day
    busy = 0.6 if 8 <= hour % 24 <= 21 else 0.1
    new = sum(1 for _ in range(4) if rng.random() < busy / 2)
    updated = 1 if rng.random() < 0.05 else 0
    exported = new + updated
    requests = (34 if sweep else 5) + 2 * exported + (rng.randint(0, 3) if rng.random() < 0.2 else 0)
    not_modified = 0 if sweep else max(4 - exported, 1)
    errors: dict[str, int] = {}
    if rng.random() < 0.04:
        errors["http_503"] = rng.randint(1, 3)
    if rng.random() < 0.01:
        errors["timeout"] = 1
    articles: dict[str, int] = {}
    sections: dict[str, int] = {}
    for _ in range(exported):
        edition = "ru" if rng.random() < 0.7 else "kk"
        choices = [s for s in SECTIONS[edition] if s != silent_section]
        articles[edition] = articles.get(edition, 0) + 1
        section = rng.choice(choices)
        sections[section] = sections.get(section, 0) + 1
    field_sources: dict[str, dict[str, int]] = {}
    for field_name, source in PROFILE_SOURCES.items():
        if exported:
            layer = DRIFTED_SOURCES.get(field_name, source) if drifted else source
            field_sources[field_name] = {layer: exported}
    failed: dict[str, str] = {}
    if drifted and exported:
        failed["Markup drift"] = f"body from a generic layer on 100% of articles ({exported}/{exported})"
    if sum(errors.values()) > 0.1 * requests:
        failed["Error rate"] = f"{sum(errors.values())} errors on {requests} pages, above BMKZ_MAX_ERROR_RATE=0.1"
    duration = (40 if sweep else 3) + rng.random() * 3 + 1.5 * exported
    return {
        "run_id": uuid.UUID(int=rng.getrandbits(128)).hex,
        "spider": "news",
        "started_at": _iso(started),
        "finished_at": _iso(started + timedelta(seconds=duration)),
        "duration_s": round(duration, 3),
        "verdict": "failed" if failed else "ok",
        "finish_reason": "finished",
        "plan": "sweep" if sweep else "planned",
        "failed_monitors": list(failed),
        "failures": [f"{name}: {reason}" for name, reason in failed.items()],
        "requests": requests,
        "pages": requests - sum(errors.values()),
        "not_modified": not_modified,
        "new": new,
        "updated": updated,
        "unchanged": 0,
        "exported": exported,
        "articles": articles,
        "sections": sections,
        "field_sources": field_sources,
        "errors": errors,
        "error_rate": round(sum(errors.values()) / requests, 4),
        "items_invalid": {},
    }


def sample_history(
    *,
    now: datetime,
    days: float = 7,
    every_minutes: int = 15,
    seed: int = 15,
    drift_at: datetime | None = None,
    silent_section: str | None = None,
    gap: tuple[datetime, datetime] | None = None,
) -> list[dict[str, Any]]:
    """Runs every `every_minutes` over the `days` before `now`, oldest first; none inside `gap`."""
    rng = random.Random(seed)
    runs = []
    moment = now - timedelta(days=days)
    last_sweep: datetime | None = None
    while moment < now:
        if gap is None or not gap[0] <= moment < gap[1]:
            sweep = last_sweep is None or moment - last_sweep >= timedelta(hours=24)
            last_sweep = moment if sweep else last_sweep
            drifted = drift_at is not None and moment >= drift_at
            runs.append(sample_run(moment, rng=rng, sweep=sweep, drifted=drifted, silent_section=silent_section))
        moment += timedelta(minutes=every_minutes)
    return runs


def main(argv: list[str] | None = None) -> None:
    from bmkz_crawler.report import write_report

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=float, default=7)
    parser.add_argument("--every", type=int, default=15, help="minutes between runs")
    parser.add_argument("-o", "--output", default="report-sample.html")
    args = parser.parse_args(argv)
    now = datetime.now(UTC).replace(microsecond=0)
    runs = sample_history(now=now, days=args.days, every_minutes=args.every, drift_at=now - timedelta(days=1))
    print(write_report(runs, Path(args.output), days=args.days, now=now))


if __name__ == "__main__":
    main()
