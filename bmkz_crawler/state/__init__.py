"""The crawl's memory between runs: which articles were exported, with which text and when.

`state_store_for(crawler)` gives the one store of a crawl, chosen by `BMKZ_STATE_URI`:

- empty (default): SQLite file `.scrapy/bmkz_state.sqlite3` in the project's data folder;
- `sqlite:///abs/path.db`, or a plain path (relative ones go to the data folder, like
  Scrapy's HTTPCACHE_DIR);
- `memory:`: an in-memory SQLite database (tests);
- `redis://host:6379/0` (or `rediss://`, `?prefix=name`): RedisStateStore, shared by the
  workers of a Redis-mode crawl (the `redis` extra).

The URI scheme picks the store class in STORE_CLASSES (each has a `from_uri` classmethod);
pipelines and spider only see the StateStore protocol.
"""

from __future__ import annotations

from pathlib import Path, PureWindowsPath
from urllib.parse import urlsplit

from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.utils.misc import load_object
from scrapy.utils.project import data_path

from bmkz_crawler.state.base import ArticleState, StateStore

__all__ = ["STORE_CLASSES", "ArticleState", "StateStore", "open_state_store", "state_store_for", "state_store_uri"]

DEFAULT_STATE_FILE = "bmkz_state.sqlite3"
# URI scheme -> store class (imported only when used, so a store's client library is optional).
STORE_CLASSES: dict[str, str] = {
    "sqlite": "bmkz_crawler.state.sqlite.SQLiteStateStore",
    "memory": "bmkz_crawler.state.sqlite.SQLiteStateStore",
    "redis": "bmkz_crawler.state.redis.RedisStateStore",
    "rediss": "bmkz_crawler.state.redis.RedisStateStore",
}
_CRAWLER_ATTRIBUTE = "bmkz_state_store"


def state_store_uri(setting: str | None) -> str:
    """The setting as a URI with a scheme: a plain path becomes `sqlite://<absolute path>`."""
    value = (setting or "").strip()
    if not value:
        value = DEFAULT_STATE_FILE
    scheme = urlsplit(value).scheme
    if value.startswith("memory:") or (scheme and scheme != "sqlite" and not PureWindowsPath(value).drive):
        return value
    path = value.removeprefix("sqlite://")
    return "sqlite://" + str(Path(data_path(path)).absolute())


def open_state_store(setting: str | None) -> StateStore:
    """A new, opened store for the BMKZ_STATE_URI value."""
    uri = state_store_uri(setting)
    scheme = "memory" if uri.startswith("memory:") else urlsplit(uri).scheme
    if scheme not in STORE_CLASSES:
        known = ", ".join(f"{name}:" for name in STORE_CLASSES)
        raise ValueError(f"BMKZ_STATE_URI={setting!r}: no state store for {scheme}: (known: {known})")
    store: StateStore = load_object(STORE_CLASSES[scheme]).from_uri(uri)
    store.open()
    return store


def state_store_for(crawler: Crawler) -> StateStore:
    """The crawl's one store, shared by the spider and the pipelines.

    It is closed on `engine_stopped`, not `spider_closed`: exports are marked on
    `feed_exporter_closed`, which fires while the spider is closing.
    """
    store: StateStore | None = getattr(crawler, _CRAWLER_ATTRIBUTE, None)
    if store is None:
        store = open_state_store(crawler.settings.get("BMKZ_STATE_URI"))
        setattr(crawler, _CRAWLER_ATTRIBUTE, store)
        crawler.signals.connect(store.close, signal=signals.engine_stopped)
    return store
