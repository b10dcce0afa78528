"""scrapy-redis 0.9.1's scheduler and dupefilter, adapted to Scrapy 2.19 and to workers that die.

What is bridged here, and why (the README's "Distributed crawls with Redis" says the same):

- `Scheduler` passes `spider=` to `StatsCollector.inc_value`, deprecated since Scrapy 2.15
  (a ScrapyDeprecationWarning per crawl): this scheduler counts without it.
- `RFPDupeFilter.request_fingerprint` hashes its own JSON of method, URL and body and ignores the
  crawler's `REQUEST_FINGERPRINTER`: this one uses `crawler.request_fingerprinter`, so Redis mode
  sees the same duplicates as a normal crawl.
- `enqueue_request` adds the fingerprint and then pushes the request in two round trips, and
  `PriorityQueue.pop` deletes the request from Redis before it is fetched: a process killed in
  between loses requests that no other process will ever queue again (the fingerprint is taken).
  Here both are single Lua steps of SharedFrontier, and a popped request stays leased to this
  worker until it is handled.
- `close` with `SCHEDULER_PERSIST = False` deletes the shared queue under the other workers'
  feet, and with `True` it keeps the dupefilter for ever, so the next day's crawl filters the home
  page and fetches nothing. Here closing gives back unhandled requests, and the last worker out
  deletes the crawl's keys (SharedFrontier.finish, called by RedisWorker).

Requests also carry the sites and editions their creator knew (`bmkz_sites`): a worker that pops
a request without having read the home page learns them, so the stay-on-site guard
(OffsiteAndAssetFilter) and the policy accept the other edition's host.
"""

from __future__ import annotations

from typing import Any, Self

from scrapy import Request, Spider
from scrapy.crawler import Crawler
from scrapy_redis.dupefilter import RFPDupeFilter
from scrapy_redis.scheduler import Scheduler

from bmkz_crawler.compat import redis_decode_request, redis_encode_request
from bmkz_crawler.policy import crawl_policy
from bmkz_crawler.redis_mode.frontier import SharedFrontier, frontier_for

SITES_META = "bmkz_sites"


class FingerprintDupeFilter(RFPDupeFilter):
    """scrapy-redis's Redis set of fingerprints, with Scrapy's own request fingerprints."""

    def __init__(self, server: Any, key: str, debug: bool = False, fingerprinter: Any = None) -> None:
        super().__init__(server, key, debug)
        self.fingerprinter = fingerprinter

    @classmethod
    def from_spider(cls, spider: Spider) -> Self:
        frontier = frontier_for(spider.crawler)
        debug = spider.crawler.settings.getbool("DUPEFILTER_DEBUG")
        return cls(frontier.server, frontier.dupefilter_key, debug, spider.crawler.request_fingerprinter)

    def request_fingerprint(self, request: Request) -> str:
        if self.fingerprinter is None:
            return super().request_fingerprint(request)
        return self.fingerprinter.fingerprint(request).hex()


class RedisScheduler(Scheduler):
    """The shared frontier: scrapy-redis's queue and dupefilter keys, leased pops, atomic enqueue."""

    frontier: SharedFrontier
    crawler: Crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        scheduler = cls.from_settings(crawler.settings)
        scheduler.crawler = crawler
        scheduler.stats = crawler.stats
        scheduler.frontier = frontier_for(crawler)
        return scheduler

    def enqueue_request(self, request: Request) -> bool:
        _stamp_sites(request, self.spider)
        data = redis_encode_request(self.queue, request)
        fingerprint = self.df.request_fingerprint(request)
        if not self.frontier.enqueue(fingerprint, data, request.priority, dont_filter=request.dont_filter):
            self.df.log(request, self.spider)
            return False
        self.stats.inc_value("scheduler/enqueued/redis")
        return True

    def next_request(self) -> Request | None:
        data = self.frontier.lease()
        if data is None:
            return None
        request = redis_decode_request(self.queue, data)
        self.frontier.track(request, data)
        _learn_sites(request, self.spider)
        self.stats.inc_value("scheduler/dequeued/redis")
        return request

    def close(self, reason: str) -> None:
        # Never flush: the queue is shared. Requests popped here but not handled go back.
        returned = self.frontier.requeue_unfinished()
        if returned:
            self.stats.inc_value("bmkz/redis/requeued_on_close", returned)


def _stamp_sites(request: Request, spider: Spider) -> None:
    policy = crawl_policy(spider.crawler)
    if policy is not None:
        request.meta[SITES_META] = {"sites": list(policy.homes), "editions": dict(policy.editions)}


def _learn_sites(request: Request, spider: Spider) -> None:
    """Merge what the request's creator knew into this worker's policy (see the module doc)."""
    known = request.meta.get(SITES_META)
    policy = crawl_policy(spider.crawler)
    if not known or policy is None:
        return
    for url in known.get("sites", ()):
        policy.learn_home(url)
    for language, home in known.get("editions", {}).items():
        policy.editions.setdefault(language, home)
