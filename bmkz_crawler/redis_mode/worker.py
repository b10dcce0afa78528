"""RedisWorker and LeaseMiddleware: one process's part in a shared crawl.

RedisWorker (an extension) joins the crawl when the spider opens, beats a heartbeat every third
of `BMKZ_REDIS_WORKER_TTL`, hands the work of dead workers back to the queue, and decides when
this process may stop: only when the shared queue is empty *and* no other live worker holds an
in-flight request (a page still being handled elsewhere may queue more). Without that wait a
process would stop as soon as the queue is momentarily empty, or never start working at all when
it joins while another holds the only request. It leaves the crawl when the engine has stopped,
after its feeds were stored, and the last one out deletes the crawl's keys.

LeaseMiddleware (a spider middleware) tells the frontier when a response's output has been
handled; a response that produced an item stays held until the feeds are stored, so that a
worker killed with items still in its feed buffer has those pages fetched again elsewhere.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Iterable
from typing import Any, Self

from scrapy import Request, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import DontCloseSpider, NotConfigured
from scrapy.http import Response
from twisted.internet.task import LoopingCall

from bmkz_crawler.compat import wake_engine
from bmkz_crawler.redis_mode.frontier import SharedFrontier, frontier_for

logger = logging.getLogger(__name__)


class RedisWorker:
    def __init__(self, crawler: Crawler, frontier: SharedFrontier) -> None:
        self.crawler = crawler
        self.frontier = frontier
        self.stats = crawler.stats
        self._heartbeat: LoopingCall | None = None
        self._watcher: LoopingCall | None = None
        self._waiting_logged = False

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        if not crawler.settings.get("BMKZ_REDIS_URL"):
            raise NotConfigured("BMKZ_REDIS_URL is not set")
        worker = cls(crawler, frontier_for(crawler))
        crawler.signals.connect(worker.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(worker.spider_idle, signal=signals.spider_idle)
        crawler.signals.connect(worker.engine_stopped, signal=signals.engine_stopped)
        return worker

    def spider_opened(self) -> None:
        recovered = self.frontier.register()
        self._count_recovered(recovered)
        logger.info(
            "Redis mode: worker %s joined %s (%d requests queued)",
            self.frontier.worker,
            self.frontier.prefix.rstrip(":"),
            self.frontier.pending_queue(),
        )
        self._heartbeat = LoopingCall(self._beat)
        self._heartbeat.start(max(self.frontier.ttl / 3, 0.2), now=False)

    def _beat(self) -> None:
        try:
            self.frontier.beat()
        except Exception:  # a Redis hiccup must not stop the heartbeat for good
            logger.exception("Redis mode: heartbeat failed")

    def spider_idle(self) -> None:
        # The engine is idle: nothing of ours is in flight, so every lease can be released.
        self.frontier.release_all()
        self._count_recovered(self.frontier.recover())
        if self.frontier.pending_queue():
            self._watch_queue()
            raise DontCloseSpider("requests are queued in Redis")
        busy = self.frontier.others_busy()
        if busy:
            self.stats.inc_value("bmkz/redis/idle_waits")
            if not self._waiting_logged:
                logger.info("Redis mode: queue empty, waiting for %d busy worker(s): %s", len(busy), ", ".join(busy))
                self._waiting_logged = True
            self._watch_queue()
            raise DontCloseSpider("other workers are still handling pages")

    def _watch_queue(self) -> None:
        """While waiting, look at the shared queue twice a second and wake the engine when it has
        requests. Scrapy itself asks an idle scheduler again only every 5 s (the engine's slot
        heartbeat), long enough for a busy worker to take a small crawl alone. Waking it goes
        through the engine's private `_slot.nextcall`; without it, the 5 s heartbeat remains."""
        if self._watcher is None or not self._watcher.running:
            self._watcher = LoopingCall(self._wake_if_queued)
            self._watcher.start(0.5, now=False)

    def _wake_if_queued(self) -> None:
        if not self.frontier.pending_queue():
            return
        wake_engine(self.crawler.engine)
        if self._watcher is not None and self._watcher.running:
            self._watcher.stop()

    def engine_stopped(self) -> None:
        for loop in (self._heartbeat, self._watcher):
            if loop is not None and loop.running:
                loop.stop()
        if self.frontier.finish():
            logger.info(
                "Redis mode: last worker out, the shared crawl %s is complete", self.frontier.prefix.rstrip(":")
            )

    def _count_recovered(self, recovered: int) -> None:
        if recovered:
            self.stats.inc_value("bmkz/redis/recovered", recovered)
            logger.warning("Redis mode: %d requests of dead workers put back in the queue", recovered)


class LeaseMiddleware:
    """Marks a leased request done once its callback's output has been passed on."""

    def __init__(self, frontier: SharedFrontier) -> None:
        self.frontier = frontier

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        if not crawler.settings.get("BMKZ_REDIS_URL"):
            raise NotConfigured("BMKZ_REDIS_URL is not set")
        return cls(frontier_for(crawler))

    def process_spider_output(self, response: Response, result: Iterable[Any]) -> Iterable[Any]:
        produced_item = False
        try:
            for output in result:
                produced_item = produced_item or not isinstance(output, Request)
                yield output
        finally:
            self.frontier.done(response.request, hold=produced_item)

    async def process_spider_output_async(self, response: Response, result: AsyncIterator[Any]) -> AsyncIterator[Any]:
        produced_item = False
        try:
            async for output in result:
                produced_item = produced_item or not isinstance(output, Request)
                yield output
        finally:
            self.frontier.done(response.request, hold=produced_item)
