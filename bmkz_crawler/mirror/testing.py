"""Start the mirror as a subprocess for tests: `with running_mirror(tmp_path) as mirror: ...`.

The mirror runs in its own process (its own Twisted reactor), so tests of a Scrapy crawl can
run their reactor independently; the subprocess is terminated when the block exits.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

_LISTENING = re.compile(r"mirror listening on (http://\S+/)")


@dataclass
class LoggedRequest:
    method: str
    path: str  # path and query, as requested
    status: int


@dataclass
class MirrorHandle:
    base_url: str
    truth_path: Path
    request_log_path: Path
    fault_plan_path: Path
    process: subprocess.Popen[str]
    changes_path: Path | None = None

    def changes(self) -> dict:
        """The `--changes` report: per growth step the articles edited visibly, edited silently
        and deleted (each with url, path, post_id, language, index), and all silent edits and
        deletions (`bmkz_crawler.mirror.truth.changes_report`)."""
        if self.changes_path is None:
            raise RuntimeError("this mirror was started without a changes report")
        return json.loads(self.changes_path.read_text(encoding="utf-8"))

    def silently_edited(self) -> set[str]:
        """URLs whose body changed while their modified_at, lastmod and feed dates did not."""
        return {entry["url"] for entry in self.changes()["silent_edits"]}

    def deleted(self) -> set[str]:
        """URLs of deleted articles: 404, in no truth, list or link."""
        return {entry["url"] for entry in self.changes()["deleted"]}

    def truth(self) -> list[dict]:
        with self.truth_path.open(encoding="utf-8") as lines:
            return [json.loads(line) for line in lines if line.strip()]

    def requests(self) -> list[LoggedRequest]:
        """The request log so far (it is line-buffered, so complete up to the last answer)."""
        entries = []
        for line in self.request_log_path.read_text(encoding="utf-8").splitlines():
            method, path, status = line.split(" ")  # a request target never holds a space
            entries.append(LoggedRequest(method, path, int(status)))
        return entries

    def fault_plan(self) -> dict:
        return json.loads(self.fault_plan_path.read_text(encoding="utf-8"))


@contextmanager
def running_mirror(
    tmp_path: Path,
    articles: int = 300,
    seed: int = 1,
    faults: bool = False,
    extra_args: Sequence[str] = (),
    timeout: float = 60.0,
    write_truth: bool = True,
    theme: str = "smartmag",
    now: datetime | str | None = None,
    anchor_articles: int | None = None,
    validators: bool = True,
    grown_from: Sequence[int] = (),
    silent_edits: int | None = None,
    deletions: int | None = None,
) -> Iterator[MirrorHandle]:
    """Run `python -m bmkz_crawler.mirror --port 0 ...` until the block exits.

    The truth file, request log and fault plan go to `tmp_path`; `write_truth=False` skips the
    truth (generating every body takes a few seconds for tens of thousands of articles).
    `theme` is the pages' markup (`--theme`: "smartmag" or "newsroom"); the truth is the same.
    `now` (`--now`, a datetime or ISO-8601; naive means UTC) dates the site's last change a day
    before it, on the timeline of an `anchor_articles`-article site if given (`--anchor-articles`).
    `validators=False` (`--no-validators`) serves feeds, sitemaps and robots.txt without ETag
    and Last-Modified and never answers 304.
    `grown_from` (`--grown-from`: the smaller sizes this site grew through) adds silent edits and
    deletions of older articles at each step, `silent_edits`/`deletions` per step if given;
    `MirrorHandle.changes()` (or `silently_edited()`, `deleted()`) tells which.
    """
    tmp_path = Path(tmp_path)
    tmp_path.mkdir(parents=True, exist_ok=True)
    truth, log, plan = tmp_path / "truth.jsonl", tmp_path / "requests.log", tmp_path / "fault-plan.json"
    changes = tmp_path / "changes.json"
    command = [
        sys.executable, "-m", "bmkz_crawler.mirror", "--port", "0", "--articles", str(articles),
        "--seed", str(seed), "--theme", theme, "--request-log", str(log), "--fault-plan", str(plan),
        *(["--truth", str(truth)] if write_truth else []), *(["--faults"] if faults else []),
        *(["--now", now.isoformat() if isinstance(now, datetime) else now] if now is not None else []),
        *(["--anchor-articles", str(anchor_articles)] if anchor_articles is not None else []),
        *([] if validators else ["--no-validators"]), "--changes", str(changes),
        *(["--grown-from", *map(str, grown_from)] if grown_from else []),
        *(["--silent-edits", str(silent_edits)] if silent_edits is not None else []),
        *(["--deletions", str(deletions)] if deletions is not None else []), *extra_args,
    ]  # fmt: skip
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, encoding="utf-8")
    try:
        base_url = _wait_listening(process, timeout)
        yield MirrorHandle(base_url, truth, log, plan, process, changes)
    finally:
        stop_process(process)
        for stream in (process.stdout, process.stderr):
            if stream:
                stream.close()


def stop_process(process: subprocess.Popen) -> None:
    """Terminate a server process, and kill it if it has not gone within 10 s."""
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def _wait_listening(process: subprocess.Popen[str], timeout: float) -> str:
    found: list[str] = []

    def read() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            match = _LISTENING.search(line)
            if match:
                found.append(match[1])
                return

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    reader.join(timeout)
    if not found:
        process.kill()
        stderr = process.stderr.read() if process.stderr else ""
        raise RuntimeError(f"mirror did not start within {timeout}s: {stderr[-2000:]}")
    return found[0]
