"""CrawlPolicy: every fetch/skip/stop decision with its stats key, unit-tested without a crawl."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

import pytest
from scrapy.statscollectors import MemoryStatsCollector
from scrapy.utils.test import get_crawler

from bmkz_crawler.extraction.links import Card
from bmkz_crawler.policy import CrawlPolicy, WalkBounds, crawl_policy
from bmkz_crawler.spiders.arguments import CrawlArguments
from bmkz_crawler.state import open_state_store

NOW = datetime(2025, 11, 7, 12, tzinfo=UTC)
OLD = NOW - timedelta(days=30)


def policy(trace: bool = False, bounds: WalkBounds | None = None, **args: str) -> CrawlPolicy:
    stats = MemoryStatsCollector(get_crawler())
    made = CrawlPolicy(CrawlArguments.parse(args), "https://bm.kz/", stats, bounds=bounds, trace=trace, now=NOW)
    made.editions.update({"ru": "https://bm.kz/", "kk": "https://bm.kz/kz/"})
    return made


def stat(made: CrawlPolicy, key: str) -> int:
    return made.stats.get_value(key, 0)


def test_article_candidates_are_canonical_on_site_not_assets_and_of_a_wanted_edition() -> None:
    made = policy(lang="kk")
    assert made.article_url("https://bm.kz/kz/maqala/amp/?utm_source=tg#x") == "https://bm.kz/kz/maqala/"
    assert made.article_url("https://bm.kz/statya/") is None
    assert stat(made, "bmkz/filtered/other_language") == 1
    assert made.article_url("https://other.kz/kz/a/") is None
    assert made.article_url("https://bm.kz/kz/file.pdf") is None
    assert (stat(made, "bmkz/filtered/offsite"), stat(made, "bmkz/filtered/asset")) == (1, 1)


def test_the_home_pages_final_url_is_the_site_and_http_links_are_upgraded() -> None:
    made = policy()
    made.homes = ["http://bm.kz/"]
    made.learn_home("https://www.bm.kz/", final=True)
    assert made.homes[0] == "https://www.bm.kz/"
    assert made.request_url("http://bm.kz/a/") == "https://www.bm.kz/a/"  # the home's scheme and www. form
    assert stat(made, "bmkz/upgraded_to_https") == 1
    assert made.request_url("http://bm.kz:8080/a/") is None
    assert made.article_url("https://bm.kz/b/") == "https://www.bm.kz/b/"  # one URL, one request


def test_edition_is_the_longest_home_prefix() -> None:
    made = policy()
    assert made.edition_of("https://bm.kz/kz/maqala/") == "kk"
    assert made.edition_of("https://bm.kz/statya/") == "ru"
    assert not made.learn_edition("kk", "https://bm.kz/kz/")  # known already


def test_max_articles_spent_stops_candidates_and_delivery() -> None:
    made = policy(max_articles="1")
    assert made.deliver("ru", NOW, "https://bm.kz/a/")
    assert made.at_article_limit()
    assert made.article_url("https://bm.kz/b/") is None
    assert not made.deliver("ru", NOW, "https://bm.kz/b/")


def test_since_until_skip_cards_entries_and_articles_with_their_keys() -> None:
    made = policy(since="2025-11-01", until="2025-11-05")
    cards = [Card("https://bm.kz/a/", datetime(2025, 11, 3, tzinfo=UTC)), Card("https://bm.kz/b/", OLD)]
    assert [c.url for c in made.cards_to_fetch(cards)] == ["https://bm.kz/a/"]
    assert stat(made, "bmkz/since/card_skipped") == 1
    assert not made.sitemap_entry("https://bm.kz/c/", OLD)
    assert not made.sitemap_child("https://bm.kz/post-sitemap9.xml", OLD)
    assert not made.deliver("ru", NOW, "https://bm.kz/d/")
    assert stat(made, "bmkz/since/article_out_of_window") == 1
    assert made.related_to_fetch(["https://bm.kz/e/"]) == []  # a since-bounded crawl follows no related links
    assert not made.next_archive_page("https://bm.kz/category/x/", [cards[1]], [False], 1, 0)
    assert stat(made, "bmkz/since/listing_stopped") == 1


def test_incremental_decisions_come_from_the_store(tmp_path) -> None:
    made = policy()
    store = open_state_store(str(tmp_path / "state.sqlite3"))
    record = {"url": "https://bm.kz/old/", "post_id": 1, "language": "ru", "content_hash": "h",
              "published_at": OLD.isoformat(), "modified_at": OLD.isoformat()}  # fmt: skip
    store.mark_exported([record], NOW.isoformat())
    made.store = store
    assert made.settled("https://bm.kz/old/", None)
    assert not made.settled("https://bm.kz/new/", None)
    assert not made.sitemap_entry("https://bm.kz/old/", OLD)  # lastmod no newer than the export
    assert made.sitemap_entry("https://bm.kz/old/", NOW)  # edited since
    assert made.related_to_fetch(["https://bm.kz/old/", "https://bm.kz/new/"]) == ["https://bm.kz/new/"]
    assert stat(made, "bmkz/incremental/known_skipped") == 1
    old_card = Card("https://bm.kz/old/", OLD)
    assert not made.next_archive_page("https://bm.kz/category/x/", [old_card], [True], 1, 0)
    assert stat(made, "bmkz/incremental/listing_stopped") == 1
    store.close()


def test_archive_walks_end_by_staleness_or_the_backstop(caplog: pytest.LogCaptureFixture) -> None:
    made = policy(bounds=WalkBounds(archive_stale_pages=2, archive_max_pages=5), mode="full")
    card = [Card("https://bm.kz/a/")]
    assert made.note_listing(card) and not made.note_listing(card)
    assert made.next_archive_page("u", card, [False], 1, 1)
    assert not made.next_archive_page("u", card, [False], 2, 2)
    assert not made.next_archive_page("u", card, [False], 5, 0)
    assert stat(made, "bmkz/bounds/archive_stale") == stat(made, "bmkz/bounds/archive_max_pages") == 1
    assert "a full backfill may be incomplete" in caplog.text


def test_sitemaps_end_at_their_depth_and_count_and_stay_on_site() -> None:
    made = policy(bounds=WalkBounds(sitemap_max_depth=1, sitemap_max_files=2))
    assert made.sitemap_url("https://bm.kz/sitemap_index.xml", 0)
    assert made.sitemap_url("https://bm.kz/a.xml", 2) is None
    assert made.sitemap_url("https://evil.kz/a.xml", 0) is None
    assert made.sitemap_url("https://bm.kz/b.xml", 1)
    assert made.sitemap_url("https://bm.kz/c.xml", 1) is None
    assert (stat(made, "bmkz/bounds/sitemap_depth"), stat(made, "bmkz/bounds/sitemap_files")) == (1, 1)
    assert made.sitemap_entry("https://bm.kz/x/", None) and made.expected_total == 1


def test_trace_logs_each_decision_with_its_key(caplog: pytest.LogCaptureFixture) -> None:
    made = policy(trace=True)
    with caplog.at_level(logging.INFO, logger="bmkz_crawler.policy"):
        made.article_url("https://evil.kz/a/")
        made.article_url("https://bm.kz/b/")
    assert "skip https://evil.kz/a/: off the site's scheme-host-port [bmkz/filtered/offsite]" in caplog.text
    assert "fetch https://bm.kz/b/: article candidate" in caplog.text


def test_the_policy_is_registered_on_its_crawler() -> None:
    crawler = get_crawler(settings_dict={"BMKZ_BASE_URL": "https://bm.kz/", "BMKZ_SWEEP_HOURS": 1})
    made = CrawlPolicy.from_crawler(crawler, CrawlArguments.parse({}))
    assert crawl_policy(crawler) is made and made.homes == ["https://bm.kz/"]


# --- planning, remembered discovery, re-checks ------------------------------------------------------


def remembered_store(tmp_path, **memory_fields: object):
    from bmkz_crawler.memory import Discovery, SiteMemory

    store = open_state_store(str(tmp_path / "state.sqlite3"))
    discovery = Discovery(
        editions={"ru": "https://bm.kz/", "kk": "https://bm.kz/kz/"},
        feeds=["https://bm.kz/feed/", "https://bm.kz/kz/feed/"],
        sitemap_indexes=["https://bm.kz/sitemap_index.xml"],
    )
    memory = SiteMemory(discovery=discovery, swept_at=(NOW - timedelta(hours=1)).isoformat(), **memory_fields)
    store.save_memory(memory.to_store())
    return store


def test_a_run_with_remembered_discovery_is_planned_and_a_sweep_when_due_or_bounded(tmp_path) -> None:
    made = policy()
    made.open_store(remembered_store(tmp_path))
    assert not made.sweeping and stat(made, "bmkz/plan") == "planned"
    assert made.memory.discovery.feeds == ["https://bm.kz/feed/", "https://bm.kz/kz/feed/"]
    due = CrawlPolicy(CrawlArguments.parse({}), "https://bm.kz/", made.stats, sweep_every=timedelta(0), now=NOW)
    due.open_store(made.store)
    assert due.sweeping  # BMKZ_SWEEP_HOURS=0: every run sweeps
    bounded = policy(since="2025-11-01")
    bounded.open_store(made.store)
    assert bounded.sweeping  # a since bound walks the archives
    assert policy().sweeping  # nothing remembered: a full discovery
    made.store.close()


def test_a_burst_is_feeds_all_new_with_no_post_sitemap_read(tmp_path) -> None:
    made = policy()
    made.open_store(remembered_store(tmp_path))
    made.read_feed([Card("https://bm.kz/new-1/"), Card("https://bm.kz/new-2/")])
    assert made.burst()
    made.read_post_sitemap()  # the post sitemap lists everything: no archive needs walking
    assert not made.burst()
    made.store.close()


def test_post_sitemaps_are_fetched_only_when_their_lastmod_moved(tmp_path) -> None:
    made = policy()
    made.open_store(remembered_store(tmp_path))
    url = "https://bm.kz/post-sitemap.xml"
    assert made.post_sitemap_changed(url, OLD)  # new to us
    assert not made.post_sitemap_changed(url, OLD)
    assert made.post_sitemap_changed(url, NOW)
    assert stat(made, "bmkz/incremental/post_sitemap_unchanged") == 1
    made.store.close()


def test_rechecks_come_at_their_ages_after_publication() -> None:
    from bmkz_crawler.memory import recheck_due

    ages = (timedelta(hours=1), timedelta(hours=6))
    published = NOW - timedelta(hours=7)
    assert recheck_due(published, published + timedelta(minutes=30), NOW, ages)  # 1 h and 6 h passed since
    assert not recheck_due(published, published + timedelta(hours=6, minutes=1), NOW, ages)  # checked after both
    assert recheck_due(published, None, NOW, ages)
    assert not recheck_due(NOW - timedelta(days=30), NOW - timedelta(days=29), NOW, ages)


def test_validators_are_kept_only_for_sources_whose_articles_all_arrived(tmp_path) -> None:
    made = policy()
    made.open_store(remembered_store(tmp_path))
    made.learned_validators("https://bm.kz/feed/", '"a"', None)
    made.learned_validators("https://bm.kz/kz/feed/", '"b"', None)
    made.source_incomplete("https://bm.kz/kz/feed/")
    made.fetched_article("https://bm.kz/fresh/", NOW - timedelta(hours=2))
    saved = made.memory_to_save()
    made.store.save_memory(saved)
    from bmkz_crawler.memory import SiteMemory

    memory = SiteMemory.from_store(made.store.load_memory())
    assert set(memory.validators) == {"https://bm.kz/feed/"}
    assert list(memory.recent) == ["https://bm.kz/fresh/"]
    made.store.close()


def test_the_gone_check_asks_unlisted_archived_articles_only_after_a_complete_listing(
    caplog: pytest.LogCaptureFixture,
) -> None:
    from bmkz_crawler.policy import GONE_CHECK_NOT_COMPLETE, GONE_CHECK_TOO_MANY

    archived = ["https://bm.kz/a/", "http://bm.kz/b/?utm_source=x", "https://bm.kz/c/", "https://other.kz/d/"]
    made = policy()
    made.read_post_sitemap()
    for url in ("https://bm.kz/a/", "http://bm.kz/new/"):
        made.sitemap_entry(url, None)
    assert made.unlisted(archived, limit=5) == ["https://bm.kz/b/?utm_source=x", "https://bm.kz/c/"]
    with caplog.at_level(logging.WARNING):
        assert made.unlisted(archived, limit=1) == []  # more than the limit: a partial sitemap, not deletions
    assert stat(made, GONE_CHECK_TOO_MANY) == 1 and "BMKZ_GONE_CHECK_MAX=1" in caplog.text
    made.listing_gap()  # one sitemap answered 304 (or failed, or was skipped): its entries are unknown
    assert made.unlisted(archived, limit=5) == [] and stat(made, GONE_CHECK_NOT_COMPLETE) == 1
    never_read = policy()
    assert never_read.unlisted(archived, limit=5) == []  # no sitemap read at all
    unchanged = policy()
    unchanged.read_post_sitemap()
    unchanged.sweeping = False
    unchanged.memory.discovery.post_sitemaps["https://bm.kz/post-sitemap.xml"] = "2025-01-01T00:00:00+00:00"
    assert not unchanged.post_sitemap_changed(
        "https://bm.kz/post-sitemap.xml", datetime(2025, 1, 1, tzinfo=UTC)
    )  # a planned run skips an unchanged post sitemap: a gap
    assert unchanged.unlisted(archived, limit=5) == []
