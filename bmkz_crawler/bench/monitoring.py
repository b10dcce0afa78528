"""Figure M: what monitoring costs — the same mirror crawl with spidermon off and on.

`python -m bmkz_crawler.bench --only monitoring [--quick]`: one mirror of 2,500 articles (300
with --quick), crawled alternately with `SPIDERMON_ENABLED=False` (no schema validation, field
coverage, monitors, verdict or history) and `True`, `ROUNDS` times each on a fresh state, in one
process run. The figure is the ratio of the median CPU seconds the crawl process used (goal: at
most 1.06): the crawl is CPU-bound on loopback, and CPU time hardly moves when other work shares
the machine, where its wall time moved by a quarter between identical runs. Wall times are shown
too. The Article schema's validation alone is also timed per item, on the mirror's own articles.
"""

from __future__ import annotations

import json
import resource
import statistics
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bmkz_crawler.bench.crawls import CrawlRun, _run, project_feeds
from bmkz_crawler.mirror.testing import running_mirror

GOAL_MONITORING_RATIO = 1.06
GOAL_VALIDATION_MS = 0.2
ROUNDS = 3


@dataclass
class MeasuredCrawl:
    run: CrawlRun
    cpu_seconds: float  # user + system time of the crawl process


def crawl(base_url: str, workdir: Path, *, monitoring: bool) -> MeasuredCrawl:
    """`scrapy crawl news` as the bench's crawl figure runs it, with spidermon on or off."""
    settings = {
        "BMKZ_BASE_URL": base_url,
        "BMKZ_STATE_URI": str(workdir / "state.sqlite3"),
        "BMKZ_LOCK_FILE": str(workdir / "crawl.lock"),
        "FEEDS": json.dumps(project_feeds(workdir)),
        "SPIDERMON_ENABLED": str(monitoring),
    }
    before = resource.getrusage(resource.RUSAGE_CHILDREN)  # the crawl is the only child waited for
    run = _run(["crawl", "news"], workdir, settings, timeout=900)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return MeasuredCrawl(run, cpu)


def validation_ms_per_item(items: list[dict[str, Any]], repeat: int = 3) -> float:
    """Milliseconds ArticleSchemaPipeline takes per article (best of `repeat`)."""
    from scrapy.utils.test import get_crawler

    from bmkz_crawler.items import ARTICLE_FIELDS, Article
    from bmkz_crawler.monitoring.schema import ArticleSchemaPipeline

    pipeline = ArticleSchemaPipeline.from_crawler(get_crawler(settings_dict={"SPIDERMON_ENABLED": True}))
    fetched = {"crawled_at": "2026-11-07T06:00:00+00:00", "change": "new"}  # the truth has no crawl time
    contract = [{name: item[name] for name in ARTICLE_FIELDS if name in item} for item in items]
    articles = [Article(**{**values, **fetched}) for values in contract]
    best = float("inf")
    for _ in range(repeat):
        started = time.perf_counter()
        for article in articles:
            pipeline.process_item(article)
        best = min(best, (time.perf_counter() - started) / max(len(articles), 1))
    return best * 1000


def monitoring_figure(workdir: Path, articles: int, seed: int = 1, log: Any = print) -> dict[str, Any]:
    with running_mirror(workdir / "mirror-monitoring", articles=articles, seed=seed) as mirror:
        truth = mirror.truth()
        runs: dict[bool, list[MeasuredCrawl]] = {False: [], True: []}
        for round_number in range(ROUNDS):
            for monitoring in (False, True):  # alternated, so a slower minute hits both alike
                label = "on" if monitoring else "off"
                measured = crawl(mirror.base_url, workdir / f"monitoring-{label}-{round_number}", monitoring=monitoring)
                run = measured.run
                log(
                    f"  monitoring {label}: {measured.cpu_seconds:.1f} s CPU, {run.crawl_seconds:.1f} s crawl,"
                    f" {run.stat('item_scraped_count')} articles"
                )
                runs[monitoring].append(measured)
    off = statistics.median(measured.cpu_seconds for measured in runs[False])
    on = statistics.median(measured.cpu_seconds for measured in runs[True])
    return {
        "articles": runs[True][0].run.stat("item_scraped_count"),
        "rounds": ROUNDS,
        "off_cpu_seconds": round(off, 2),
        "on_cpu_seconds": round(on, 2),
        "ratio": round(on / off, 3),
        "off_crawl_seconds": round(statistics.median(m.run.crawl_seconds for m in runs[False]), 2),
        "on_crawl_seconds": round(statistics.median(m.run.crawl_seconds for m in runs[True]), 2),
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
            f"M crawl of {figure['articles']} articles, CPU with monitoring off / on",
            f"{figure['off_cpu_seconds']:.1f} s / {figure['on_cpu_seconds']:.1f} s = {figure['ratio']:.3f}",
            f"<= {figure['goal_ratio']}",
            ratio_ok,
        ),
        (
            "M crawl time (spider open to close), off / on",
            f"{figure['off_crawl_seconds']:.1f} s / {figure['on_crawl_seconds']:.1f} s",
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
