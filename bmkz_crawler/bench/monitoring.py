"""Figure M: what monitoring costs — the same mirror crawl with spidermon off and on.

`python -m bmkz_crawler.bench --only monitoring [--quick]`: one mirror of 2,500 articles (300
with --quick), crawled alternately with `SPIDERMON_ENABLED=False` (no schema validation, field
coverage, monitors, verdict or history) and `True`, `ROUNDS` times each on a fresh state, in one
process run; the figure is the ratio of the median crawl times (goal: at most 1.06). The
Article schema's validation alone is also timed per item, on the mirror's own articles.
"""

from __future__ import annotations

import json
import statistics
import time
from pathlib import Path
from typing import Any

from bmkz_crawler.bench.crawls import CrawlRun, _run, project_feeds
from bmkz_crawler.mirror.testing import running_mirror

GOAL_MONITORING_RATIO = 1.06
GOAL_VALIDATION_MS = 0.2
ROUNDS = 2


def crawl(base_url: str, workdir: Path, *, monitoring: bool) -> CrawlRun:
    """`scrapy crawl news` as the bench's crawl figure runs it, with spidermon on or off."""
    settings = {
        "BMKZ_BASE_URL": base_url,
        "BMKZ_STATE_URI": str(workdir / "state.sqlite3"),
        "BMKZ_LOCK_FILE": str(workdir / "crawl.lock"),
        "FEEDS": json.dumps(project_feeds(workdir)),
        "SPIDERMON_ENABLED": str(monitoring),
    }
    return _run(["crawl", "news"], workdir, settings, timeout=900)


def validation_ms_per_item(items: list[dict[str, Any]], repeat: int = 3) -> float:
    """Milliseconds spidermon's JSONSchemaValidator takes per article (best of `repeat`)."""
    from spidermon.contrib.validation import JSONSchemaValidator

    from bmkz_crawler.monitoring.schema import article_schema

    validator = JSONSchemaValidator(article_schema())
    articles = [{**item, "crawled_at": "2026-11-07T06:00:00+00:00", "change": "new"} for item in items]
    best = float("inf")
    for _ in range(repeat):
        started = time.perf_counter()
        for article in articles:
            validator.validate(article)
        best = min(best, (time.perf_counter() - started) / max(len(articles), 1))
    return best * 1000


def monitoring_figure(workdir: Path, articles: int, seed: int = 1, log: Any = print) -> dict[str, Any]:
    with running_mirror(workdir / "mirror-monitoring", articles=articles, seed=seed) as mirror:
        truth = mirror.truth()
        runs: dict[bool, list[CrawlRun]] = {False: [], True: []}
        for round_number in range(ROUNDS):
            for monitoring in (False, True):  # alternated, so a slower minute hits both alike
                label = "on" if monitoring else "off"
                run = crawl(mirror.base_url, workdir / f"monitoring-{label}-{round_number}", monitoring=monitoring)
                log(f"  monitoring {label}: {run.crawl_seconds:.1f} s, {run.stat('item_scraped_count')} articles")
                runs[monitoring].append(run)
    off = statistics.median(run.crawl_seconds for run in runs[False])
    on = statistics.median(run.crawl_seconds for run in runs[True])
    return {
        "articles": runs[True][0].stat("item_scraped_count"),
        "rounds": ROUNDS,
        "off_seconds": round(off, 2),
        "on_seconds": round(on, 2),
        "ratio": round(on / off, 3),
        "off_wall_seconds": round(statistics.median(run.wall_seconds for run in runs[False]), 2),
        "on_wall_seconds": round(statistics.median(run.wall_seconds for run in runs[True]), 2),
        "validation_ms_per_item": round(validation_ms_per_item(truth), 3),
        "goal_ratio": GOAL_MONITORING_RATIO,
        "goal_validation_ms": GOAL_VALIDATION_MS,
    }


def monitoring_table(figure: dict[str, Any]) -> str:
    ratio_ok = "yes" if figure["ratio"] <= figure["goal_ratio"] else "NO"
    validation_ok = "yes" if figure["validation_ms_per_item"] <= figure["goal_validation_ms"] else "NO"
    rows = [
        ("figure", "measured", "goal", "met"),
        (
            f"M crawl of {figure['articles']} articles, monitoring off / on",
            f"{figure['off_seconds']:.1f} s / {figure['on_seconds']:.1f} s = {figure['ratio']:.3f}",
            f"<= {figure['goal_ratio']}",
            ratio_ok,
        ),
        (
            "M wall time with interpreter start, off / on",
            f"{figure['off_wall_seconds']:.1f} s / {figure['on_wall_seconds']:.1f} s",
            "",
            "",
        ),
        (
            "M Article schema validation per item",
            f"{figure['validation_ms_per_item']:.3f} ms",
            f"<= {figure['goal_validation_ms']} ms",
            validation_ok,
        ),
    ]
    widths = [max(len(row[column]) for row in rows) for column in range(4)]
    return "\n".join("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)) for row in rows)
