"""Scrapy's own tools work on the news spider as Scrapy users expect: JOBDIR pause/resume, `scrapy parse`."""

from __future__ import annotations

import json
import signal
import subprocess
import time
from collections import Counter
from pathlib import Path

from tests.crawl import PROJECT, collect, crawl_command, read_jsonl, run_crawl


def test_a_paused_backfill_resumes_from_its_jobdir_and_delivers_every_article(mirror300, tmp_path: Path) -> None:
    jobdir = str(tmp_path / "job")
    settings = {"JOBDIR": jobdir, "CONCURRENT_REQUESTS": "4"}
    argv, env = crawl_command(mirror300.base_url, tmp_path / "run1", args={"mode": "full"}, settings=settings)
    first = subprocess.Popen(argv, cwd=PROJECT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    feed = tmp_path / "run1" / "items.jsonl"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and (not feed.exists() or feed.stat().st_size < 20_000):
        time.sleep(0.05)
    first.send_signal(signal.SIGINT)  # Ctrl-C: Scrapy stops gracefully and keeps the job's state
    output, _ = first.communicate(timeout=60)
    paused = collect(tmp_path / "run1", first.returncode, output, "items.jsonl")
    assert 0 < len(paused.items) < len(mirror300.truth()), "the first run was not paused mid-crawl"
    assert (Path(jobdir) / "spider.state").exists()

    resumed = run_crawl(mirror300.base_url, tmp_path / "run2", args={"mode": "full"}, settings=settings)
    assert resumed.returncode == 0, resumed.log[-3000:]
    for log in (paused.log, resumed.log):
        assert "cannot pickle" not in log and "EOFError" not in log and "Traceback" not in log
    assert resumed.stat("scheduler/dequeued/disk") > 0  # it went on from the saved queue
    delivered = Counter(item["url"] for item in [*paused.items, *resumed.items])
    assert set(delivered) == {record["url"] for record in mirror300.truth()}
    # The pause marks what its feed stored; the resumed run does not deliver those again.
    assert [url for url, count in delivered.items() if count > 1] == []


def test_scrapy_parse_shows_the_article_item(mirror300, tmp_path: Path) -> None:
    url = mirror300.truth()[0]["url"]
    argv, env = crawl_command(mirror300.base_url, tmp_path, output=None)
    settings = argv[argv.index("news") + 1 :]
    command = [argv[0], "-m", "scrapy", "parse", "--spider", "news", "-c", "parse_article", "--nolog", *settings, url]
    completed = subprocess.run(command, cwd=PROJECT, env=env, capture_output=True, text=True, timeout=120)
    assert completed.returncode == 0, completed.stderr[-3000:]
    assert "Scraped Items" in completed.stdout
    assert json.dumps(url)[1:-1] in completed.stdout


def test_the_jsonl_reader_is_strict(tmp_path: Path) -> None:
    path = tmp_path / "x.jsonl"
    path.write_text('{"a": 1}\n\n{"a": 2}\n', encoding="utf-8")
    assert read_jsonl(path) == [{"a": 1}, {"a": 2}]


def test_scrapy_shell_runs_with_the_project_settings(mirror300, tmp_path: Path) -> None:
    url = mirror300.truth()[0]["url"]
    code = "__import__('bmkz_crawler.extraction').extraction.ArticleExtractor().extract(response).url"
    argv, env = crawl_command(mirror300.base_url, tmp_path, output=None)
    command = [argv[0], "-m", "scrapy", "shell", "--nolog", "-s", "ROBOTSTXT_OBEY=False", url, "-c", code]
    completed = subprocess.run(command, cwd=PROJECT, env=env, capture_output=True, text=True, timeout=120)
    assert completed.returncode == 0, completed.stderr[-3000:]
    assert completed.stdout.strip() == url
