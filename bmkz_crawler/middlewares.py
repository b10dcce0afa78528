"""Downloader middlewares: retries with exponential backoff, and the stay-on-site guard.

Scrapy's RetryMiddleware retries at once; a site answering 503 or 429 needs a pause first.
The guard drops any request that would leave the site or fetch an asset, whoever made it
(a redirect, a link found on a page), and counts it.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any, Self

from scrapy import Request, Spider
from scrapy.crawler import Crawler
from scrapy.downloadermiddlewares.retry import RetryMiddleware
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Response
from scrapy.utils.asyncio import sleep

from bmkz_crawler import stats_keys as keys
from bmkz_crawler.policy import crawl_policy

logger = logging.getLogger(__name__)

DELAY_KEY = "bmkz_retry_delay"


def retry_after_seconds(response: Response | None) -> float | None:
    """Retry-After as seconds (a number or an HTTP date), else None."""
    if response is None:
        return None
    value = response.headers.get(b"Retry-After")
    if not value:
        return None
    text = value.decode("latin-1").strip()
    if text.isdigit():
        return float(text)
    try:
        return max(0.0, (parsedate_to_datetime(text) - datetime.now(UTC)).total_seconds())
    except (TypeError, ValueError):
        return None


class BackoffRetryMiddleware(RetryMiddleware):
    """RetryMiddleware whose retries wait base * 2^(attempt-1) seconds, or what Retry-After asks."""

    def __init__(self, settings: Any) -> None:
        super().__init__(settings)
        self.base = settings.getfloat("BMKZ_RETRY_BACKOFF_BASE", 2.0)
        self.cap = settings.getfloat("BMKZ_RETRY_BACKOFF_MAX", 60.0)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        middleware = cls(crawler.settings)
        middleware.crawler = crawler
        return middleware

    async def process_request(self, request: Request, spider: Spider | None = None) -> None:
        delay = request.meta.pop(DELAY_KEY, 0)
        if delay > 0:
            await sleep(delay)

    def process_response(self, request: Request, response: Response, spider: Spider | None = None) -> Any:
        result = super().process_response(request, response)
        if isinstance(result, Request):
            self._set_delay(result, retry_after_seconds(response))
        return result

    def process_exception(self, request: Request, exception: Exception, spider: Spider | None = None) -> Any:
        result = super().process_exception(request, exception)
        if isinstance(result, Request):
            self._set_delay(result, None)
        return result

    def _set_delay(self, request: Request, asked: float | None) -> None:
        attempt = request.meta.get("retry_times", 1)
        delay = asked if asked is not None else self.base * 2 ** (attempt - 1)
        request.meta[DELAY_KEY] = min(delay, self.cap)
        self.crawler.stats.inc_value("bmkz/retry/backoff_scheduled")


class OffsiteRequest(IgnoreRequest):
    """A request (a link, a redirect) the policy refused: off the site's scheme-host-port, or an asset."""


class OffsiteAndAssetFilter:
    """Lets through only requests the crawl's policy admits (`CrawlPolicy.request_url`: on the
    site by the one origin rule, not an asset), whoever made them: the spider, a redirect, a
    retry. A same-host `http` URL of an `https` site is upgraded to `https`. Counts the site's
    own answers (`bmkz/site_pages`), so a crawl that fetched nothing can say so. Any other
    spider (no policy) is let through."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        return cls(crawler)

    def process_request(self, request: Request, spider: Spider | None = None) -> Request | None:
        policy = crawl_policy(self.crawler)
        if policy is None:
            return None
        url = policy.request_url(request.url)
        if url is None:
            raise OffsiteRequest(f"not on the site, or an asset: {request.url}")
        return request.replace(url=url) if url != request.url else None

    def process_response(self, request: Request, response: Response, spider: Spider | None = None) -> Response:
        if response.status < 400 and not request.url.endswith("/robots.txt"):
            self.crawler.stats.inc_value(keys.SITE_PAGES)
        return response
