"""Cron runs that cost what they find: planned runs on remembered discovery, a server without
validators, re-checks at their ages, a due sweep, and validators never saved ahead of the marks."""

from __future__ import annotations

import json
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bmkz_crawler.mirror.testing import running_mirror
from tests.crawl import run_crawl

ARTICLES = 120


def memory(state: Path) -> dict[str, dict]:
    with sqlite3.connect(state) as connection:
        return {key: json.loads(value) for key, value in connection.execute("SELECT key, value FROM memory")}


def set_memory(state: Path, key: str, value: object) -> None:
    with sqlite3.connect(state) as connection:
        connection.execute("UPDATE memory SET value = ? WHERE key = ?", (json.dumps(value), key))


def test_a_server_without_validators_costs_a_few_full_answers_and_nothing_is_exported_twice(tmp_path: Path) -> None:
    with running_mirror(tmp_path / "mirror", articles=ARTICLES, seed=3, validators=False) as mirror:
        first = run_crawl(mirror.base_url, tmp_path / "crawl")
        done = len(mirror.requests())
        second = run_crawl(mirror.base_url, tmp_path / "crawl", output="run2.jsonl")
        logged = mirror.requests()[done:]
    assert first.returncode == second.returncode == 0
    assert len(first.items) == ARTICLES and second.items == []
    assert second.stat("bmkz/plan") == "planned"
    assert {entry.status for entry in logged} == {200}  # no validators: no 304, and still no archive
    paths = sorted(entry.path for entry in logged)
    assert paths == ["/feed/", "/kz/feed/", "/kz/sitemap_index.xml", "/robots.txt", "/sitemap_index.xml"]
    assert second.stat("bmkz/incremental/post_sitemap_unchanged") >= 1  # lastmods in the index did not move


def test_recent_articles_are_rechecked_at_their_ages_and_a_due_sweep_rediscovers(tmp_path: Path) -> None:
    now = datetime.now(UTC).replace(microsecond=0)
    state = tmp_path / "crawl" / "state.sqlite3"
    with running_mirror(tmp_path / "mirror", articles=ARTICLES, seed=3, now=now) as mirror:
        first = run_crawl(mirror.base_url, tmp_path / "crawl")
        recent = memory(state)["recent"]
        assert recent, "articles of the last two days are remembered for their re-checks"
        # Two hours pass for the state: every recent article's 1 h or 6 h... age comes due again.
        set_memory(state, "recent", {url: {**entry, "checked_at": (now - timedelta(days=3)).isoformat()}
                                     for url, entry in recent.items()})  # fmt: skip
        done = len(mirror.requests())
        second = run_crawl(mirror.base_url, tmp_path / "crawl", output="run2.jsonl")
        rechecked = {entry.path for entry in mirror.requests()[done:] if entry.path not in ("/robots.txt",)}
        third = run_crawl(mirror.base_url, tmp_path / "crawl", output="run3.jsonl", settings={"BMKZ_SWEEP_HOURS": "0"})
    assert first.returncode == second.returncode == third.returncode == 0
    assert second.stat("bmkz/incremental/rechecks") == len(recent)
    assert {Path(url.split("://", 1)[1].split("/", 1)[1]).as_posix() for url in recent} <= {
        p.strip("/") for p in rechecked
    }
    assert second.items == []  # re-checked, unchanged: not exported again
    assert third.stat("bmkz/plan") == "sweep" and third.stat("bmkz/menu/theme") >= 1  # home pages read again
    assert third.items == []


def test_a_run_killed_before_its_feeds_are_stored_leaves_no_validator(tmp_path: Path) -> None:
    with running_mirror(tmp_path / "mirror", articles=ARTICLES, seed=3) as mirror:
        first = run_crawl(
            mirror.base_url, tmp_path / "crawl", settings={"FEEDS": "{}"}, output=None
        )  # no feed: nothing is marked, so nothing of the run may be remembered
        assert first.returncode == 0
        assert memory(tmp_path / "crawl" / "state.sqlite3") == {}
        second = run_crawl(mirror.base_url, tmp_path / "crawl")
    assert second.stat("bmkz/plan") == "sweep" and len(second.items) == ARTICLES
