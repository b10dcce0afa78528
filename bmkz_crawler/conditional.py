"""Conditional requests for feeds and sitemaps: `If-None-Match` / `If-Modified-Since`, and `304`.

A request the spider marks `bmkz_conditional` (feeds, sitemap indexes, post sitemaps) carries
the validators its URL answered with last time (`CrawlPolicy.validators_for`, from the state
store's memory). A `304 Not Modified` reaches the spider's callback as a success with no body
(`bmkz/conditional/not_modified`): nothing changed there since the last run that stored its
feeds. A full answer's `ETag`/`Last-Modified` are handed to the policy, which saves them with
the export marks — never before the feeds are durably stored, and never for a feed or sitemap
one of whose articles failed to arrive.

Scrapy's HTTP cache is not a fit: it hands a cached body to the callback (which would read
every entry again) and caches every page.
"""

from __future__ import annotations

from typing import Any, Self

from scrapy import Request, Spider
from scrapy.crawler import Crawler
from scrapy.http import Response

from bmkz_crawler import stats_keys as keys
from bmkz_crawler.policy import crawl_policy

CONDITIONAL = "bmkz_conditional"


def conditional_meta() -> dict[str, Any]:
    """Request meta of a conditional request: its 304 goes to the callback, not to the errback."""
    return {CONDITIONAL: True, "handle_httpstatus_list": [304]}


class ConditionalRequests:
    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        return cls(crawler)

    def process_request(self, request: Request, spider: Spider | None = None) -> None:
        policy = crawl_policy(self.crawler)
        if policy is None or not request.meta.get(CONDITIONAL):
            return
        validator = policy.validators_for(request.url)
        if validator is None:
            return
        if validator.etag:
            request.headers.setdefault(b"If-None-Match", validator.etag.encode("latin-1"))
        if validator.last_modified:
            request.headers.setdefault(b"If-Modified-Since", validator.last_modified.encode("latin-1"))

    def process_response(self, request: Request, response: Response, spider: Spider | None = None) -> Response:
        policy = crawl_policy(self.crawler)
        if policy is None or not request.meta.get(CONDITIONAL):
            return response
        if response.status == 304:
            self.crawler.stats.inc_value(keys.NOT_MODIFIED)
        elif response.status == 200:
            policy.learned_validators(request.url, _header(response, b"ETag"), _header(response, b"Last-Modified"))
        return response


def _header(response: Response, name: bytes) -> str | None:
    value = response.headers.get(name)
    return value.decode("latin-1") if value else None
