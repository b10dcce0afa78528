"""RunLock: one crawl at a time, with a lock that a dead process cannot leave behind.

`fcntl.flock` on a file in the project's data folder: the kernel releases the lock when the
holding process ends, however it ends (SIGKILL, OOM, reboot), so a stale lock file is only a
file. The holder writes its pid into it, for the refusal message of the next run.
"""

from __future__ import annotations

import fcntl
import os
from pathlib import Path
from typing import IO

from scrapy.settings import BaseSettings
from scrapy.utils.project import data_path

DEFAULT_LOCK_FILE = "bmkz_cron.lock"


def lock_path(settings: BaseSettings) -> Path:
    """BMKZ_LOCK_FILE, or `.scrapy/bmkz_cron.lock` (a relative path is in the data folder)."""
    return Path(data_path(settings.get("BMKZ_LOCK_FILE") or DEFAULT_LOCK_FILE)).absolute()


class RunLock:
    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self._file: IO[str] | None = None

    def acquire(self) -> bool:
        """Take the lock without waiting; False when another process holds it."""
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
