"""Redis mode: several `scrapy crawl news` processes split one crawl through a shared frontier.

`RedisMode` is a Scrapy add-on (settings.ADDONS). Without `BMKZ_REDIS_URL` it changes nothing.
With it, it switches the crawl to scrapy-redis's scheduler and dupefilter (as adapted in
`scheduler.py`), stores the crawl state in Redis unless `BMKZ_STATE_URI` says otherwise, and adds
the worker extension, the lease middleware and the cross-process claim pipeline:

- `frontier.py` — the shared keys and their atomic Lua steps (lease, recover, claim, finish);
- `scheduler.py` — scrapy-redis's Scheduler and RFPDupeFilter, bridged to Scrapy 2.19;
- `worker.py` — heartbeat, dead-worker recovery, when to stop; lease release per response;
- `claims.py` — no article in two workers' feeds.

Every setting is set at "addon" priority, so `-s SCHEDULER=...` on the command line still wins.
"""

from __future__ import annotations

from scrapy.settings import BaseSettings

ADDON_PRIORITY = "addon"
CLAIM_PIPELINE = "bmkz_crawler.redis_mode.claims.CrossProcessClaimPipeline"
CLAIM_PIPELINE_ORDER = 310  # right after DedupePipeline (300): only what this process would export
WORKER_EXTENSION = "bmkz_crawler.redis_mode.worker.RedisWorker"
LEASE_MIDDLEWARE = "bmkz_crawler.redis_mode.worker.LeaseMiddleware"


def is_enabled(settings: BaseSettings) -> bool:
    return bool(settings.get("BMKZ_REDIS_URL"))


class RedisMode:
    """Scrapy add-on: turn Redis mode on when BMKZ_REDIS_URL is set."""

    def update_settings(self, settings: BaseSettings) -> None:
        if not is_enabled(settings):
            return
        url = settings.get("BMKZ_REDIS_URL")
        prefix = settings.get("BMKZ_REDIS_PREFIX") or "bmkz"
        for name, value in {
            "SCHEDULER": "bmkz_crawler.redis_mode.scheduler.RedisScheduler",
            "DUPEFILTER_CLASS": "bmkz_crawler.redis_mode.scheduler.FingerprintDupeFilter",
            "REDIS_URL": url,
            "SCHEDULER_PERSIST": True,
            "SCHEDULER_QUEUE_CLASS": "scrapy_redis.queue.PriorityQueue",
            "SCHEDULER_QUEUE_KEY": f"{prefix}:%(spider)s:requests",
            "SCHEDULER_DUPEFILTER_KEY": f"{prefix}:%(spider)s:dupefilter",
        }.items():
            settings.set(name, value, priority=ADDON_PRIORITY)
        if not settings.get("BMKZ_STATE_URI"):
            # settings.py sets it (empty) at project priority, which outranks "addon".
            priority = max(settings.getpriority("BMKZ_STATE_URI") or 0, settings.getpriority("ADDONS") or 0)
            settings.set("BMKZ_STATE_URI", url, priority=priority)
        settings["ITEM_PIPELINES"][CLAIM_PIPELINE] = CLAIM_PIPELINE_ORDER
        settings["EXTENSIONS"][WORKER_EXTENSION] = 520
        settings["SPIDER_MIDDLEWARES"][LEASE_MIDDLEWARE] = 950  # nearest the spider: sees its raw output
