"""FetchOnlySpider: the baseline of the throughput figure. It requests a list of URLs and parses nothing.

Run with `scrapy runspider` inside the project, so that it gets the project's settings
(middlewares, retries, stats file) and differs from `scrapy crawl news` only by doing no work
on the pages: the gap between the two is the cost of extraction, pipelines and feeds.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from scrapy import Request, Spider
from scrapy.http import Response


class FetchOnlySpider(Spider):
    name = "fetch_only"
    # Every answer counts as a page, as it does in the real crawl's response_received_count;
    # redirects are answers too, not followed (their targets are in the list already).
    custom_settings = {"ROBOTSTXT_OBEY": False}  # noqa: RUF012  (Scrapy reads it as a class attribute)

    def __init__(self, urls: str = "", **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.url_file = urls

    async def start(self) -> AsyncIterator[Request]:
        for line in Path(self.url_file).read_text(encoding="utf-8").splitlines():
            if line.strip():
                yield Request(
                    line.strip(),
                    callback=self.parse,
                    meta={"dont_redirect": True, "handle_httpstatus_all": True, "dont_retry": True},
                )

    def parse(self, response: Response, **kwargs: Any) -> None:
        return None
