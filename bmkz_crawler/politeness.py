"""Politeness by the site's own word, and a budget by the operator's: robots.txt's Crawl-delay, a request cap.

Scrapy's RobotsTxtMiddleware obeys robots.txt's Allow/Disallow but ignores its `Crawl-delay`
and `Request-rate`, though its parser reads both. `CrawlDelayMiddleware` takes them from the
very parser Scrapy built for each host (the `robots_parsed` signal: robots.txt is not fetched
again) and, for the rest of the crawl, lets no two requests to that host start less than that
many seconds apart, whatever CONCURRENT_REQUESTS_PER_DOMAIN, DOWNLOAD_DELAY or AutoThrottle say
(they only ever add to the wait). `RequestCapMiddleware` stops the crawl once it has sent
BMKZ_MAX_REQUESTS requests.

Both sit last before the downloader (settings.py says why), so a request counted or let go here
is one the downloader starts at once — or holds in its slot, which `HostGate` accounts for.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Self

from scrapy import Request, Spider, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import IgnoreRequest, NotConfigured
from scrapy.utils.asyncio import sleep
from scrapy.utils.defer import deferred_from_coro
from scrapy.utils.httpobj import urlparse_cached

from bmkz_crawler.compat import download_slot_state, robots_request_rate

logger = logging.getLogger(__name__)

CRAWL_DELAY_WAITS = "bmkz/politeness/crawl_delay_waits"  # requests that waited for a host's Crawl-delay
REQUEST_CAP_REFUSED = "bmkz/politeness/request_cap_refused"  # requests not sent: BMKZ_MAX_REQUESTS reached
REQUEST_CAP = "request_cap"  # the finish reason
# How often a request waiting behind one Scrapy still holds in its download slot looks again.
SLOT_POLL = 0.1

SlotState = tuple[int, float] | None  # (requests queued in the download slot, monotonic time of its last start)


def asked_delay(parser: Any, user_agent: str) -> tuple[float, str] | None:
    """The seconds between requests robots.txt asks of this user agent (its group, else `*`),
    the larger of Crawl-delay and Request-rate's seconds per request, and how it was asked."""
    asked: list[tuple[float, str]] = []
    crawl_delay = getattr(parser, "crawl_delay", None)
    delay = crawl_delay(user_agent) if callable(crawl_delay) else None
    if delay is not None and math.isfinite(float(delay)) and float(delay) > 0:
        asked.append((float(delay), f"a Crawl-delay of {float(delay):g} s"))
    rate = robots_request_rate(parser, user_agent)
    if rate is not None and rate[0] > 0 and rate[1] > 0:
        per_request = rate[1] / rate[0]
        asked.append((per_request, f"a Request-rate of {rate[0]}/{rate[1]}s ({per_request:g} s between requests)"))
    return max(asked) if asked else None


@dataclass
class HostGate:
    """When the next request to one host may start.

    `next_start` is the reservation made when the last request was let go. The download slot
    may still hold that request (its concurrency is full, or its own delay is running), so it
    starts later than it was let go: while the slot holds any request, nothing more is let go,
    and the next start counts from the slot's own record of its last start."""

    next_start: float = -math.inf

    def wait(self, now: float, delay: float, slot: SlotState) -> float:
        """Seconds to wait before looking again; 0: the request may go now."""
        earliest = self.next_start
        if slot is not None:
            queued, last_start = slot
            if queued:
                return max(SLOT_POLL, earliest - now)
            earliest = max(earliest, last_start + delay)
        return max(0.0, earliest - now)

    def take(self, now: float, delay: float) -> None:
        """The request goes now: reserve the next start."""
        self.next_start = now + delay


class CrawlDelayMiddleware:
    """Honours robots.txt's Crawl-delay (or Request-rate) per host, capped at BMKZ_MAX_CRAWL_DELAY.

    Requests with `dont_obey_robotstxt` wait too: the delay is about the site's load, not its
    rules. A host whose robots.txt states no delay (or was not read) is not touched."""

    def __init__(
        self,
        crawler: Crawler,
        *,
        clock: Callable[[], float] = time.monotonic,  # the downloader's clock (Slot.lastseen)
        sleeper: Callable[[float], Awaitable[Any]] = sleep,
        slot_state: Callable[[Request], SlotState] | None = None,
    ) -> None:
        self.crawler = crawler
        self.max_delay = crawler.settings.getfloat("BMKZ_MAX_CRAWL_DELAY", 60.0)
        self.clock = clock
        self.sleeper = sleeper
        self.slot_state = slot_state or (lambda request: download_slot_state(crawler.engine, request))
        self.delays: dict[str, float] = {}  # netloc -> seconds between starts
        self.gates: dict[str, HostGate] = {}

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        middleware = cls(crawler)
        crawler.signals.connect(middleware.robots_parsed, signal=signals.robots_parsed)
        return middleware

    def user_agent(self, request: Request) -> str:
        """The User-Agent robots.txt is asked about, chosen as RobotsTxtMiddleware chooses it."""
        settings = self.crawler.settings
        agent = settings.get("ROBOTSTXT_USER_AGENT") or request.headers.get(b"User-Agent") or settings.get("USER_AGENT")
        return agent.decode("latin-1") if isinstance(agent, bytes) else str(agent or "")

    def robots_parsed(self, robotparser: Any, request: Request) -> None:
        """Scrapy read a host's robots.txt (once per host): note the delay it asks for."""
        host = urlparse_cached(request).netloc
        asked = asked_delay(robotparser, self.user_agent(request))
        if asked is None:
            return
        delay, how = asked
        if delay > self.max_delay:
            if self.max_delay <= 0:
                logger.warning("robots.txt asks for %s on %s: not honoured (BMKZ_MAX_CRAWL_DELAY=0)", how, host)
                return
            logger.warning(
                "robots.txt asks for %s on %s: more than BMKZ_MAX_CRAWL_DELAY=%g, waiting %g s between requests",
                how,
                host,
                self.max_delay,
                self.max_delay,
            )
            delay = self.max_delay
        else:
            logger.info("robots.txt asks for %s on %s: honoured", how, host)
        self.delays[host] = delay

    def delay_for(self, request: Request) -> tuple[str, float]:
        host = urlparse_cached(request).netloc
        return host, self.delays.get(host, 0.0)

    async def process_request(self, request: Request, spider: Spider | None = None) -> None:
        host, delay = self.delay_for(request)
        if delay <= 0:
            return
        gate = self.gates.setdefault(host, HostGate())
        counted = False
        while (wait := gate.wait(self.clock(), delay, self.slot_state(request))) > 0:
            if not counted:
                counted = True
                self.crawler.stats.inc_value(CRAWL_DELAY_WAITS)
            await self.sleeper(wait)
        gate.take(self.clock(), delay)


class RequestCapReached(IgnoreRequest):
    """A request not sent: the crawl has sent BMKZ_MAX_REQUESTS requests already."""


class RequestCapMiddleware:
    """At most BMKZ_MAX_REQUESTS requests go out per run (robots.txt, retries and redirects
    included; a page replayed from HTTPCACHE is not sent and not counted). Once the last one is
    sent, the crawl closes with finish reason `request_cap`: what is in flight is finished and
    exported, anything else is refused (`RequestCapReached`, counted). Off when 0."""

    def __init__(self, crawler: Crawler, cap: int) -> None:
        self.crawler = crawler
        self.cap = cap
        self.sent = 0

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        cap = crawler.settings.getint("BMKZ_MAX_REQUESTS", 0)
        if cap <= 0:
            raise NotConfigured
        return cls(crawler, cap)

    def process_request(self, request: Request, spider: Spider | None = None) -> None:
        if self.sent >= self.cap:
            self.crawler.stats.inc_value(REQUEST_CAP_REFUSED)
            raise RequestCapReached(f"BMKZ_MAX_REQUESTS={self.cap} requests sent already: {request.url}")
        self.sent += 1
        if self.sent == self.cap:
            self.close()

    def close(self) -> None:
        logger.warning(
            "BMKZ_MAX_REQUESTS=%d requests sent: closing the crawl (%s); nothing more is sent",
            self.cap,
            REQUEST_CAP,
        )
        if self.crawler.crawling and self.crawler.engine is not None:
            # Not awaited: closing waits for the requests in flight, the last one included.
            deferred_from_coro(self.crawler.engine.close_spider_async(reason=REQUEST_CAP))
