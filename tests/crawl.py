"""Run the real `scrapy crawl news` (a subprocess, as a user would) against the local mirror.

Politeness settings are overridden explicitly (FAST_SETTINGS): the mirror is ours and on loopback.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

# Politeness off, the same overrides as the benchmark: the mirror is ours and on loopback.
from bmkz_crawler.bench.crawls import FAST_SETTINGS

PROJECT = Path(__file__).resolve().parents[1]


@dataclass
class CrawlResult:
    returncode: int
    items: list[dict[str, Any]]
    stats: dict[str, Any]
    log: str
    outputs: dict[str, Path] = field(default_factory=dict)

    def stat(self, key: str, default: int = 0) -> Any:
        return self.stats.get(key, default)

    def stats_with_prefix(self, prefix: str) -> dict[str, Any]:
        return {k: v for k, v in self.stats.items() if k.startswith(prefix)}


def crawl_command(
    base_url: str,
    workdir: Path,
    *,
    args: dict[str, str] | None = None,
    settings: dict[str, str] | None = None,
    output: str | None = "items.jsonl",
    command: str = "crawl",
) -> tuple[list[str], dict[str, str]]:
    workdir.mkdir(parents=True, exist_ok=True)
    merged = {
        **FAST_SETTINGS,
        "BMKZ_BASE_URL": base_url,
        "BMKZ_STATS_FILE": str(workdir / "stats.json"),
        "BMKZ_STATE_URI": str(workdir / "state.sqlite3"),
        "BMKZ_LOCK_FILE": str(workdir / "crawl.lock"),
        "LOG_FILE": str(workdir / "crawl.log"),
        **(settings or {}),
    }
    argv = [sys.executable, "-m", "scrapy", command, "news"]
    for key, value in (args or {}).items():
        argv += ["-a", f"{key}={value}"]
    for key, value in merged.items():
        argv += ["-s", f"{key}={value}"]
    if output:
        argv += ["-O", str(workdir / output)]
    env = {**os.environ, "PYTHONPATH": str(PROJECT)}
    return argv, env


def run_crawl(base_url: str, workdir: Path, timeout: float = 150, **kwargs: Any) -> CrawlResult:
    argv, env = crawl_command(base_url, workdir, **kwargs)
    completed = subprocess.run(argv, cwd=PROJECT, env=env, capture_output=True, text=True, timeout=timeout)
    return collect(
        workdir, completed.returncode, completed.stdout + completed.stderr, kwargs.get("output", "items.jsonl")
    )


def start_crawl(base_url: str, workdir: Path, **kwargs: Any) -> subprocess.Popen[str]:
    argv, env = crawl_command(base_url, workdir, **kwargs)
    return subprocess.Popen(argv, cwd=PROJECT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def kill_when(process: subprocess.Popen[str], condition: Any, timeout: float = 60) -> None:
    """SIGKILL the crawl as soon as condition() holds (no clean shutdown of any kind)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and process.poll() is None:
        if condition():
            process.send_signal(signal.SIGKILL)
            break
        time.sleep(0.02)
    process.wait(timeout=30)


def collect(workdir: Path, returncode: int, output: str, feed: str | None) -> CrawlResult:
    stats_path = workdir / "stats.json"
    stats = json.loads(stats_path.read_text(encoding="utf-8")) if stats_path.exists() else {}
    log_path = workdir / "crawl.log"
    log = output + (log_path.read_text(encoding="utf-8", errors="replace") if log_path.exists() else "")
    items = read_jsonl(workdir / feed) if feed and feed.endswith(".jsonl") else []
    return CrawlResult(returncode, items, stats, log)


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
