"""The archive: every exported version of every article, searchable (`scrapy archive`).

`archive_for(crawler)` gives the crawl's one archive (or None when it is off), chosen by
`BMKZ_ARCHIVE_URI`:

- empty (default): SQLite file `bmkz_archive.sqlite3` next to the SQLite state file (so
  `.scrapy/bmkz_archive.sqlite3` with the default state); in the project's data folder when
  the state is in Redis; in memory when the state is (`memory:`);
- `none`: no archive;
- `sqlite:///abs/path.db`, or a plain path (a relative one goes to the data folder, as for
  the state); `memory:` (tests);
- `postgresql://user@host:5432/db` (or `postgres://`): PostgresArchive, one archive shared by
  every crawl process — the one for Redis mode, where the default gives each worker its own
  SQLite file (the `postgres` extra).

The URI scheme picks the store class in ARCHIVE_CLASSES (each has a `from_uri` classmethod).

Writers: ExportMarkerPipeline archives a run's items once its feeds are durably stored, and
the spider calls `archive_gone(crawler, url, status)` when a page answers 404/410. A write
that fails is counted (`bmkz/archive/write_errors`), said in one ERROR line per run, and
fails `scrapy cron`; it never stops the crawl nor keeps the export marks from being written.
"""

from __future__ import annotations

import logging
from pathlib import Path, PureWindowsPath
from urllib.parse import urlsplit

from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from scrapy.utils.misc import load_object
from scrapy.utils.project import data_path

from bmkz_crawler import stats_keys as keys
from bmkz_crawler.archive.base import ArchiveStore
from bmkz_crawler.processors import utc_now_iso
from bmkz_crawler.state import state_store_uri

__all__ = ["ARCHIVE_CLASSES", "ArchiveStore", "archive_for", "archive_gone", "archive_scheme", "archive_uri"]

logger = logging.getLogger(__name__)

DEFAULT_ARCHIVE_FILE = "bmkz_archive.sqlite3"
OFF = "none"
# URI scheme -> store class (imported only when used, so a store's client library is optional).
ARCHIVE_CLASSES: dict[str, str] = {
    "sqlite": "bmkz_crawler.archive.sqlite.SQLiteArchive",
    "memory": "bmkz_crawler.archive.sqlite.SQLiteArchive",
    "postgresql": "bmkz_crawler.archive.postgres.PostgresArchive",
    "postgres": "bmkz_crawler.archive.postgres.PostgresArchive",
}
_CRAWLER_ATTRIBUTE = "bmkz_archive"
_FAILED_ATTRIBUTE = "bmkz_archive_failed"


def archive_uri(setting: str | None, state_setting: str | None = None) -> str | None:
    """The setting as a URI with a scheme, or None for `none`: a plain path becomes
    `sqlite://<absolute path>`; empty follows the state (see the module's docstring)."""
    value = (setting or "").strip()
    if value.lower() == OFF:
        return None
    if not value:
        state = state_store_uri(state_setting)
        if state.startswith("memory:"):
            return "memory:"
        if state.startswith("sqlite://"):
            return "sqlite://" + str(Path(state.removeprefix("sqlite://")).parent / DEFAULT_ARCHIVE_FILE)
        value = DEFAULT_ARCHIVE_FILE
    scheme = urlsplit(value).scheme
    if value.startswith("memory:") or (scheme and scheme != "sqlite" and not PureWindowsPath(value).drive):
        return value
    return "sqlite://" + str(_data_path(value.removeprefix("sqlite://")).absolute())


def _data_path(path: str) -> Path:
    """Scrapy's data_path, or `.scrapy/` of the working directory where no scrapy.cfg says
    where the project is (a SCRAPY_SETTINGS_MODULE run elsewhere), as Scrapy does outside projects."""
    try:
        return Path(data_path(path))
    except NotConfigured:
        return Path(path) if Path(path).is_absolute() else Path(".scrapy", path)


def archive_scheme(uri: str) -> str:
    return "memory" if uri.startswith("memory:") else urlsplit(uri).scheme


def open_archive(setting: str | None, state_setting: str | None = None) -> ArchiveStore | None:
    """A new, opened archive for these BMKZ_ARCHIVE_URI and BMKZ_STATE_URI values, or None (off)."""
    uri = archive_uri(setting, state_setting)
    if uri is None:
        return None
    scheme = archive_scheme(uri)
    if scheme not in ARCHIVE_CLASSES:
        known = ", ".join(f"{name}:" for name in ARCHIVE_CLASSES)
        raise ValueError(
            f"BMKZ_ARCHIVE_URI={setting!r} is not accepted: no archive for {scheme}: (use {known}, a path, none)"
        )
    store: ArchiveStore = load_object(ARCHIVE_CLASSES[scheme]).from_uri(uri)
    store.open()
    return store


def archive_for(crawler: Crawler) -> ArchiveStore | None:
    """The crawl's one archive, opened on first use and closed on `engine_stopped`; None when off.
    Raises what opening raises (callers count it as a failed archive write)."""
    if not hasattr(crawler, _CRAWLER_ATTRIBUTE):
        store = open_archive(crawler.settings.get("BMKZ_ARCHIVE_URI"), crawler.settings.get("BMKZ_STATE_URI"))
        setattr(crawler, _CRAWLER_ATTRIBUTE, store)
        if store is not None:
            crawler.signals.connect(store.close, signal=signals.engine_stopped)
    return getattr(crawler, _CRAWLER_ATTRIBUTE)


def archive_enabled(crawler: Crawler) -> bool:
    return archive_uri(crawler.settings.get("BMKZ_ARCHIVE_URI"), crawler.settings.get("BMKZ_STATE_URI")) is not None


def archive_failed(crawler: Crawler, what: str, error: BaseException) -> None:
    """Count a failed archive write; the first of the run gets one ERROR line."""
    if crawler.stats is not None:
        crawler.stats.inc_value(keys.ARCHIVE_WRITE_ERRORS)
    if getattr(crawler, _FAILED_ATTRIBUTE, False):
        return
    setattr(crawler, _FAILED_ATTRIBUTE, True)
    store = getattr(crawler, _CRAWLER_ATTRIBUTE, None)
    where = store.location if store is not None else crawler.settings.get("BMKZ_ARCHIVE_URI") or "(default)"
    logger.error(
        "Archive %s: %s failed (%s: %s); the export marks stay: `scrapy archive import` this run's "
        "JSON Lines feed to archive what it holds",
        where,
        what,
        type(error).__name__,
        error,
    )


def archive_gone(crawler: Crawler, url: str, status: int, found_at: str | None = None) -> bool:
    """The spider found `url` answering 404/410: if it is an archived article, record when.
    True when an archived article was marked gone; never raises (a failure is counted)."""
    try:
        store = archive_for(crawler)
        if store is None:
            return False
        recorded = store.record_gone(url, status, found_at or utc_now_iso())
    except Exception as error:  # any store, any cause: the crawl goes on
        archive_failed(crawler, f"recording {url} gone", error)
        return False
    if recorded and crawler.stats is not None:
        crawler.stats.inc_value(keys.ARCHIVE_GONE)
    return recorded
