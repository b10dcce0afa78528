"""RunLock: one crawl at a time, with a lock that a dead process cannot leave behind.

`fcntl.flock` on a file in the project's data folder: the kernel releases the lock when the
holding process ends, however it ends (SIGKILL, OOM, reboot), so a stale lock file is only a
file. The holder writes its pid into it, for the refusal message of the next run.

Two locks use it:

- `scrapy cron`'s run lock (`BMKZ_LOCK_FILE`, default `.scrapy/bmkz_cron.lock`): one scheduled
  run at a time;
- the state lock (`state_lock_path`): one crawl at a time on one crawl state, whichever
  command runs it — two crawls on one state would both export the same articles as new.
  `crawl_lock_or_refuse` takes it before a crawl starts. Redis mode is many processes on one
  state by design (articles are claimed in Redis) and takes none.

flock locks belong to an open file, so a second RunLock on the same file fails even in the
process that holds the first: `scrapy cron` takes the state lock only when it is not the file
of its own run lock.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import sys
from pathlib import Path
from typing import IO

from scrapy.settings import BaseSettings
from scrapy.utils.project import data_path

from bmkz_crawler.state import state_store_uri

DEFAULT_LOCK_FILE = "bmkz_cron.lock"
STATE_LOCK_SUFFIX = ".lock"
EXIT_LOCKED = 75  # EX_TEMPFAIL: "try again later"


def lock_path(settings: BaseSettings) -> Path:
    """BMKZ_LOCK_FILE, or `.scrapy/bmkz_cron.lock` (a relative path is in the data folder)."""
    return Path(data_path(settings.get("BMKZ_LOCK_FILE") or DEFAULT_LOCK_FILE)).absolute()


def state_lock_path(settings: BaseSettings) -> Path | None:
    """The lock file of the crawl state BMKZ_STATE_URI names, or None when none is needed.

    A SQLite state `/x/state.sqlite3` is locked by `/x/state.sqlite3.lock`; another store (a
    Redis state outside Redis mode) by `bmkz_state-<hash of its URI>.lock` in the cron lock's
    folder (`.scrapy/` by default). Redis mode (BMKZ_REDIS_URL set) and an in-memory state
    take no lock.
    """
    if settings.get("BMKZ_REDIS_URL"):
        return None
    uri = state_store_uri(settings.get("BMKZ_STATE_URI"))
    if uri.startswith("memory:"):
        return None
    if uri.startswith("sqlite://"):
        return Path(uri.removeprefix("sqlite://") + STATE_LOCK_SUFFIX)
    digest = hashlib.sha256(uri.encode("utf-8")).hexdigest()[:16]
    return lock_path(settings).with_name(f"bmkz_state-{digest}{STATE_LOCK_SUFFIX}")


def crawl_lock_or_refuse(
    settings: BaseSettings, command: str = "scrapy crawl", *, holding: Path | None = None
) -> RunLock | None:
    """Take the state lock before a crawl starts.

    Returns the held lock — release it when the crawl has ended; it holds nothing in Redis
    mode, on an in-memory state, or when it is the file `holding`, a lock the caller holds
    already — or None when another crawl holds it: the one-line refusal is then printed on
    stderr, and the command should exit with EXIT_LOCKED at once.
    """
    path = state_lock_path(settings)
    lock = RunLock(None if path == holding else path)
    if lock.acquire():
        return lock
    holder = lock.holder_pid()
    print(
        f"{command}: another crawl (pid {holder or '?'}) holds {path}, the lock of its state; not starting",
        file=sys.stderr,
    )
    return None


class RunLock:
    """An exclusive, non-blocking flock on `path`; a RunLock of no path holds nothing."""

    def __init__(self, path: str | Path | None) -> None:
        self.path = Path(path) if path is not None else None
        self._file: IO[str] | None = None

    def acquire(self) -> bool:
        """Take the lock without waiting; False when another holder (any process) has it."""
        if self.path is None:
            return True
        self.path.parent.mkdir(parents=True, exist_ok=True)
        handle = self.path.open("a+", encoding="utf-8")
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            handle.close()
            return False
        handle.seek(0)
        handle.truncate()
        handle.write(f"{os.getpid()}\n")
        handle.flush()
        self._file = handle
        return True

    def release(self) -> None:
        if self._file is not None:
            # The file stays: removing it would let a third process lock a new inode meanwhile.
            fcntl.flock(self._file.fileno(), fcntl.LOCK_UN)
            self._file.close()
            self._file = None

    def holder_pid(self) -> int | None:
        """The pid the current holder wrote, if readable."""
        if self.path is None:
            return None
        try:
            return int(self.path.read_text(encoding="utf-8").strip() or 0) or None
        except (OSError, ValueError):
            return None

    def __enter__(self) -> RunLock:
        if not self.acquire():
            raise BlockingIOError(f"{self.path} is held by pid {self.holder_pid()}")
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.release()
