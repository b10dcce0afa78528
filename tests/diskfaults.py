"""Full disks without privileges, for the durability tests.

- `FillingDiskFeedStorage`: the project's DurableFileFeedStorage on a disk that fills once the
  feed file holds `at` bytes and frees again after refusing `refusals` writes with ENOSPC — the
  OS file under Python's buffered writer is what fails, as on a real disk. Per feed through the
  feed option `full_disk: {"at": N, "refusals": K}`, or for feeds whose path ends with a suffix
  through the setting `TEST_FULL_DISK = {".jsonl": [N, K]}` (so the default FEEDS stay as they are).
- `python -m tests.diskfaults MAX_PAGES scrapy ARGS...`: runs the scrapy command with every
  SQLite state connection limited to MAX_PAGES pages (`PRAGMA max_page_count`), so that the
  state file fills while the crawl writes it ("database or disk is full").
"""

from __future__ import annotations

import errno
import io
import os
import sys
from pathlib import Path
from typing import Any, Self

from scrapy.crawler import Crawler

from bmkz_crawler.feedstorage import DurableFileFeedStorage


class FillingDisk(io.FileIO):
    """An OS file on a disk with `at` bytes free, that frees after `refusals` refused writes."""

    def __init__(self, path: Path, mode: str, *, at: int, refusals: int) -> None:
        super().__init__(path, mode)
        self.at = at
        self.refusals = refusals
        self.size = 0

    def write(self, data: Any) -> int:
        if self.size + len(data) > self.at and self.refusals > 0:
            self.refusals -= 1
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        written = super().write(data)
        self.size += written
        return written


class FillingDiskFeedStorage(DurableFileFeedStorage):
    def __init__(self, uri: str, *, feed_options: dict[str, Any] | None = None, **kwargs: Any) -> None:
        self.full_disk: dict[str, int] | None = (feed_options or {}).get("full_disk")
        super().__init__(uri, feed_options=feed_options, **kwargs)

    @classmethod
    def from_crawler(cls, crawler: Crawler, uri: str, *, feed_options: dict[str, Any] | None = None) -> Self:
        storage = cls(uri, feed_options=feed_options, stats=crawler.stats)
        for suffix, (at, refusals) in crawler.settings.getdict("TEST_FULL_DISK").items():
            if storage.full_disk is None and uri.endswith(suffix):
                storage.full_disk = {"at": int(at), "refusals": int(refusals)}
        return storage

    def open_raw(self, path: Path) -> io.RawIOBase:
        if self.full_disk is None:
            return super().open_raw(path)
        return FillingDisk(path, self.write_mode, **self.full_disk)


def limit_sqlite_state(max_pages: int) -> None:
    """Every SQLiteStateStore opened from now on holds at most max_pages pages."""
    from bmkz_crawler.state.sqlite import SQLiteStateStore

    real_open = SQLiteStateStore.open

    def open_limited(store: SQLiteStateStore) -> None:
        real_open(store)
        store.connection.execute(f"PRAGMA max_page_count={max_pages}")

    SQLiteStateStore.open = open_limited  # type: ignore[method-assign]


if __name__ == "__main__":
    limit_sqlite_state(int(sys.argv[1]))
    from scrapy.cmdline import execute

    execute(["scrapy", *sys.argv[3:]])
