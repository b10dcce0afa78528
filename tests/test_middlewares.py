"""Retries wait with exponential backoff (or as Retry-After asks); requests stay on the site."""

from __future__ import annotations

import subprocess
import sys

import pytest
from scrapy import Request, Spider
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Response
from scrapy.utils.test import get_crawler

from bmkz_crawler.extensions import CrawlProgress
from bmkz_crawler.middlewares import DELAY_KEY, BackoffRetryMiddleware, OffsiteAndAssetFilter
from bmkz_crawler.policy import CrawlPolicy
from bmkz_crawler.spiders.arguments import CrawlArguments
from tests.crawl import PROJECT


def retry_middleware(**settings: object) -> BackoffRetryMiddleware:
    defaults = {"RETRY_TIMES": 3, "BMKZ_RETRY_BACKOFF_BASE": 2.0, "BMKZ_RETRY_BACKOFF_MAX": 60.0}
    crawler = get_crawler(Spider, settings_dict={**defaults, **settings})
    crawler.spider = crawler._create_spider("test")
    return BackoffRetryMiddleware.from_crawler(crawler)


def test_retries_back_off_exponentially() -> None:
    middleware = retry_middleware()
    request = Request("https://bm.kz/a/")
    delays = []
    for _ in range(3):
        request = middleware.process_response(request, Response(request.url, status=503, request=request))
        assert isinstance(request, Request)
        delays.append(request.meta[DELAY_KEY])
    assert delays == [2.0, 4.0, 8.0]


def test_retry_after_is_honoured_and_capped() -> None:
    middleware = retry_middleware()
    request = Request("https://bm.kz/a/")
    answer = Response(request.url, status=429, headers={"Retry-After": "7"}, request=request)
    assert middleware.process_response(request, answer).meta[DELAY_KEY] == 7.0
    answer = Response(request.url, status=429, headers={"Retry-After": "3600"}, request=request)
    assert middleware.process_response(request, answer).meta[DELAY_KEY] == 60.0


def test_success_is_not_retried() -> None:
    middleware = retry_middleware()
    request = Request("https://bm.kz/a/")
    answer = Response(request.url, status=200, request=request)
    assert middleware.process_response(request, answer) is answer


class SiteSpider(Spider):
    name = "site"


@pytest.mark.parametrize(
    ("url", "allowed"),
    [
        ("https://bm.kz/a/", True),
        ("https://kz.bm.kz/b/", True),
        ("https://www.facebook.com/bmkz", False),
        ("https://bm.kz/wp-content/uploads/2025/11/a.jpg", False),
        ("https://bm.kz/docs/a.pdf", False),
    ],
)
def test_only_site_pages_are_requested(url: str, allowed: bool) -> None:
    crawler = get_crawler(SiteSpider, settings_dict={"BMKZ_BASE_URL": "https://bm.kz/"})
    crawler.spider = crawler._create_spider()
    CrawlPolicy.from_crawler(crawler, CrawlArguments.parse({})).learn_edition("kk", "https://kz.bm.kz/")
    guard = OffsiteAndAssetFilter.from_crawler(crawler)
    if allowed:
        assert guard.process_request(Request(url)) is None
    else:
        with pytest.raises(IgnoreRequest):
            guard.process_request(Request(url))


def test_progress_line_names_pages_articles_queue_rate_and_eta() -> None:
    crawler = get_crawler(Spider, settings_dict={"BMKZ_PROGRESS_INTERVAL": 60, "BMKZ_BASE_URL": "https://bm.kz/"})
    progress = CrawlProgress(crawler, 60)
    spider = Spider("news")
    policy = CrawlPolicy.from_crawler(crawler, CrawlArguments.parse({}))
    policy.expected_total = 1000
    policy.articles_emitted = 100
    crawler.stats.set_value("response_received_count", 150)
    crawler.stats.set_value("item_scraped_count", 100)
    line = progress.progress_line(spider)
    assert line.startswith("progress: 150 pages, 100 articles, 0 queued,")
    assert "pages/min" in line and "ETA" in line and "1000 articles" in line


def test_scrapy_list_names_the_news_spider() -> None:
    listed = subprocess.run(
        [sys.executable, "-m", "scrapy", "list"], cwd=PROJECT, capture_output=True, text=True, check=True
    )
    assert listed.stdout.split() == ["news"]
