"""Politeness by the site's own word (robots.txt's Crawl-delay, Request-rate) and the request cap.

The gate and the middlewares run on a fake clock (nothing sleeps for real); two real crawls of a
tiny site on 127.0.0.1 check what the site sees: request starts a Crawl-delay apart, and no more
requests than BMKZ_MAX_REQUESTS.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from scrapy import Request
from scrapy.exceptions import NotConfigured
from scrapy.robotstxt import ProtegoRobotParser
from scrapy.utils.test import get_crawler

from bmkz_crawler.commands.cron import CrawlOutcome
from bmkz_crawler.politeness import (
    CRAWL_DELAY_WAITS,
    REQUEST_CAP_REFUSED,
    SLOT_POLL,
    CrawlDelayMiddleware,
    HostGate,
    RequestCapMiddleware,
    RequestCapReached,
    asked_delay,
)
from tests.crawl import CrawlResult, run_crawl
from tests.hostile_site import article_html, listing_html

AGENT = "bmkz_crawler/0.1 (+https://example.org/contact)"


def robots(text: str) -> ProtegoRobotParser:
    return ProtegoRobotParser(text.encode("utf-8"), None)


# --- what robots.txt asks ------------------------------------------------------------------------


def test_crawl_delay_of_the_star_group_applies_to_us() -> None:
    assert asked_delay(robots("User-agent: *\nCrawl-delay: 2.5\n"), AGENT) == (2.5, "a Crawl-delay of 2.5 s")


def test_our_own_group_wins_over_the_star_group() -> None:
    parser = robots("User-agent: *\nCrawl-delay: 10\n\nUser-agent: bmkz_crawler\nCrawl-delay: 1\n")
    assert asked_delay(parser, AGENT) == (1.0, "a Crawl-delay of 1 s")


def test_another_robots_group_does_not_apply() -> None:
    assert asked_delay(robots("User-agent: Googlebot\nCrawl-delay: 10\n"), AGENT) is None
    assert asked_delay(robots("User-agent: *\nDisallow: /wp-admin/\n"), AGENT) is None


def test_request_rate_is_seconds_per_request_and_the_larger_ask_wins() -> None:
    delay, how = asked_delay(robots("User-agent: *\nRequest-rate: 1/5s\n"), AGENT)
    assert delay == 5.0 and how.startswith("a Request-rate of 1/5s")
    assert asked_delay(robots("User-agent: *\nRequest-rate: 1/5s\nCrawl-delay: 2\n"), AGENT)[0] == 5.0
    assert asked_delay(robots("User-agent: *\nRequest-rate: 6/1m\nCrawl-delay: 20\n"), AGENT)[0] == 20.0


# --- the gate ------------------------------------------------------------------------------------------


def test_the_gate_spaces_starts_by_the_delay() -> None:
    gate = HostGate()
    assert gate.wait(100.0, 2.0, None) == 0
    gate.take(100.0, 2.0)
    assert gate.wait(100.5, 2.0, None) == pytest.approx(1.5)
    assert gate.wait(102.0, 2.0, None) == 0


def test_a_start_before_the_delay_was_known_counts_robots_txt_included() -> None:
    # robots.txt itself started at 50.0 (the slot's record); the first page waits a delay after it
    assert HostGate().wait(50.2, 1.0, (0, 50.0)) == pytest.approx(0.8)


def test_a_request_the_download_slot_still_holds_blocks_the_next_and_counts_from_its_real_start() -> None:
    gate = HostGate()
    gate.take(10.0, 1.0)  # let go at 10.0, but Scrapy's slot holds it (its concurrency is full)
    assert gate.wait(11.5, 1.0, (1, 9.0)) == SLOT_POLL  # past the reservation, still held: look again
    # the slot started it at 12.0: the next one goes a delay after that, not after 11.0
    assert gate.wait(12.3, 1.0, (0, 12.0)) == pytest.approx(0.7)
    assert gate.wait(13.0, 1.0, (0, 12.0)) == 0


# --- the middleware, on a fake clock ---------------------------------------------------------------------


@dataclass
class FakeTime:
    now: float = 1000.0
    sleeps: list[float] = field(default_factory=list)

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def delay_middleware(fake: FakeTime, **settings: object) -> CrawlDelayMiddleware:
    crawler = get_crawler(settings_dict={"USER_AGENT": AGENT, **settings})
    crawler.stats.open_spider()
    return CrawlDelayMiddleware(crawler, clock=fake.clock, sleeper=fake.sleep, slot_state=lambda request: None)


def starts(middleware: CrawlDelayMiddleware, fake: FakeTime, requests: list[Request]) -> list[float]:
    async def run() -> list[float]:
        times = []
        for request in requests:
            await middleware.process_request(request)
            times.append(fake.now)
        return times

    return asyncio.run(run())


def test_requests_to_a_host_with_a_crawl_delay_start_that_far_apart(caplog: pytest.LogCaptureFixture) -> None:
    fake = FakeTime()
    middleware = delay_middleware(fake)
    with caplog.at_level(logging.INFO, logger="bmkz_crawler.politeness"):
        middleware.robots_parsed(robots("User-agent: *\nCrawl-delay: 3\n"), Request("https://bm.kz/"))
    pages = [Request(f"https://bm.kz/p{i}/") for i in range(3)]
    pages.append(Request("https://bm.kz/robots.txt", meta={"dont_obey_robotstxt": True}))  # waits too
    assert starts(middleware, fake, pages) == [1000.0, 1003.0, 1006.0, 1009.0]
    assert middleware.crawler.stats.get_value(CRAWL_DELAY_WAITS) == 3
    assert "robots.txt asks for a Crawl-delay of 3 s on bm.kz: honoured" in caplog.messages


def test_another_host_and_a_host_without_a_delay_do_not_wait() -> None:
    fake = FakeTime()
    middleware = delay_middleware(fake)
    middleware.robots_parsed(robots("User-agent: *\nCrawl-delay: 3\n"), Request("https://bm.kz/"))
    middleware.robots_parsed(robots("User-agent: *\nAllow: /\n"), Request("https://kaz.bm.kz/"))
    pages = [Request("https://kaz.bm.kz/a/"), Request("https://kaz.bm.kz/b/"), Request("https://bm.kz:8443/")]
    assert starts(middleware, fake, pages) == [1000.0, 1000.0, 1000.0]
    assert fake.sleeps == []


def test_an_absurd_delay_is_capped_with_a_warning(caplog: pytest.LogCaptureFixture) -> None:
    fake = FakeTime()
    middleware = delay_middleware(fake, BMKZ_MAX_CRAWL_DELAY=60)
    middleware.robots_parsed(robots("User-agent: *\nCrawl-delay: 86400\n"), Request("https://bm.kz/"))
    assert starts(middleware, fake, [Request("https://bm.kz/a/"), Request("https://bm.kz/b/")]) == [1000.0, 1060.0]
    [record] = [r for r in caplog.records if r.name == "bmkz_crawler.politeness"]
    assert record.levelno == logging.WARNING
    assert "Crawl-delay of 86400 s on bm.kz: more than BMKZ_MAX_CRAWL_DELAY=60" in record.getMessage()


# --- the request cap ----------------------------------------------------------------------------------------


def test_the_request_cap_lets_that_many_go_closes_once_and_refuses_the_rest(monkeypatch) -> None:
    crawler = get_crawler(settings_dict={"BMKZ_MAX_REQUESTS": 2})
    crawler.stats.open_spider()
    middleware = RequestCapMiddleware.from_crawler(crawler)
    closes: list[int] = []
    monkeypatch.setattr(middleware, "close", lambda: closes.append(middleware.sent))
    assert middleware.process_request(Request("https://bm.kz/robots.txt")) is None
    assert middleware.process_request(Request("https://bm.kz/")) is None
    for url in ("https://bm.kz/a/", "https://bm.kz/b/"):
        with pytest.raises(RequestCapReached, match="BMKZ_MAX_REQUESTS=2"):
            middleware.process_request(Request(url))
    assert closes == [2]
    assert crawler.stats.get_value(REQUEST_CAP_REFUSED) == 2


def test_no_cap_by_default() -> None:
    with pytest.raises(NotConfigured):
        RequestCapMiddleware.from_crawler(get_crawler(settings_dict={"BMKZ_MAX_REQUESTS": 0}))


def test_cron_counts_the_request_cap_as_a_deliberate_stop() -> None:
    stats = {"finish_reason": "request_cap", "response_received_count": 3, "item_scraped_count": 1}
    assert CrawlOutcome("news", stats, 0.1).failures() == []


# --- real crawls of a tiny site on 127.0.0.1 -----------------------------------------------------------------

ARTICLES = ("/politika/odin/", "/politika/dva/", "/politika/tri/")


@dataclass
class TinySite:
    base_url: str
    seen: list[tuple[float, str]] = field(default_factory=list)  # (monotonic time, path) as each arrived


@contextmanager
def running_tiny_site(robots_txt: str) -> Iterator[TinySite]:
    """A home page listing three articles, and the given robots.txt."""
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

        def do_GET(self) -> None:
            with lock:
                site.seen.append((time.monotonic(), self.path))
            if self.path == "/robots.txt":
                status, body, kind = 200, robots_txt, "text/plain"
            elif self.path == "/":
                status, body, kind = 200, listing_html(list(ARTICLES), None), "text/html; charset=utf-8"
            elif self.path in ARTICLES:
                number = 300 + ARTICLES.index(self.path)
                page = article_html(site.base_url, self.path, number, f"Новость номер {number}")
                status, body, kind = 200, page, "text/html; charset=utf-8"
            else:
                status, body, kind = 404, "<html><body>Нет</body></html>", "text/html; charset=utf-8"
            data = body.encode("utf-8")
            self.send_response(status)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    site = TinySite(f"http://127.0.0.1:{server.server_address[1]}/")
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield site
    finally:
        server.shutdown()
        server.server_close()


def test_a_real_crawl_starts_requests_a_crawl_delay_apart_whatever_the_concurrency(tmp_path: Path) -> None:
    with running_tiny_site("User-agent: *\nCrawl-delay: 1\nAllow: /\n") as site:
        # tests/crawl.py's settings: 32 concurrent requests per host, no DOWNLOAD_DELAY, no AutoThrottle
        result = run_crawl(site.base_url, tmp_path, args={"sources": "menu"}, timeout=60)
    assert result.returncode == 0, result.log[-3000:]
    paths = [path for _, path in site.seen]
    assert sorted(paths) == sorted(["/robots.txt", "/", *ARTICLES])
    times = [at for at, _ in site.seen]
    gaps = [later - earlier for earlier, later in itertools.pairwise(times)]
    assert min(gaps) >= 0.95, gaps  # robots.txt to the home page included
    assert len(result.items) == len(ARTICLES)
    assert result.stat(CRAWL_DELAY_WAITS) >= 3
    host = site.base_url.removeprefix("http://").rstrip("/")
    assert f"robots.txt asks for a Crawl-delay of 1 s on {host}: honoured" in result.log


@pytest.fixture(scope="module")
def capped_crawl(tmp_path_factory: pytest.TempPathFactory) -> tuple[CrawlResult, TinySite]:
    with running_tiny_site("User-agent: *\nAllow: /\n") as site:
        workdir = tmp_path_factory.mktemp("capped")
        result = run_crawl(
            site.base_url, workdir, args={"sources": "menu"}, settings={"BMKZ_MAX_REQUESTS": "3"}, timeout=60
        )
    return result, site


def test_a_real_crawl_sends_at_most_bmkz_max_requests_and_finishes_as_request_cap(
    capped_crawl: tuple[CrawlResult, TinySite],
) -> None:
    result, site = capped_crawl
    assert result.returncode == 0, result.log[-3000:]
    assert len(site.seen) <= 3  # robots.txt is one of them
    assert site.seen[0][1] == "/robots.txt"
    assert result.stat("finish_reason") == "request_cap"
    assert "BMKZ_MAX_REQUESTS=3 requests sent: closing the crawl (request_cap)" in result.log


def test_requests_refused_by_the_cap_are_not_errors_and_cron_says_ok(
    capped_crawl: tuple[CrawlResult, TinySite],
) -> None:
    result, _ = capped_crawl
    assert result.stat(REQUEST_CAP_REFUSED) >= 1  # the home page's other two articles
    assert CrawlOutcome("news", result.stats, 0.1).failures() == []
