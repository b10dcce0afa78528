"""SharedFrontier: the Redis keys one distributed crawl shares, and the atomic steps on them.

Several `scrapy crawl news` processes ("workers") split one crawl through these keys, all under
`<BMKZ_REDIS_PREFIX>:<spider>:` (standalone Redis: the scripts build key names, so no Cluster):

| key | type | what |
| --- | --- | --- |
| `requests` | zset | the queue: serialized requests scored by -priority (scrapy-redis's PriorityQueue) |
| `dupefilter` | set | fingerprints of every request ever enqueued in this crawl |
| `workers` | set | worker ids taking part |
| `alive:<w>` | string, TTL | a worker's heartbeat; gone = the worker is dead |
| `inflight:<w>` | hash data→score | requests a worker popped and has not finished handling |
| `held:<w>` | hash data→score | handled requests that produced items: kept until its feeds are stored |
| `claims` | hash | `u:<url>`, `p:<post>:<lang>`, `h:<hash>` → the worker that exports that article |
| `claimed:<w>` | set | the claim fields a worker holds (to release them when it dies) |

A request is moved from the queue to `inflight:<w>` in one step (a *lease*), so a worker killed
mid-page loses nothing: any other worker that finds its heartbeat gone puts its in-flight and
held requests back in the queue and releases its claims. Enqueue checks the dupefilter and
pushes in one step too, so no request is ever marked seen without being queued.
When the last worker finishes with an empty queue, the crawl's keys are deleted, so the next
crawl (cron) starts from the home page again; a crawl left unfinished is resumed by the next
worker that starts with the same prefix.
"""

from __future__ import annotations

import logging
import os
import socket
import uuid
from collections.abc import Iterable
from typing import Any

from scrapy import Request
from scrapy.crawler import Crawler

logger = logging.getLogger(__name__)

_ENQUEUE = """
if ARGV[4] == '0' and redis.call('SADD', KEYS[1], ARGV[1]) == 0 then return 0 end
redis.call('ZADD', KEYS[2], ARGV[3], ARGV[2])
return 1
"""
_LEASE = """
local top = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
if #top == 0 then return false end
redis.call('ZREM', KEYS[1], top[1])
redis.call('HSET', KEYS[2], top[1], top[2])
return top[1]
"""
# ARGV[1]: '1' to move the leases into held, '0' to drop them; ARGV[2..]: request data.
_RELEASE = """
for i = 2, #ARGV do
  local score = redis.call('HGET', KEYS[1], ARGV[i])
  redis.call('HDEL', KEYS[1], ARGV[i])
  if score and ARGV[1] == '1' then redis.call('HSET', KEYS[2], ARGV[i], score) end
end
return 1
"""
# Put a hash of data→score back into the queue (KEYS[1] queue, KEYS[2] the hash).
_REQUEUE = """
local entries = redis.call('HGETALL', KEYS[2])
for i = 1, #entries, 2 do redis.call('ZADD', KEYS[1], entries[i + 1], entries[i]) end
redis.call('DEL', KEYS[2])
return #entries / 2
"""
# Hand the work of every worker whose heartbeat is gone back to the queue (ARGV[1]: prefix).
_RECOVER = """
local p = ARGV[1]
local recovered = 0
for _, w in ipairs(redis.call('SMEMBERS', p .. 'workers')) do
  if redis.call('EXISTS', p .. 'alive:' .. w) == 0 then
    for _, name in ipairs({'inflight:', 'held:'}) do
      local entries = redis.call('HGETALL', p .. name .. w)
      for i = 1, #entries, 2 do
        redis.call('ZADD', p .. 'requests', entries[i + 1], entries[i])
        recovered = recovered + 1
      end
    end
    for _, field in ipairs(redis.call('SMEMBERS', p .. 'claimed:' .. w)) do
      if redis.call('HGET', p .. 'claims', field) == w then redis.call('HDEL', p .. 'claims', field) end
    end
    redis.call('DEL', p .. 'inflight:' .. w, p .. 'held:' .. w, p .. 'claimed:' .. w)
    redis.call('SREM', p .. 'workers', w)
  end
end
return recovered
"""
# ARGV[1] worker; ARGV[2..] claim fields. Returns the first field another worker holds, or false.
_CLAIM = """
for i = 2, #ARGV do
  local owner = redis.call('HGET', KEYS[1], ARGV[i])
  if owner and owner ~= ARGV[1] then return ARGV[i] end
end
for i = 2, #ARGV do
  redis.call('HSET', KEYS[1], ARGV[i], ARGV[1])
  redis.call('SADD', KEYS[2], ARGV[i])
end
return false
"""
# A worker leaves; the last one out with an empty queue deletes the crawl. Returns 1 if deleted.
_FINISH = """
local p, w = ARGV[1], ARGV[2]
redis.call('DEL', p .. 'alive:' .. w, p .. 'inflight:' .. w, p .. 'held:' .. w, p .. 'claimed:' .. w)
redis.call('SREM', p .. 'workers', w)
if redis.call('SCARD', p .. 'workers') == 0 and redis.call('ZCARD', p .. 'requests') == 0 then
  redis.call('DEL', p .. 'requests', p .. 'dupefilter', p .. 'claims', p .. 'workers')
  return 1
end
return 0
"""

_CRAWLER_ATTRIBUTE = "bmkz_shared_frontier"


def frontier_for(crawler: Crawler) -> SharedFrontier:
    """The crawl's one SharedFrontier, shared by the scheduler, the worker extension and the
    lease middleware and claim pipeline."""
    frontier: SharedFrontier | None = getattr(crawler, _CRAWLER_ATTRIBUTE, None)
    if frontier is None:
        from scrapy_redis.connection import get_redis_from_settings

        settings = crawler.settings
        prefix = f"{settings.get('BMKZ_REDIS_PREFIX') or 'bmkz'}:{crawler.spidercls.name}:"
        frontier = SharedFrontier(
            get_redis_from_settings(settings), prefix, ttl=settings.getfloat("BMKZ_REDIS_WORKER_TTL", 30.0)
        )
        setattr(crawler, _CRAWLER_ATTRIBUTE, frontier)
    return frontier


class SharedFrontier:
    """One worker's handle on the shared crawl. Used from the reactor thread only."""

    def __init__(self, server: Any, prefix: str, *, ttl: float = 30.0, worker: str | None = None) -> None:
        self.server = server
        self.prefix = prefix
        self.ttl = ttl
        self.worker = worker or f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self.queue_key = prefix + "requests"
        self.dupefilter_key = prefix + "dupefilter"
        self._scripts = {
            name: server.register_script(source)
            for name, source in {
                "enqueue": _ENQUEUE,
                "lease": _LEASE,
                "release": _RELEASE,
                "requeue": _REQUEUE,
                "recover": _RECOVER,
                "claim": _CLAIM,
                "finish": _FINISH,
            }.items()
        }
        self._leases: dict[int, bytes] = {}  # id(request) -> its data, while in flight here
        self._done_now: list[tuple[bytes, bool]] = []  # finished since the last heartbeat
        self._done_before: list[tuple[bytes, bool]] = []  # finished before the last heartbeat

    def _key(self, name: str, worker: str | None = None) -> str:
        return f"{self.prefix}{name}:{worker or self.worker}"

    # --- queue ------------------------------------------------------------------------------

    def enqueue(self, fingerprint: str, data: bytes, priority: int, *, dont_filter: bool) -> bool:
        """Queue a request unless its fingerprint was seen in this crawl (one atomic step)."""
        args = [fingerprint, data, -priority, "1" if dont_filter else "0"]
        return bool(self._scripts["enqueue"](keys=[self.dupefilter_key, self.queue_key], args=args))

    def lease(self) -> bytes | None:
        """The highest-priority request's data, moved to this worker's in-flight hash."""
        data = self._scripts["lease"](keys=[self.queue_key, self._key("inflight")])
        return data or None

    def track(self, request: Request, data: bytes) -> None:
        self._leases[id(request)] = data

    def done(self, request: Request, *, hold: bool) -> None:
        """The request's response was handled. Its lease is released one heartbeat later (the
        requests it yielded are scheduled by then); `hold` keeps it until the feeds are stored."""
        data = self._leases.pop(id(request), None)
        if data is not None:
            self._done_now.append((data, hold))

    def pending_queue(self) -> int:
        return int(self.server.zcard(self.queue_key))

    # --- workers ------------------------------------------------------------------------------

    def register(self) -> int:
        """Join the crawl, then recover the work of dead workers (a crashed earlier run)."""
        self.beat()
        self.server.sadd(self.prefix + "workers", self.worker)
        return self.recover()

    def beat(self) -> None:
        """Heartbeat: refresh this worker's liveness and release leases finished a beat ago."""
        self.server.set(self._key("alive"), "1", px=int(self.ttl * 1000))
        self._release(self._done_before)
        self._done_before, self._done_now = self._done_now, []

    def release_all(self) -> None:
        """The engine is idle: nothing is in flight here, every lease can go (failed downloads too)."""
        self._release(self._done_before + self._done_now)
        self._done_before, self._done_now = [], []
        stale = list(self._leases.values())
        self._leases.clear()
        self._release([(data, False) for data in stale])

    def requeue_unfinished(self) -> int:
        """Closing before the work was done (shutdown, limit): give back what was not handled."""
        self._release(self._done_before + self._done_now)
        self._done_before, self._done_now = [], []
        self._leases.clear()
        return int(self._scripts["requeue"](keys=[self.queue_key, self._key("inflight")]))

    def recover(self) -> int:
        """Requeue the in-flight and held requests of workers whose heartbeat is gone."""
        return int(self._scripts["recover"](args=[self.prefix]))

    def others_busy(self) -> list[str]:
        """Live workers other than this one that hold in-flight requests (they may queue more)."""
        busy = []
        for raw in self.server.smembers(self.prefix + "workers"):
            worker = raw.decode() if isinstance(raw, bytes) else raw
            if worker == self.worker or not self.server.exists(self._key("alive", worker)):
                continue
            if self.server.hlen(self._key("inflight", worker)):
                busy.append(worker)
        return busy

    def finish(self) -> bool:
        """Leave the crawl; True when this was the last worker and the crawl's keys were deleted."""
        self._leases.clear()
        return bool(self._scripts["finish"](args=[self.prefix, self.worker]))

    def _release(self, entries: Iterable[tuple[bytes, bool]]) -> None:
        for hold in (True, False):
            batch = [data for data, held in entries if held is hold]
            if batch:
                self._scripts["release"](
                    keys=[self._key("inflight"), self._key("held")], args=["1" if hold else "0", *batch]
                )

    # --- articles -----------------------------------------------------------------------------

    def claim(self, fields: list[str]) -> str | None:
        """Claim an article for this worker's feed; the field another worker holds, or None."""
        if not fields:
            return None
        owner = self._scripts["claim"](keys=[self.prefix + "claims", self._key("claimed")], args=[self.worker, *fields])
        if not owner:
            return None
        return owner.decode() if isinstance(owner, bytes) else str(owner)
