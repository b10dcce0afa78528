"""DurableFileFeedStorage: a local feed file counts as stored only when all of it reached the disk.

Scrapy's FileFeedStorage closes the file without fsync, and a write that fails (ENOSPC on a
disk that fills, then frees) surfaces as an exception the feed exporter's caller swallows: the
signal dispatcher logs it, the item goes missing from the file, and the feed still counts as
stored. This storage (registered for local paths and `file://` in FEED_STORAGES) remembers
every failed write, flush, fsync or close of its file, counts it (`bmkz/feed/write_errors`),
logs the first one as an ERROR naming the file, and refuses to report the feed stored:
`store()` raises, so Scrapy counts it in `feedexport/failed_count/DurableFileFeedStorage`, and
FeedAudit (bmkz_crawler/feedaudit.py) fails the feed even when the error came at a moment
Scrapy does not count (while exporting an item, or in the exporter's finish_exporting).

At close the file is flushed, fsync'ed and closed; a newly created file's folder is fsync'ed
too, so that the file's name survives a power cut with its contents.
"""

from __future__ import annotations

import contextlib
import errno
import io
import logging
import os
from pathlib import Path
from typing import IO, Any, Self

from scrapy import Spider
from scrapy.crawler import Crawler
from scrapy.extensions.feedexport import FileFeedStorage
from scrapy.statscollectors import StatsCollector

from bmkz_crawler import stats_keys as keys

logger = logging.getLogger(__name__)

WRITE_ERRORS_STAT = keys.FEED_WRITE_ERRORS
# fsync on a pipe or a character device (`/dev/stdout`) fails with EINVAL: nothing to sync there.
_NOTHING_TO_SYNC = frozenset({errno.EINVAL, errno.ENOTSUP})


class FeedWriteError(OSError):
    """A feed file that lost data: raised by `store()` so that Scrapy counts the feed failed."""


class CheckedFeedFile(io.BufferedWriter):
    """A buffered feed file that reports each failed write or flush before raising it."""

    def __init__(self, raw: io.RawIOBase, storage: DurableFileFeedStorage) -> None:
        super().__init__(raw)
        self._storage = storage

    def write(self, data: Any) -> int:
        try:
            return super().write(data)
        except OSError as error:
            self._storage.write_failed(error)
            raise

    def flush(self) -> None:
        try:
            super().flush()
        except OSError as error:
            self._storage.write_failed(error)
            raise


class DurableFileFeedStorage(FileFeedStorage):
    def __init__(
        self, uri: str, *, feed_options: dict[str, Any] | None = None, stats: StatsCollector | None = None
    ) -> None:
        super().__init__(uri, feed_options=feed_options)
        self.stats = stats
        self.write_error: OSError | None = None  # the first one; the feed is lost if set
        self._created = False

    @classmethod
    def from_crawler(cls, crawler: Crawler, uri: str, *, feed_options: dict[str, Any] | None = None) -> Self:
        return cls(uri, feed_options=feed_options, stats=crawler.stats)

    def open(self, spider: Spider) -> IO[bytes]:
        path = Path(self.path)
        path.parent.mkdir(parents=True, exist_ok=True)
        self._created = not path.exists()
        return CheckedFeedFile(self.open_raw(path), self)

    def open_raw(self, path: Path) -> io.RawIOBase:
        """The unbuffered OS file under the feed (a separate step so that tests can fill a disk)."""
        return io.FileIO(path, self.write_mode)

    def store(self, file: IO[bytes]) -> None:
        try:
            file.flush()
            _fsync(file.fileno())
            file.close()
            if self._created:
                _fsync_folder(Path(self.path).parent)
        except OSError as error:
            self.write_failed(error)
            _close_quietly(file)
        if self.write_error is not None:
            reason = self.write_error.strerror or str(self.write_error)
            raise FeedWriteError(self.write_error.errno, f"feed {self.path} is incomplete: {reason}")

    def write_failed(self, error: OSError) -> None:
        if self.stats is not None:
            self.stats.inc_value(WRITE_ERRORS_STAT)
        if self.write_error is None:
            self.write_error = error
            logger.error(
                "Feed %s: write failed (%s): this feed is incomplete, it does not count as stored,"
                " and no article of this run is marked exported",
                self.path,
                error.strerror or error,
            )


def _fsync(fd: int) -> None:
    try:
        os.fsync(fd)
    except OSError as error:
        if error.errno not in _NOTHING_TO_SYNC:
            raise


def _fsync_folder(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        _fsync(fd)
    finally:
        os.close(fd)


def _close_quietly(file: IO[bytes]) -> None:
    """Close after a failure: the error is recorded already; closing retries the flush."""
    with contextlib.suppress(OSError):
        file.close()
