"""Redis mode: crawler processes sharing one frontier on a real redis-server, against the mirror.

Each test uses a key prefix of its own on the session's Redis (conftest.redis_server).
"""

from __future__ import annotations

import time
import uuid
from collections import Counter
from pathlib import Path
from urllib.parse import urlsplit

import redis
from scrapy.settings import Settings
from scrapy_redis.connection import get_redis

from bmkz_crawler import stats_keys as keys
from bmkz_crawler.archive import open_archive
from bmkz_crawler.mirror.testing import MirrorHandle, running_mirror
from bmkz_crawler.redis_mode import CLAIM_PIPELINE, RedisMode
from bmkz_crawler.redis_mode.frontier import SharedFrontier
from tests.crawl import collect, kill_when, read_jsonl, run_crawl, start_crawl
from tests.test_incremental import read_jsonl_tolerant


def redis_settings(redis_server: str, prefix: str, **extra: str) -> dict[str, str]:
    return {
        "BMKZ_REDIS_URL": redis_server,
        "BMKZ_REDIS_PREFIX": prefix,
        "BMKZ_STATE_URI": f"{redis_server}?prefix={prefix}:state",
        "BMKZ_REDIS_WORKER_TTL": "5",  # short, for the kill test; a stalled but live process must not look dead
        # Few slots per process, so that the shared queue fills up and both processes take from it
        # (with 32 slots against a local mirror, the first process drains the queue as it fills).
        "CONCURRENT_REQUESTS": "4",
        "CONCURRENT_REQUESTS_PER_DOMAIN": "4",
        **extra,
    }


def article_fetches(mirror: MirrorHandle) -> Counter[str]:
    paths = {urlsplit(t["url"]).path for t in mirror.truth()}
    return Counter(r.path for r in mirror.requests() if r.method == "GET" and r.path in paths)


def crawl_keys(redis_server: str, prefix: str) -> list[bytes]:
    client = redis.Redis.from_url(redis_server)
    return [key for key in client.keys(f"{prefix}:news:*")]


def test_without_the_setting_nothing_changes() -> None:
    settings = Settings()
    settings.setmodule("bmkz_crawler.settings")
    before = {name: settings.get(name) for name in ("SCHEDULER", "DUPEFILTER_CLASS", "BMKZ_STATE_URI")}
    RedisMode().update_settings(settings)
    assert {name: settings.get(name) for name in before} == before
    assert CLAIM_PIPELINE not in settings.getdict("ITEM_PIPELINES")


def test_the_setting_switches_scheduler_dupefilter_and_state() -> None:
    settings = Settings()
    settings.setmodule("bmkz_crawler.settings")
    settings.set("BMKZ_REDIS_URL", "redis://127.0.0.1:6399/0", priority="cmdline")
    RedisMode().update_settings(settings)
    assert settings["SCHEDULER"] == "bmkz_crawler.redis_mode.scheduler.RedisScheduler"
    assert settings["DUPEFILTER_CLASS"] == "bmkz_crawler.redis_mode.scheduler.FingerprintDupeFilter"
    assert settings["BMKZ_STATE_URI"] == "redis://127.0.0.1:6399/0"
    assert settings.getbool("SCHEDULER_PERSIST")
    assert CLAIM_PIPELINE in settings.getdict("ITEM_PIPELINES")


def test_dead_workers_leases_and_claims_go_back(redis_server: str) -> None:
    prefix = f"t-{uuid.uuid4().hex[:8]}:news:"
    dead = SharedFrontier(get_redis(url=redis_server), prefix, ttl=0.3, worker="dead")
    alive = SharedFrontier(get_redis(url=redis_server), prefix, ttl=30, worker="alive")
    dead.register()
    alive.register()
    assert dead.enqueue("fp1", b"request-1", 30, dont_filter=False)
    assert not alive.enqueue("fp1", b"request-1", 30, dont_filter=False)  # the shared dupefilter
    assert dead.lease() == b"request-1"
    assert dead.claim(["u:https://bm.kz/a/"]) is None
    assert alive.claim(["u:https://bm.kz/a/", "h:abc"]) == "u:https://bm.kz/a/"
    assert alive.lease() is None and alive.others_busy() == ["dead"]

    time.sleep(0.5)  # the dead worker's heartbeat expires
    assert alive.others_busy() == []
    assert alive.recover() == 1
    assert alive.lease() == b"request-1"
    assert alive.claim(["u:https://bm.kz/a/"]) is None
    alive.release_all()
    assert alive.finish()  # last one out, queue empty: the crawl's keys are gone
    assert crawl_keys(redis_server, prefix.split(":")[0]) == []


def test_two_processes_split_one_crawl_each_article_once(
    redis_server: str, postgres_database: str, tmp_path: Path
) -> None:
    prefix = f"two-{uuid.uuid4().hex[:8]}"
    # Both processes archive into one shared PostgreSQL archive, as docs/operating.md advises.
    settings = redis_settings(redis_server, prefix, BMKZ_ARCHIVE_URI=postgres_database)
    with running_mirror(tmp_path / "mirror", articles=300, seed=3) as mirror:
        truth = {t["url"] for t in mirror.truth()}
        processes = [start_crawl(mirror.base_url, tmp_path / name, settings=settings) for name in ("a", "b")]
        for process in processes:
            process.wait(timeout=120)
        results = [
            collect(tmp_path / name, p.returncode, "", "items.jsonl") for name, p in zip("ab", processes, strict=True)
        ]
        for result in results:
            assert result.returncode == 0, result.log[-3000:]
        urls = [item["url"] for result in results for item in result.items]
        assert all(result.items for result in results), "both processes should have exported articles"
        assert len(urls) == len(set(urls)), "an article was exported twice"
        assert set(urls) == truth
        fetched_twice = {path: n for path, n in article_fetches(mirror).items() if n > 1}
        assert fetched_twice == {}
        assert crawl_keys(redis_server, prefix) == [], "the last process out deletes the shared crawl"
        archive = open_archive(postgres_database)
        assert archive is not None
        try:
            stats = archive.stats()
        finally:
            archive.close()
        assert (stats.articles, stats.versions) == (len(truth), len(truth))  # every article, once, both writers
        assert sum(result.stat(keys.ARCHIVED) for result in results) == len(truth)

        # A later run on the same shared state (cron) starts afresh, exports nothing and ends.
        again = run_crawl(mirror.base_url, tmp_path / "c", settings=settings, timeout=60)
        assert again.returncode == 0, again.log[-3000:]
        assert again.items == []


def test_a_process_killed_half_way_leaves_its_work_to_the_other(redis_server: str, tmp_path: Path) -> None:
    prefix = f"kill-{uuid.uuid4().hex[:8]}"
    settings = redis_settings(redis_server, prefix)
    with running_mirror(tmp_path / "mirror", articles=300, seed=5) as mirror:
        truth = {t["url"] for t in mirror.truth()}
        victim = start_crawl(mirror.base_url, tmp_path / "victim", settings=settings)
        survivor = start_crawl(mirror.base_url, tmp_path / "survivor", settings=settings)
        feed = tmp_path / "victim" / "items.jsonl"
        kill_when(victim, lambda: feed.exists() and feed.stat().st_size > 60_000)
        assert victim.returncode == -9
        survivor.wait(timeout=120)
        partial = {item["url"] for item in read_jsonl_tolerant(feed)}
        finished = read_jsonl(tmp_path / "survivor" / "items.jsonl")
        result = collect(tmp_path / "survivor", survivor.returncode, "", None)
    assert survivor.returncode == 0, result.log[-3000:]
    assert 0 < len(partial) < len(truth)
    survivor_urls = [item["url"] for item in finished]
    assert len(survivor_urls) == len(set(survivor_urls))
    assert partial | set(survivor_urls) == truth
    assert result.stat("bmkz/redis/recovered") > 0, "the survivor should have taken over the victim's requests"
    assert crawl_keys(redis_server, prefix) == []
