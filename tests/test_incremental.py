"""Cron-style crawls against the mirror: nothing twice, nothing lost, as little fetched as possible."""

from __future__ import annotations

import time
from pathlib import Path

from bmkz_crawler.mirror.testing import running_mirror
from bmkz_crawler.state.lock import RunLock
from tests.crawl import kill_when, read_jsonl, run_crawl, start_crawl
from tests.servers import free_port

SECTIONS_PER_EDITION = 8  # the header menu's sections, without "Главная"
EDITIONS = 2


def test_second_run_on_the_same_site_exports_nothing_and_fetches_little(mirror300, tmp_path: Path) -> None:
    first = run_crawl(mirror300.base_url, tmp_path, output="run1.jsonl")
    assert first.returncode == 0, first.log[-3000:]
    assert len(first.items) == len(mirror300.truth())
    assert {item["change"] for item in first.items} == {"new"}

    second = run_crawl(mirror300.base_url, tmp_path, output="run2.jsonl")
    assert second.returncode == 0, second.log[-3000:]
    assert second.items == []
    requests = second.stat("downloader/request_count")
    print(f"second run: {requests} requests, {first.stat('downloader/request_count')} on the first")
    # A planned run: robots.txt, then the remembered feeds and sitemap indexes, each answering
    # 304 Not Modified; no home page, no archive.
    assert second.stat("bmkz/plan") == "planned"
    assert requests <= 6
    assert second.stat("bmkz/conditional/not_modified") == requests - 1
    assert second.stat("downloader/response_status_count/304") == requests - 1


def test_grown_site_exports_exactly_the_new_and_edited_articles(tmp_path: Path) -> None:
    port, n, k = free_port(), 300, 100
    state = tmp_path / "crawl"
    with running_mirror(tmp_path / "small", articles=n, seed=1, extra_args=("--port", str(port))) as small:
        before = {t["url"]: t for t in small.truth()}
        first = run_crawl(small.base_url, state, output="run1.jsonl")
        assert first.returncode == 0, first.log[-3000:]
        assert len(first.items) == n
    with running_mirror(tmp_path / "grown", articles=n + k, seed=1, extra_args=("--port", str(port))) as grown:
        after = {t["url"]: t for t in grown.truth()}
        second = run_crawl(grown.base_url, state, output="run2.jsonl")
    assert second.returncode == 0, second.log[-3000:]

    new = set(after) - set(before)
    edited = {u for u in before if after[u]["content_hash"] != before[u]["content_hash"] or
              after[u]["modified_at"] != before[u]["modified_at"]}  # fmt: skip
    assert len(new) == k and edited, "the grown mirror should add K articles and edit a few"
    exported = {item["url"]: item for item in second.items}
    assert set(exported) == new | edited
    assert all(exported[u]["change"] == "new" for u in new)
    assert all(exported[u]["change"] == "updated" for u in edited)

    requests = second.stat("downloader/request_count")
    budget = k + len(edited) + 2 * SECTIONS_PER_EDITION * EDITIONS + 16
    print(f"grown {n}->{n + k}: {requests} requests for {len(new)} new + {len(edited)} edited articles, "
          f"{requests / len(new):.2f} requests per new article (budget {budget})")  # fmt: skip
    assert requests <= budget


def test_crawl_killed_half_way_loses_nothing(mirror300, tmp_path: Path) -> None:
    feed = tmp_path / "run1.jsonl"
    process = start_crawl(mirror300.base_url, tmp_path, output="run1.jsonl")
    kill_when(process, lambda: feed.exists() and feed.stat().st_size > 200_000)
    assert process.returncode == -9
    partial = {item["url"] for item in read_jsonl_tolerant(feed)}
    assert 0 < len(partial) < len(mirror300.truth())

    rerun = run_crawl(mirror300.base_url, tmp_path, output="run2.jsonl")
    assert rerun.returncode == 0, rerun.log[-3000:]
    union = partial | {item["url"] for item in rerun.items}
    assert union == {t["url"] for t in mirror300.truth()}


def read_jsonl_tolerant(path: Path) -> list[dict]:
    """A feed cut by SIGKILL may end in half a line: keep the complete ones."""
    complete = path.read_text(encoding="utf-8", errors="replace").rsplit("\n", 1)[0]
    tmp = path.with_suffix(".complete.jsonl")
    tmp.write_text(complete + "\n", encoding="utf-8")
    return read_jsonl(tmp)


def test_cron_refuses_to_start_while_another_run_holds_the_lock(mirror300, tmp_path: Path) -> None:
    slow = {"DOWNLOAD_DELAY": "0.2", "CONCURRENT_REQUESTS_PER_DOMAIN": "1"}
    first = start_crawl(mirror300.base_url, tmp_path / "a", settings={**slow, "BMKZ_LOCK_FILE": str(tmp_path / "cron.lock")},
                        output="a.jsonl", command="cron")  # fmt: skip
    try:
        deadline = time.monotonic() + 30
        while RunLock(tmp_path / "cron.lock").holder_pid() is None and time.monotonic() < deadline:
            time.sleep(0.05)
        started = time.monotonic()
        second = run_crawl(mirror300.base_url, tmp_path / "b", settings={"BMKZ_LOCK_FILE": str(tmp_path / "cron.lock")},
                           output="b.jsonl", command="cron")  # fmt: skip
        assert second.returncode == 75
        assert "holds" in second.log
        assert time.monotonic() - started < 15
        assert first.poll() is None, "the first run should still be crawling"
    finally:
        first.kill()
        first.wait()
