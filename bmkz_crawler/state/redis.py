"""RedisStateStore: the StateStore on a Redis server, shared by every worker of a Redis-mode crawl.

`BMKZ_STATE_URI=redis://host:6379/0` (Redis mode sets it to `BMKZ_REDIS_URL` unless given);
`?prefix=name` changes the key prefix (default `bmkz:state`). Layout under the prefix:

- `article:<url>`: hash of one ArticleState's fields (absent fields = None);
- `urls`: set of every known URL (`count`);
- `post:<id>` and `post:<id>:<lang>`, `hash:<sha256>`: sorted sets of URLs scored by export time
  (0 = seen, never exported), so the latest export is the highest score, as in SQLite's
  "exported first, latest first";
- `runs`: sorted set of run records (JSON text) scored by the epoch of their `started_at`.

`record_seen` is one `HSETNX` script (first_seen set once) and `mark_exported` one MULTI/EXEC
transaction, after every item was checked: either all of a feed's articles are marked or none.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any, Self
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from itemadapter import ItemAdapter

from bmkz_crawler.processors import parse_instant, utc_now_iso
from bmkz_crawler.state.base import (
    DEFAULT_RUN_HISTORY_DAYS,
    EXPORT_RECORD_FIELDS,
    ArticleState,
    required_url,
    run_history_cutoff,
    state_key,
)

DEFAULT_PREFIX = "bmkz:state"
_FIELDS = ("url", "post_id", "language", "content_hash", "modified_at", "published_at", "first_seen", "last_exported")
# KEYS[1] article hash, KEYS[2] urls set; ARGV: url, first_seen, then name/value pairs to set once.
_RECORD_SEEN = """
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
redis.call('HSET', KEYS[1], 'url', ARGV[1], 'first_seen', ARGV[2])
for i = 3, #ARGV, 2 do redis.call('HSET', KEYS[1], ARGV[i], ARGV[i + 1]) end
redis.call('SADD', KEYS[2], ARGV[1])
return 1
"""


class RedisStateStore:
    """StateStore on Redis (redis-py, synchronous: calls are short round trips on a LAN)."""

    def __init__(self, url: str, prefix: str = DEFAULT_PREFIX) -> None:
        self.url = url
        self.prefix = prefix.rstrip(":") + ":"
        self._client: Any = None
        self._record_seen: Any = None

    @classmethod
    def from_uri(cls, uri: str) -> Self:
        parts = urlsplit(uri)
        query = dict(parse_qsl(parts.query))
        prefix = query.pop("prefix", DEFAULT_PREFIX)
        return cls(urlunsplit(parts._replace(query=urlencode(query))), prefix)

    @property
    def location(self) -> str:
        """The server and key prefix, without a password."""
        parts = urlsplit(self.url)
        host = parts.hostname or ""
        netloc = f"{host}:{parts.port}" if parts.port else host
        return f"{urlunsplit(parts._replace(netloc=netloc, query=''))} (keys {self.prefix}*)"

    # --- lifecycle ----------------------------------------------------------------------------

    def open(self) -> None:
        if self._client is not None:
            return
        import redis  # the `redis` extra: imported only when a redis:// store is used

        client = redis.Redis.from_url(self.url, decode_responses=True)
        client.ping()  # fail at start, with the server's address, not at the first item
        self._client = client
        self._record_seen = client.register_script(_RECORD_SEEN)

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None

    @property
    def client(self) -> Any:
        if self._client is None:
            raise RuntimeError(f"state store {self.url} is not open")
        return self._client

    # --- reads ----------------------------------------------------------------------------------

    def lookup(self, url: str) -> ArticleState | None:
        return self._state(self.client.hgetall(self._article(state_key(url))))

    def lookup_post(self, post_id: int, language: str | None) -> ArticleState | None:
        index = f"post:{post_id}" if language is None else f"post:{post_id}:{language}"
        return self._latest(index)

    def lookup_hash(self, content_hash: str) -> ArticleState | None:
        return self._latest(f"hash:{content_hash}")

    def count(self) -> int:
        return int(self.client.scard(self.prefix + "urls"))

    def _latest(self, index: str) -> ArticleState | None:
        urls = self.client.zrevrange(self.prefix + index, 0, 0)
        return self.lookup(urls[0]) if urls else None

    def _article(self, url: str) -> str:
        return f"{self.prefix}article:{url}"

    @staticmethod
    def _state(row: Mapping[str, str]) -> ArticleState | None:
        if not row:
            return None
        values: dict[str, Any] = {name: row.get(name) for name in _FIELDS}
        values["post_id"] = int(values["post_id"]) if values["post_id"] is not None else None
        return ArticleState(**values)

    # --- writes ---------------------------------------------------------------------------------

    def record_seen(self, item: Mapping[str, Any] | Any) -> None:
        adapter = ItemAdapter(item)
        url = state_key(required_url(adapter))
        once: list[str] = []
        for name in ("post_id", "language", "published_at"):
            if adapter.get(name) is not None:
                once += [name, _scalar(name, adapter.get(name))]
        first_seen = adapter.get("crawled_at") or utc_now_iso()
        if self._record_seen(keys=[self._article(url), self.prefix + "urls"], args=[url, first_seen, *once]):
            self._index(self.client, url, adapter.get("post_id"), adapter.get("language"), None, 0.0)

    def load_memory(self) -> dict[str, str]:
        return dict(self.client.hgetall(self.prefix + "memory"))

    def save_memory(self, values: Mapping[str, str]) -> None:
        if values:
            self.client.hset(self.prefix + "memory", mapping=dict(values))

    def record_run(self, run: Mapping[str, Any], *, keep_days: float = DEFAULT_RUN_HISTORY_DAYS) -> None:
        record = json.dumps(dict(run), ensure_ascii=False, sort_keys=True)
        transaction = self.client.pipeline(transaction=True)
        transaction.zadd(self.prefix + "runs", {record: _epoch(str(run.get("started_at") or ""))})
        transaction.zremrangebyscore(self.prefix + "runs", "-inf", f"({run_history_cutoff(run, keep_days).timestamp()}")
        transaction.execute()

    def runs(self, since: str | None = None) -> list[dict[str, Any]]:
        low = str(_epoch(since)) if since else "-inf"
        return [json.loads(record) for record in self.client.zrangebyscore(self.prefix + "runs", low, "+inf")]

    def mark_exported(self, items: Iterable[Mapping[str, Any]], exported_at: str) -> None:
        # Check and convert everything first: a bad item must leave the store untouched.
        records = []
        for item in items:
            adapter = ItemAdapter(item)
            record = {name: adapter.get(name) for name in EXPORT_RECORD_FIELDS}
            record["url"] = state_key(required_url(adapter))
            for name, value in record.items():
                if value is not None:
                    record[name] = _scalar(name, value)
            records.append((record, adapter.get("crawled_at") or exported_at))
        score = _epoch(exported_at)
        previous = [self.lookup(record["url"]) for record, _ in records]
        transaction = self.client.pipeline(transaction=True)
        for (record, first_seen), before in zip(records, previous, strict=True):
            url = record["url"]
            if before is not None:  # the row moves to its new post id / hash: leave the old indexes
                self._unindex(transaction, url, before)
            present = {name: value for name, value in record.items() if value is not None}
            absent = [name for name, value in record.items() if value is None]
            present["last_exported"] = exported_at
            if before is None:
                present["first_seen"] = first_seen
            transaction.hset(self._article(url), mapping=present)
            if absent:
                transaction.hdel(self._article(url), *absent)
            transaction.sadd(self.prefix + "urls", url)
            self._index(transaction, url, record["post_id"], record["language"], record["content_hash"], score)
        transaction.execute()

    def _index(
        self, client: Any, url: str, post_id: Any, language: str | None, content_hash: str | None, score: float
    ) -> None:
        if post_id is not None:
            client.zadd(f"{self.prefix}post:{post_id}", {url: score})
            client.zadd(f"{self.prefix}post:{post_id}:{language}", {url: score})
        if content_hash:
            client.zadd(f"{self.prefix}hash:{content_hash}", {url: score})

    def _unindex(self, client: Any, url: str, before: ArticleState) -> None:
        if before.post_id is not None:
            client.zrem(f"{self.prefix}post:{before.post_id}", url)
            client.zrem(f"{self.prefix}post:{before.post_id}:{before.language}", url)
        if before.content_hash:
            client.zrem(f"{self.prefix}hash:{before.content_hash}", url)


def _scalar(name: str, value: Any) -> str:
    """A field as Redis stores it; a value SQLite could not bind either is refused."""
    if name == "post_id":
        if isinstance(value, bool) or not isinstance(value, int | str):
            raise TypeError(f"post_id must be an integer, not {value!r}")
        return str(int(value))
    if not isinstance(value, str | int | float):
        raise TypeError(f"{name} must be text, not {value!r}")
    return str(value)


def _epoch(iso: str) -> float:
    parsed = parse_instant(iso)
    return parsed.timestamp() if parsed is not None else datetime.now(UTC).timestamp()
