"""A whole crawl read by the generic layers only (`BMKZ_PROFILE=none`), against the mirror's truth.

The mirror renders SmartMag, but with the profile switched off no SmartMag selector is used:
structured data and generic page evidence must still deliver every article with its core
fields right, and the run must end with the markup-changed warning.
"""

from __future__ import annotations

from collections import Counter

import pytest

from tests.crawl import CrawlResult, run_crawl

# The fields the generic layers must get right on every article (views, related links and
# the most-read widget are SmartMag knowledge that only the profile has).
CORE_FIELDS = ("url", "post_id", "language", "title", "published_at", "modified_at")
# Where the main block and trafilatura disagree (short articles with an embed caption or a
# "read also" line: 7 of 300 here), trafilatura's text is taken and is not exact.
MIN_EXACT_BODY_SHARE = 0.95


@pytest.fixture(scope="module")
def generic_crawl(mirror300, tmp_path_factory) -> CrawlResult:
    return run_crawl(
        mirror300.base_url,
        tmp_path_factory.mktemp("generic"),
        args={"mode": "full"},
        settings={"BMKZ_PROFILE": "none"},
    )


def test_every_article_once_with_its_core_fields_equal_to_truth(generic_crawl, mirror300) -> None:
    items = generic_crawl.items
    assert generic_crawl.returncode == 0
    assert not [u for u, n in Counter(i["url"] for i in items).items() if n > 1]
    truth = {record["url"]: record for record in mirror300.truth()}
    actual = {item["url"]: item for item in items}
    assert set(actual) == set(truth)
    wrong = [(url, f) for url, record in truth.items() for f in CORE_FIELDS if actual[url][f] != record[f]]
    assert not wrong, f"{len(wrong)} core field mismatches, first: {wrong[:5]}"
    inexact = [url for url, record in truth.items() if actual[url]["body"] != record["body"]]
    assert len(inexact) <= (1 - MIN_EXACT_BODY_SHARE) * len(truth), f"{len(inexact)} bodies differ: {inexact[:3]}"
    assert generic_crawl.stat("article/body/main_text") >= len(inexact)  # each one counted as such


def test_the_run_says_the_markup_changed(generic_crawl) -> None:
    assert generic_crawl.stat("article/profile/generic") == generic_crawl.stat("article/extracted") > 0
    assert not generic_crawl.stat("article/profile/smartmag_yoast")
    drift = generic_crawl.stat("bmkz/markup_drift", "")
    assert "body from a generic layer" in drift
    assert "Site markup changed?" in generic_crawl.log


# --- a theme nobody described: the mirror's "newsroom" markup, profile on "auto" -------------------

# Fields the newsroom crawl must get right on every article: everything but the route-dependent
# description (a listing excerpt, or null when the article was first reached another way) and
# the body-derived ones, held to MIN_EXACT_BODY_SHARE.
NEWSROOM_FIELDS = (
    *CORE_FIELDS,
    "authors",
    "category",
    "tags",
    "image_url",
    "image_caption",
    "views",
    "related_urls",
)
BODY_FIELDS = ("body", "word_count", "content_hash", "dateline")


@pytest.fixture(scope="module")
def newsroom_mirror(tmp_path_factory):
    from bmkz_crawler.mirror.testing import running_mirror

    with running_mirror(tmp_path_factory.mktemp("newsroom-mirror"), articles=300, seed=7, theme="newsroom") as mirror:
        yield mirror


@pytest.fixture(scope="module")
def newsroom_crawl(newsroom_mirror, tmp_path_factory) -> CrawlResult:
    return run_crawl(newsroom_mirror.base_url, tmp_path_factory.mktemp("newsroom"), args={"mode": "full"})


def test_newsroom_crawl_delivers_every_article_once_with_its_fields_equal_to_truth(
    newsroom_crawl, newsroom_mirror
) -> None:
    items = newsroom_crawl.items
    assert newsroom_crawl.returncode == 0
    assert not [u for u, n in Counter(i["url"] for i in items).items() if n > 1]
    truth = {record["url"]: record for record in newsroom_mirror.truth()}
    actual = {item["url"]: item for item in items}
    assert set(actual) == set(truth)
    wrong = [(url, f) for url, record in truth.items() for f in NEWSROOM_FIELDS if actual[url][f] != record[f]]
    assert not wrong, f"{len(wrong)} field mismatches, first: {wrong[:5]}"
    inexact = [url for url, record in truth.items() if any(actual[url][f] != record[f] for f in BODY_FIELDS)]
    assert len(inexact) <= (1 - MIN_EXACT_BODY_SHARE) * len(truth), f"{len(inexact)} bodies differ: {inexact[:3]}"
    # description: the page's own or the listing excerpt, never anything else
    for url, record in truth.items():
        assert actual[url]["description"] in (record["description"], None), url


def test_newsroom_crawl_finds_cards_by_the_generic_rule_and_counts_it(newsroom_crawl) -> None:
    assert newsroom_crawl.stat("bmkz/cards/fallback3") > 0
    assert not newsroom_crawl.stat("bmkz/listing/no_cards")
    assert newsroom_crawl.stat("article/profile/generic") == newsroom_crawl.stat("article/extracted") > 0
    assert "Site markup changed?" in newsroom_crawl.log
