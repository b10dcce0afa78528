"""Figure 4: what a cron run costs on a site that grew from N to N+K articles.

The mirror of N articles is crawled once; then a mirror of N+K articles (K newer ones, a
few older ones edited) is started on the same port and crawled again with the same state.
The second mirror's request log says exactly what the second run asked for.
"""

from __future__ import annotations

import socket
from collections import Counter
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from bmkz_crawler.bench.crawls import crawl_news
from bmkz_crawler.mirror.testing import running_mirror

GOAL_REQUESTS_PER_NEW_ARTICLE = 1.5


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


def incremental_figure(workdir: Path, n: int, k: int, seed: int = 1) -> dict[str, Any]:
    port = free_port()
    state = workdir / "state.sqlite3"
    extra = ("--port", str(port))
    with running_mirror(workdir / "mirror-n", articles=n, seed=seed, extra_args=extra) as small:
        before = {t["url"]: t for t in small.truth()}
        crawl_news(small.base_url, workdir / "run1", state=state)
    with running_mirror(workdir / "mirror-nk", articles=n + k, seed=seed, extra_args=extra) as grown:
        after = {t["url"]: t for t in grown.truth()}
        second = crawl_news(grown.base_url, workdir / "run2", state=state)
        logged = grown.requests()
    new = set(after) - set(before)
    edited = {
        url
        for url in set(before) & set(after)
        if (before[url]["content_hash"], before[url]["modified_at"])
        != (after[url]["content_hash"], after[url]["modified_at"])
    }
    wanted_paths = {urlsplit(url).path for url in new | edited}
    article_paths = {urlsplit(url).path for url in after}
    requested = Counter(entry.path for entry in logged)
    overhead: Counter[str] = Counter()
    for entry in logged:
        path = urlsplit(entry.path).path
        if path in wanted_paths:
            continue
        overhead["unchanged_article" if path in article_paths else request_kind(entry.path)] += 1
    fetched_twice = sorted(path for path, times in requested.items() if times > 1 and path in article_paths)
    total = len(logged)
    return {
        "n": n,
        "k": k,
        "new_articles": len(new),
        "edited_articles": len(edited),
        "requests": total,
        "exported": second.stat("item_scraped_count"),
        "requests_per_new_article": round(total / len(new), 3) if new else None,
        "goal_requests_per_new_article": GOAL_REQUESTS_PER_NEW_ARTICLE,
        "overhead_requests": sum(overhead.values()),
        "overhead_by_kind": dict(overhead.most_common()),
        "articles_fetched_twice": len(fetched_twice),
        "articles_fetched_twice_examples": fetched_twice[:5],
    }
