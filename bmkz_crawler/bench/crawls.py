"""Running crawls for the benchmark: `scrapy crawl news` and the fetch-only spider as subprocesses.

Each crawl is its own process, as a user runs it, so its peak RSS is its own: `os.wait4`
returns the resource usage of exactly that child (`ru_maxrss`, in KiB on Linux), which
the mirror server (another child of this process) does not pollute.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bmkz_crawler import settings as project_settings

PROJECT = Path(__file__).resolve().parents[2]
FETCH_SPIDER = Path(__file__).resolve().with_name("fetch_spider.py")

# Politeness off: the mirror is ours and on loopback (the same overrides as the crawl tests).
FAST_SETTINGS = {
    "AUTOTHROTTLE_ENABLED": "False",
    "DOWNLOAD_DELAY": "0",
    "CONCURRENT_REQUESTS": "32",
    "CONCURRENT_REQUESTS_PER_DOMAIN": "32",
    "BMKZ_RETRY_BACKOFF_BASE": "0.05",
    "BMKZ_PROGRESS_INTERVAL": "0",
    "DOWNLOAD_TIMEOUT": "10",
    "LOG_LEVEL": "INFO",
}


@dataclass
class CrawlRun:
    returncode: int
    stats: dict[str, Any]
    peak_rss_mb: float
    wall_seconds: float
    workdir: Path

    @property
    def pages(self) -> int:
        return int(self.stats.get("response_received_count", 0))

    @property
    def crawl_seconds(self) -> float:
        """Spider open to close, as Scrapy measures it: interpreter start-up is not crawling."""
        return float(self.stats.get("elapsed_time_seconds") or self.wall_seconds)

    @property
    def pages_per_second(self) -> float:
        return self.pages / self.crawl_seconds if self.crawl_seconds else 0.0

    def stat(self, key: str) -> int:
        return int(self.stats.get(key, 0))

    def exported_urls(self) -> list[str]:
        """The URLs of the articles the run's JSON Lines feed holds."""
        urls = []
        for path in sorted((self.workdir / "feeds").glob("*.jsonl")):
            urls += [json.loads(line)["url"] for line in path.read_text(encoding="utf-8").splitlines() if line]
        return urls


def project_feeds(workdir: Path) -> dict[str, Any]:
    """The project's default FEEDS (one JSON Lines and one CSV per run), written under workdir."""
    return {str(workdir / uri): options for uri, options in project_settings.FEEDS.items()}


def crawl_news(base_url: str, workdir: Path, *, state: Path | None = None, timeout: float = 600) -> CrawlRun:
    """`scrapy crawl news` with extraction, pipelines and the project's feed exports on."""
    settings = {
        "BMKZ_BASE_URL": base_url,
        "BMKZ_STATE_URI": str(state or workdir / "state.sqlite3"),
        "BMKZ_LOCK_FILE": str(workdir / "crawl.lock"),
        "FEEDS": json.dumps(project_feeds(workdir)),
    }
    return _run(["crawl", "news"], workdir, settings, timeout)


def crawl_fetch_only(url_file: Path, workdir: Path, *, timeout: float = 600) -> CrawlRun:
    """The fetch-only baseline over the URLs listed in url_file."""
    settings = {"BMKZ_STATE_URI": str(workdir / "state.sqlite3"), "BMKZ_LOCK_FILE": str(workdir / "crawl.lock")}
    return _run(["runspider", str(FETCH_SPIDER), "-a", f"urls={url_file}"], workdir, settings, timeout)


def _run(command: list[str], workdir: Path, settings: dict[str, str], timeout: float) -> CrawlRun:
    workdir.mkdir(parents=True, exist_ok=True)
    merged = {
        **FAST_SETTINGS,
        "BMKZ_STATS_FILE": str(workdir / "stats.json"),
        "LOG_FILE": str(workdir / "crawl.log"),
        **settings,
    }
    argv = [sys.executable, "-m", "scrapy", *command]
    for key, value in merged.items():
        argv += ["-s", f"{key}={value}"]
    env = {**os.environ, "PYTHONPATH": str(PROJECT)}
    started = time.monotonic()
    process = subprocess.Popen(argv, cwd=PROJECT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    status, usage = _wait(process, timeout)
    wall = time.monotonic() - started
    stats_path = workdir / "stats.json"
    stats = json.loads(stats_path.read_text(encoding="utf-8")) if stats_path.exists() else {}
    if status != 0:
        log = (workdir / "crawl.log").read_text(encoding="utf-8", errors="replace")[-3000:]
        raise RuntimeError(f"scrapy {' '.join(command[:2])} exited with {status}:\n{log}")
    return CrawlRun(status, stats, usage.ru_maxrss / 1024, wall, workdir)


def _wait(process: subprocess.Popen[bytes], timeout: float) -> tuple[int, Any]:
    """Wait for the child and take its own rusage (poll with WNOHANG, so a hung crawl is killed)."""
    deadline = time.monotonic() + timeout
    while True:
        pid, status, usage = os.wait4(process.pid, os.WNOHANG)
        if pid == process.pid:
            process.returncode = os.waitstatus_to_exitcode(status)
            return process.returncode, usage
        if time.monotonic() > deadline:
            process.kill()
            _, status, usage = os.wait4(process.pid, 0)
            process.returncode = os.waitstatus_to_exitcode(status)
            raise TimeoutError(f"crawl did not finish within {timeout:.0f} s")
        time.sleep(0.05)
