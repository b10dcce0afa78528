"""The monitors: each check on stats and history, and each failure the crawl can meet tripping the
monitor that names it in a real run against the mirror (one crawl per scenario, several monitors)."""

from __future__ import annotations

import json
import sqlite3
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from bmkz_crawler.items import ARTICLE_FIELDS
from bmkz_crawler.mirror.testing import running_mirror
from bmkz_crawler.monitoring.history import run_record
from bmkz_crawler.monitoring.monitors import (
    HISTORY_CHECKS,
    RUN_CHECKS,
    MonitorContext,
    NotJudged,
    check_article_schema,
    check_editions,
    check_error_rate,
    check_field_coverage,
    check_markup_drift,
    check_new_articles,
    check_sections,
    judge,
)
from bmkz_crawler.state.sqlite import SQLiteStateStore
from tests.crawl import run_crawl

NOW = datetime(2026, 11, 7, 12, 0, tzinfo=UTC)
GOOD = {
    "finish_reason": "finished",
    "response_received_count": 100,
    "item_scraped_count": 10,
    "bmkz/new": 10,
    "article/extracted": 10,
    "spidermon/validation/items": 10,
    "bmkz/coverage/articles": 40,
    **{f"bmkz/coverage/{name}": 40 for name in ARTICLE_FIELDS},
}


def context(history: list[dict[str, Any]] | None = None, **stats: Any) -> MonitorContext:
    return MonitorContext({**GOOD, **stats}, history=history or [], now=NOW)


def past_run(hours_ago: float, *, plan: str = "sweep", **values: Any) -> dict[str, Any]:
    started = NOW - timedelta(hours=hours_ago)
    stats = {"start_time": started, "finish_time": started + timedelta(minutes=1)}
    return {**run_record(stats, spider="news", verdict="ok", failed={}), "plan": plan, **values}


# --- checks on one run's stats ---------------------------------------------------------------------


def test_a_good_run_passes_every_monitor_with_a_human_name() -> None:
    verdict = judge(context())
    assert verdict.ok and verdict.passed == [*RUN_CHECKS, "New articles"]  # new articles need no history
    assert all(name[0].isupper() and "_" not in name for name in [*RUN_CHECKS, *HISTORY_CHECKS])


def test_a_run_with_nothing_to_judge_neither_passes_nor_fails_those_monitors() -> None:
    """A planned run of 304s only must not make a failing monitor "recovered" (and the next run
    with articles "failing" again): with nothing to judge, a monitor is skipped."""
    quiet = judge(context(**{"item_scraped_count": 0, "bmkz/new": 0, "article/extracted": 0,
                             "spidermon/validation/items": 0, "bmkz/coverage/articles": 0}))  # fmt: skip
    judged = set(quiet.passed) | set(quiet.failed)
    assert not judged & {"Field coverage", "Markup drift", "Article schema", "New articles"}
    outage = judge(context(response_received_count=0, **{"bmkz/errors/http/503": 0}))
    assert "Pages fetched" in outage.failed and not {"Error rate", "Articles found"} & set(outage.passed)


def test_a_304_is_a_success_not_an_error() -> None:
    assert check_error_rate(context(**{"bmkz/conditional/not_modified": 90, "bmkz/errors/http/503": 9})) is None
    failed = judge(context(item_scraped_count=0, **{"bmkz/new": 0, "bmkz/conditional/not_modified": 5}))
    assert "Articles found" not in failed.failed


def test_schema_errors_are_reported_per_field() -> None:
    stats = {
        "spidermon/validation/items": 50,
        "spidermon/validation/items/errors": 3,
        "spidermon/validation/fields/errors/regex_not_matched/published_at": 2,
        "spidermon/validation/fields/errors/value_not_in_choices/language": 1,
    }
    assert check_article_schema(context(**stats)) == "3 of 50 articles break the contract (published_at 2, language 1)"


def test_field_coverage_requires_every_required_field_and_the_optional_thresholds() -> None:
    full = {f"bmkz/coverage/{name}": 40 for name in ARTICLE_FIELDS}
    assert check_field_coverage(context(**{"bmkz/coverage/articles": 40, **full})) is None
    thin = {**full, "bmkz/coverage/title": 39, "bmkz/coverage/tags": 2}
    assert check_field_coverage(context(**{"bmkz/coverage/articles": 40, **thin})) == (
        "of 40 articles: title 98% (required), tags 5% (expected 30%)"
    )
    few = {**full, "bmkz/coverage/tags": 0}  # optional fields are judged from 30 articles on
    with pytest.raises(NotJudged):
        check_field_coverage(context(**{"bmkz/coverage/articles": 5, **few}))
    assert check_field_coverage(context(**{"bmkz/coverage/articles": 5, **few, "bmkz/coverage/title": 4})) == (
        "of 5 articles: title 80% (required)"
    )


def test_markup_drift_reuses_the_generic_layer_share() -> None:
    stats = {"article/extracted": 40, "article/title/generic_h1": 30, "article/title/generic_example": "https://x/1"}
    assert check_markup_drift(context(**stats)) == "title from a generic layer on 75% (30/40), e.g. https://x/1"
    assert check_markup_drift(context(**{"article/extracted": 40, "article/title/generic_h1": 10})) is None


def test_every_item_is_checked_against_the_schema_and_errors_are_counted_per_field() -> None:
    from scrapy.utils.test import get_crawler

    from bmkz_crawler.items import Article
    from bmkz_crawler.monitoring.schema import ArticleSchemaPipeline

    crawler = get_crawler(settings_dict={"SPIDERMON_ENABLED": True})
    pipeline = ArticleSchemaPipeline.from_crawler(crawler)
    good = Article(
        url="https://bm.kz/ru/news/x/", language="ru", title="Заголовок", body="Текст.", word_count=1,
        published_at="2025-11-07T10:15:00+05:00", content_hash="a" * 64, crawled_at="2025-11-07T05:20:00+00:00",
        tags=["Казахстан"],
    )  # fmt: skip
    bad = Article(**{**vars(good), "language": "en", "published_at": "вчера", "tags": ["a", "a"]})
    assert pipeline.process_item(good) is good and pipeline.process_item(bad) is bad
    assert vars(bad)["language"] == "en" and "_validation" not in vars(bad)  # items are never changed
    stats = crawler.stats.get_stats()
    assert stats["spidermon/validation/items"] == 2 and stats["spidermon/validation/items/errors"] == 1
    assert stats["spidermon/validation/fields/errors/value_not_in_choices/language"] == 1
    assert stats["spidermon/validation/fields/errors/regex_not_matched/published_at"] == 1
    assert check_article_schema(context(**stats)).startswith("1 of 2 articles break the contract (")


# --- checks across runs ------------------------------------------------------------------------------


def test_no_new_article_for_hours_fails_and_a_recent_one_passes() -> None:
    quiet = {"bmkz/new": 0}
    assert check_new_articles(context([past_run(9, new=4), past_run(3, new=0)], **quiet)) == (
        f"no new article for 9.0 hours (last in the run that ended {past_run(9)['finished_at']})"
    )
    assert check_new_articles(context([past_run(9, new=4), past_run(3, new=1)], **quiet)) is None
    assert check_new_articles(context([past_run(3, new=0)], **quiet)) is None  # too little history to tell
    assert check_new_articles(context([past_run(8, new=0)], **quiet)).startswith("no new article in 2 runs")
    assert check_new_articles(context([past_run(9, new=4)])) is None  # this run has new ones


def sweeps(*hours_ago: float, **values: Any) -> list[dict[str, Any]]:
    return [past_run(hours, **values) for hours in hours_ago]


def test_a_section_silent_on_a_sweep_fails_when_its_usual_sweep_finds_articles() -> None:
    history = [
        past_run(96, sections={"Спорт": 900, "Культура": 300}),  # the first sweep: the back catalogue
        *sweeps(72, 48, 24, sections={"Спорт": 20, "Культура": 2}),
    ]
    now_stats = {"bmkz/exported/section/Культура": 0}
    assert check_sections(context(history, **now_stats)) == "1 sections silent on this sweep: Спорт (0, expected 20)"
    assert check_sections(context(history, **{"bmkz/exported/section/Спорт": 1})) is None
    with pytest.raises(NotJudged):
        check_sections(context(history, **{"bmkz/plan": "planned"}))  # only sweeps walk sections
    with pytest.raises(NotJudged):
        check_sections(context(history[-2:]))  # two sweeps are too few to know a section's usual count
    # articles exported by planned runs since the last sweep count as the section's
    planned = [*history, past_run(6, plan="planned", sections={"Спорт": 3})]
    assert check_sections(context(planned)) is None


def test_sweep_only_monitors_are_not_judged_on_a_planned_run() -> None:
    """Neither passed nor failed on a planned run, so an alert raised on a sweep stays raised
    until a sweep judges again (no "recovered" from the next planned run, no flapping)."""
    history = sweeps(72, 48, 24, sections={"Спорт": 20})
    assert "Sections" in judge(context(history)).failed
    planned = judge(context(history, **{"bmkz/plan": "planned"}))
    assert "Sections" not in planned.failed and "Sections" not in planned.passed
    assert "Editions" not in planned.passed and "Finish reason" in planned.passed


def test_an_edition_silent_on_a_sweep_fails() -> None:
    history = sweeps(72, 48, 24, articles={"ru": 60, "kk": 30})
    assert check_editions(context(history, **{"bmkz/exported/edition/ru": 12})) == (
        "no article on this sweep from edition kk (0, expected 30)"
    )


# --- real runs against the mirror --------------------------------------------------------------------


def runs_in(state: Path) -> list[dict[str, Any]]:
    connection = sqlite3.connect(state)
    try:
        return [json.loads(row[0]) for row in connection.execute("SELECT record FROM runs ORDER BY started_at")]
    finally:
        connection.close()


def test_dead_section_missing_edition_and_failed_feed_store_fail_cron_each_by_name(tmp_path: Path) -> None:
    """A sweep 24 h ago exported a section and an edition this site no longer has; a feed goes to
    /dev/full. scrapy cron exits 1 and names each failed monitor on a line of its own."""
    state = tmp_path / "run" / "state.sqlite3"
    state.parent.mkdir()
    store = SQLiteStateStore(state)
    store.open()
    for days in (3, 2, 1):  # three daily sweeps exported a section and an edition every day
        then = datetime.now(UTC) - timedelta(days=days)
        earlier = run_record({"start_time": then, "finish_time": then}, spider="news", verdict="ok", failed={})
        store.record_run({**earlier, "new": 50, "articles": {"ru": 40, "en": 30}, "sections": {"Спорт": 40}})
    store.close()
    feeds = {str(tmp_path / "run" / "ok.jsonl"): {"format": "jsonlines"}, "/dev/full": {"format": "jsonlines"}}
    with running_mirror(tmp_path / "mirror", articles=60, seed=3) as mirror:
        result = run_crawl(
            mirror.base_url, tmp_path / "run", command="cron", output=None, settings={"FEEDS": json.dumps(feeds)}
        )
    assert result.returncode == 1, result.log[-3000:]
    failed = [line for line in result.log.splitlines() if line.startswith("  FAILED  ")]
    assert failed == [
        "  FAILED  Feeds stored: 1 feeds failed to store (nothing marked exported)",
        "  FAILED  Editions: no article on this sweep from edition en (0, expected 30)",
        "  FAILED  Sections: 1 sections silent on this sweep: Спорт (0, expected 40)",
    ]
    assert "  result          FAILED: 1 feeds failed to store" in result.log
    runs = runs_in(state)
    assert len(runs) == 4 and runs[3]["verdict"] == "failed"
    assert runs[3]["failed_monitors"] == ["Feeds stored", "Editions", "Sections"]
    assert runs[3]["articles"]["ru"] > 0 and runs[3]["new"] == 60 and runs[3]["exported"] == 0


def test_unknown_markup_and_an_error_storm_trip_their_monitors_and_crawl_exits_as_before(tmp_path: Path) -> None:
    """The profile does not know the newsroom theme (fields from generic layers), and a third of
    the pages fail with retries off: `scrapy crawl` still exits 0, the history says why it failed."""
    with running_mirror(
        tmp_path / "mirror", articles=60, seed=3, theme="newsroom", faults=True,
        extra_args=["--transient-rate", "0.3", "--slow-rate", "0", "--missing-rate", "0"],
    ) as mirror:  # fmt: skip
        result = run_crawl(mirror.base_url, tmp_path / "run", settings={"RETRY_ENABLED": "False"})
    assert result.returncode == 0, result.log[-3000:]
    (run,) = runs_in(tmp_path / "run" / "state.sqlite3")
    assert run["verdict"] == "failed"
    assert {"Markup drift", "Error rate"} <= set(run["failed_monitors"]), run["failures"]
    drift = next(line for line in run["failures"] if line.startswith("Markup drift: "))
    assert "no site profile matched 100% of articles" in drift
    assert any(line.startswith("Error rate: ") and "above BMKZ_MAX_ERROR_RATE=0.1" in line for line in run["failures"])
    assert run["errors"] and "generic" in run["field_sources"]["body"]
    assert "Spider.log() is deprecated" not in result.log


def test_a_run_with_nothing_new_after_hours_trips_new_articles(tmp_path: Path) -> None:
    """Two cron runs on an unchanged site: the second exports nothing, and with the limit at one
    second the last new article is too long ago."""
    settings = {"BMKZ_MONITOR_NO_NEW_HOURS": str(1 / 3600)}
    with running_mirror(tmp_path / "mirror", articles=30, seed=5) as mirror:
        first = run_crawl(mirror.base_url, tmp_path / "run", command="cron", settings=settings)
        time.sleep(1.2)
        second = run_crawl(mirror.base_url, tmp_path / "run", command="cron", settings=settings)
    assert first.returncode == 0, first.log[-3000:]
    assert second.returncode == 1, second.log[-3000:]
    failed = [line for line in second.log.splitlines() if line.startswith("  FAILED  ")]
    assert len(failed) == 1 and failed[0].startswith("  FAILED  New articles: no new article for ")
    first_run, second_run = runs_in(tmp_path / "run" / "state.sqlite3")
    assert first_run["verdict"] == "ok" and first_run["new"] == 30
    assert second_run["failed_monitors"] == ["New articles"] and second_run["new"] == 0
