"""Figure 4: what cron runs cost on a site that grows, stage by stage, on one state.

One mirror timeline, anchored to its largest site and to a "now" a day after its newest article
(`--now`, `--anchor-articles`), so every smaller mirror is the same site earlier and recent
articles are really recent for the crawler's re-check schedule. The stages, each a `scrapy crawl
news` on the same state, each mirror started on the same port:

1. N articles: the first run (everything is new);
2. N + 5: K = 5 new articles (goal: at most K + 8 requests);
3. the same site again: nothing new (goal: at most 6 requests, conditional where the server allows);
4. N + 5 + K: K new articles (goal: at most 1.15 requests per new article);
5. N + 5 + K + burst: a burst of 20 feeds' worth of new articles, every one delivered in that run.

Each mirror's request log says exactly what a run asked for. Growing the mirror also edits a
few older articles (a new paragraph, a later `modified_at`): those count as wanted, like new ones.
"""

from __future__ import annotations

import socket
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from bmkz_crawler.bench.crawls import crawl_news
from bmkz_crawler.mirror.testing import running_mirror

GOAL_REQUESTS_PER_NEW_ARTICLE = 1.15
GOAL_UNCHANGED_REQUESTS = 6
GOAL_SMALL_OVERHEAD = 8  # K + 8 requests for K = 5
SMALL_K = 5
FEED_ITEMS = 10  # WordPress's default feed length, which the mirror keeps
BURST_FEEDS = 20


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def request_kind(path: str) -> str:
    """What a request that was not for a new or edited article went to."""
    bare = urlsplit(path).path
    if bare == "/robots.txt":
        return "robots"
    if bare.endswith(".xml"):
        return "sitemap"
    if bare.endswith("/feed/"):
        return "feed"
    if bare in ("/", "/kz/"):
        return "home"
    if "/category/" in bare or "/tag/" in bare or "/author/" in bare:
        return "listing"
    return "other"


@dataclass
class Stage:
    name: str
    articles: int
    requests: int
    not_modified: int
    new: int
    edited: int
    delivered_wanted: int
    exported: int
    overhead_by_kind: dict[str, int]
    fetched_twice: int

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def incremental_figure(workdir: Path, n: int, k: int, seed: int = 1) -> dict[str, Any]:
    burst = BURST_FEEDS * FEED_ITEMS
    sizes = [("first run", n), (f"+{SMALL_K}", n + SMALL_K), ("unchanged", n + SMALL_K)]
    sizes += [(f"+{k}", n + SMALL_K + k), (f"burst +{burst}", n + SMALL_K + k + burst)]
    largest = sizes[-1][1]
    now = datetime.now(UTC).replace(microsecond=0)
    port = free_port()
    state = workdir / "state.sqlite3"
    previous: dict[str, dict[str, Any]] = {}
    stages = []
    for position, (name, articles) in enumerate(sizes):
        with running_mirror(
            workdir / f"mirror-{position}",
            articles=articles,
            seed=seed,
            now=now - timedelta(seconds=0),
            anchor_articles=largest,
            extra_args=("--port", str(port)),
        ) as mirror:
            truth = {t["url"]: t for t in mirror.truth()}
            run = crawl_news(mirror.base_url, workdir / f"run-{position}", state=state)
            logged = mirror.requests()
        new = set(truth) - set(previous)
        edited = {
            url
            for url in set(previous) & set(truth)
            if (previous[url]["content_hash"], previous[url]["modified_at"])
            != (truth[url]["content_hash"], truth[url]["modified_at"])
        }
        wanted_paths = {urlsplit(url).path for url in new | edited}
        article_paths = {urlsplit(url).path for url in truth}
        requested = Counter(entry.path for entry in logged)
        overhead: Counter[str] = Counter()
        for entry in logged:
            path = urlsplit(entry.path).path
            if path not in wanted_paths:
                overhead["unchanged_article" if path in article_paths else request_kind(entry.path)] += 1
        exported_paths = {urlsplit(url).path for url in run.exported_urls()}
        stages.append(
            Stage(
                name=name,
                articles=articles,
                requests=len(logged),
                not_modified=sum(1 for entry in logged if entry.status == 304),
                new=len(new) if previous else 0,
                edited=len(edited),
                delivered_wanted=len(wanted_paths & exported_paths),
                exported=run.stat("item_scraped_count"),
                overhead_by_kind=dict(overhead.most_common()),
                fetched_twice=sum(1 for path, times in requested.items() if times > 1 and path in article_paths),
            )
        )
        previous = truth
    small, unchanged, grown, bursted = stages[1], stages[2], stages[3], stages[4]
    return {
        "n": n,
        "k": k,
        "now": now.isoformat(),
        "stages": [stage.as_dict() for stage in stages],
        # the figures and their goals
        "unchanged_requests": unchanged.requests,
        "goal_unchanged_requests": GOAL_UNCHANGED_REQUESTS,
        "small_k": SMALL_K,
        "small_requests": small.requests,
        "goal_small_requests": SMALL_K + GOAL_SMALL_OVERHEAD,
        "new_articles": grown.new,
        "edited_articles": grown.edited,
        "requests": grown.requests,
        "requests_per_new_article": round(grown.requests / grown.new, 3) if grown.new else None,
        "goal_requests_per_new_article": GOAL_REQUESTS_PER_NEW_ARTICLE,
        "overhead_requests": sum(grown.overhead_by_kind.values()),
        "burst": bursted.new,
        "burst_delivered": bursted.delivered_wanted,
        "burst_wanted": bursted.new + bursted.edited,
        "articles_fetched_twice": sum(stage.fetched_twice for stage in stages),
    }
