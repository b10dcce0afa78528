"""End to end: the real `scrapy crawl news` against the mirror, checked against its truth."""

from __future__ import annotations

import urllib.request
from collections import Counter
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from bmkz_crawler.extraction.links import is_asset
from bmkz_crawler.mirror.testing import LoggedRequest
from tests.crawl import CrawlResult, run_crawl

COMPARED_FIELDS_EXCLUDED = {"crawled_at", "change"}


def by_url(records: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {record["url"]: record for record in records}


def assert_exactly_once(items: list[dict[str, Any]]) -> None:
    repeated = [url for url, n in Counter(item["url"] for item in items).items() if n > 1]
    assert not repeated, f"articles emitted more than once: {repeated[:5]}"


def assert_equal_to_truth(items: list[dict[str, Any]], truth: list[dict[str, Any]]) -> None:
    expected, actual = by_url(truth), by_url(items)
    assert set(actual) == set(expected), (
        f"missing {sorted(set(expected) - set(actual))[:5]}, unexpected {sorted(set(actual) - set(expected))[:5]}"
    )
    mismatches = []
    for url, record in expected.items():
        for field, value in record.items():
            got = actual[url].get(field)
            if field in COMPARED_FIELDS_EXCLUDED or got == value:
                continue
            if field == "description" and got is None and not page_states_description(url):
                continue  # only a listing card shows an excerpt, and this article was reached otherwise
            mismatches.append((url, field, value, got))
    assert not mismatches, f"{len(mismatches)} field mismatches, first: {mismatches[:3]}"


def page_states_description(url: str) -> bool:
    with urllib.request.urlopen(url, timeout=10) as answer:
        page = answer.read().decode("utf-8", errors="replace")
    return 'property="og:description"' in page or 'name="description"' in page


@pytest.fixture(scope="module")
def full_crawl(mirror300, tmp_path_factory) -> tuple[CrawlResult, list[LoggedRequest]]:
    before = len(mirror300.requests())
    result = run_crawl(mirror300.base_url, tmp_path_factory.mktemp("full"), args={"mode": "full"})
    return result, mirror300.requests()[before:]


def test_every_article_of_both_editions_once_and_equal_to_truth(full_crawl, mirror300) -> None:
    result, _ = full_crawl
    assert result.returncode == 0, result.log[-3000:]
    assert_exactly_once(result.items)
    truth = mirror300.truth()
    assert {t["language"] for t in truth} == {"ru", "kk"}
    assert_equal_to_truth(result.items, truth)


def test_no_asset_and_no_off_site_requests(full_crawl) -> None:
    result, requests = full_crawl
    assert requests, "the mirror logged no requests"
    assets = [r.path for r in requests if is_asset(r.path)]
    assert assets == []
    # Every request Scrapy's downloader sent reached the mirror: none went anywhere else.
    assert result.stat("downloader/request_count") == len(requests)


def test_each_article_page_is_requested_once(full_crawl, mirror300) -> None:
    _, requests = full_crawl
    fetched = Counter(r.path for r in requests)
    article_paths = {urlsplit(t["url"]).path for t in mirror300.truth()}
    repeated = {path: fetched[path] for path in article_paths if fetched[path] > 1}
    assert repeated == {}


def test_faults_deliver_every_fetchable_article_and_count_failures(faulty_mirror, tmp_path: Path) -> None:
    result = run_crawl(faulty_mirror.base_url, tmp_path, args={"mode": "full"})
    assert result.returncode == 0, result.log[-3000:]
    faults = faulty_mirror.fault_plan()["faults"]
    by_kind = Counter(fault["kind"] for fault in faults)
    assert by_kind["missing"] and by_kind["redirect-loop"] and by_kind["transient"]
    assert_exactly_once(result.items)
    delivered = by_url(result.items)
    truth = faulty_mirror.truth()  # leaves out the articles that cannot be fetched
    assert [t["url"] for t in truth if t["url"] not in delivered] == []
    origin = faulty_mirror.base_url.rstrip("/")
    exact = {origin + f["path"] for f in faults if f["truth"] == "exact"}
    assert_equal_to_truth(
        [delivered[t["url"]] for t in truth if t["url"] in exact], [t for t in truth if t["url"] in exact]
    )
    charset = next(f["url"] for f in faults if f["kind"] == "wrong-charset")
    assert delivered[charset] == {
        **by_url(truth)[charset],
        **{k: delivered[charset][k] for k in COMPARED_FIELDS_EXCLUDED},
    }
    assert result.stat("bmkz/errors/gone/404") >= by_kind["missing"]
    assert result.stat("bmkz/errors/redirect_loop") == by_kind["redirect-loop"]
    assert result.stat("bmkz/errors/truncated_page") == by_kind["truncated"]
    assert result.stat("bmkz/charset_corrected") == by_kind["wrong-charset"]
    assert result.stat("retry/count") > 0


def test_since_cuts_requests_and_keeps_only_newer_articles(mirror300, full_crawl, tmp_path: Path) -> None:
    full, _ = full_crawl
    truth = mirror300.truth()
    dates = sorted(datetime.fromisoformat(t["published_at"]) for t in truth)
    since = dates[len(dates) * 3 // 4].date().isoformat()
    result = run_crawl(mirror300.base_url, tmp_path, args={"mode": "full", "since": since})
    assert result.returncode == 0, result.log[-3000:]
    expected = [t for t in truth if t["published_at"][:10] >= since]
    assert {i["url"] for i in result.items} >= {t["url"] for t in expected if t["published_at"][:10] > since}
    assert all(i["published_at"][:10] >= since for i in result.items)
    assert result.stat("downloader/request_count") < full.stat("downloader/request_count") / 2
    print(
        f"since={since}: {result.stat('downloader/request_count')} requests vs {full.stat('downloader/request_count')}"
    )


def test_lang_kk_yields_only_and_all_kazakh_articles(mirror300, tmp_path: Path) -> None:
    result = run_crawl(
        mirror300.base_url, tmp_path, args={"mode": "full", "lang": "kk"}, settings={"BMKZ_PROGRESS_INTERVAL": "0.3"}
    )
    assert result.returncode == 0, result.log[-3000:]
    assert "progress: " in result.log and " pages/min" in result.log
    assert {i["language"] for i in result.items} == {"kk"}
    assert {i["url"] for i in result.items} == {t["url"] for t in mirror300.truth() if t["language"] == "kk"}


@pytest.mark.parametrize("sources", ["sitemap", "menu"])
def test_each_source_alone_finds_every_article(mirror300, tmp_path: Path, sources: str) -> None:
    result = run_crawl(mirror300.base_url, tmp_path, args={"mode": "full", "sources": sources})
    assert result.returncode == 0, result.log[-3000:]
    assert_exactly_once(result.items)
    assert {i["url"] for i in result.items} == {t["url"] for t in mirror300.truth()}


def test_bad_argument_stops_at_once_with_one_line(mirror300, tmp_path: Path) -> None:
    result = run_crawl(mirror300.base_url, tmp_path, args={"lang": "en"}, output=None)
    assert result.returncode == 2
    assert "error: lang='en' is not accepted: use one of ru, kk, all" in result.log
    assert not (tmp_path / "stats.json").exists()
