"""The mirror's validators and its settable now: ETag, Last-Modified and 304 on feeds, sitemaps
and robots.txt; `--no-validators`; `--now` moving the timeline, alone and across growth."""

from __future__ import annotations

import hashlib
import urllib.error
import urllib.request
import xml.etree.ElementTree as ET
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from functools import cache

import pytest

from bmkz_crawler.mirror.app import MirrorApp
from bmkz_crawler.mirror.model import MirrorSite
from bmkz_crawler.mirror.oracle import almaty_iso
from bmkz_crawler.mirror.testing import running_mirror
from bmkz_crawler.mirror.truth import iter_truth
from bmkz_crawler.mirror.validators import entity_tag, http_date

BASE = "http://127.0.0.1:8765/"
SM = "{http://www.sitemaps.org/schemas/sitemap/0.9}"
DAY = 86400
NOW = int(datetime(2025, 11, 7, 10, 0, tzinfo=UTC).timestamp())
FEEDS = ["/feed/", "/kz/feed/", "/category/politika/feed/"]
SITEMAPS = ["/sitemap_index.xml", "/kz/sitemap_index.xml", "/post-sitemap.xml", "/kz/post-sitemap.xml"]
SITEMAPS += ["/page-sitemap.xml"]
MACHINE = [*FEEDS, *SITEMAPS, "/robots.txt"]


@cache
def site(articles: int = 300, now: int | None = None, anchor: int | None = None) -> MirrorSite:
    return MirrorSite(1, articles, now, anchor)


def app(articles: int = 300, *, validators: bool = True, now: int | None = None) -> MirrorApp:
    return MirrorApp(site(articles, now), BASE, validators=validators)


def latest(model: MirrorSite) -> int:
    return max(max(meta.published, meta.modified or 0) for meta in model.articles)


# --- validators ---------------------------------------------------------------------------------


@pytest.mark.parametrize("path", MACHINE)
def test_machine_endpoints_carry_an_etag_of_the_body_and_a_last_modified(path):
    reply = app().respond("GET", path)
    assert reply.status == 200 and reply.body
    assert reply.etag == entity_tag(reply.body) and reply.etag.startswith('"')
    assert reply.last_modified is not None and reply.last_modified <= latest(site())


def test_sitemap_last_modified_is_the_newest_lastmod_it_lists():
    mirror = app()
    for path in ("/sitemap_index.xml", "/post-sitemap.xml", "/kz/post-sitemap.xml"):
        reply = mirror.respond("GET", path)
        listed = [datetime.fromisoformat(node.text or "") for node in ET.fromstring(reply.body).iter(f"{SM}lastmod")]
        assert reply.last_modified == int(max(listed).timestamp()), path


def test_feed_last_modified_is_the_newest_change_of_its_items():
    mirror, model = app(), site()
    by_url = {f"{BASE}{meta.path}": meta for meta in model.articles}
    for path in FEEDS:
        reply = mirror.respond("GET", path)
        items = [by_url[item.findtext("link") or ""] for item in ET.fromstring(reply.body).iter("item")]
        assert len(items) == 10, "WordPress's default feed length"
        assert reply.last_modified == max(meta.modified or meta.published for meta in items), path


def test_robots_is_last_modified_when_the_site_was_set_up():
    reply = app().respond("GET", "/robots.txt")
    assert reply.last_modified == int(datetime(2023, 1, 1, tzinfo=UTC).timestamp())
    assert reply.last_modified < min(meta.published for meta in site().articles)


@pytest.mark.parametrize("path", MACHINE)
def test_matching_if_none_match_gives_304_without_a_body(path):
    mirror = app()
    fresh = mirror.respond("GET", path)
    assert fresh.etag is not None
    for header in (fresh.etag, f"W/{fresh.etag}", f'"other", {fresh.etag}', "*"):
        reply = mirror.respond("GET", path, {"if-none-match": header})
        assert (reply.status, reply.body) == (304, b""), header
        assert (reply.etag, reply.last_modified) == (fresh.etag, fresh.last_modified)
    assert mirror.respond("HEAD", path, {"if-none-match": fresh.etag}).status == 304


@pytest.mark.parametrize("path", MACHINE)
def test_if_modified_since_not_older_than_last_modified_gives_304(path):
    mirror = app()
    fresh = mirror.respond("GET", path)
    assert fresh.last_modified is not None
    for since in (fresh.last_modified, fresh.last_modified + DAY):
        reply = mirror.respond("GET", path, {"if-modified-since": http_date(since)})
        assert (reply.status, reply.body) == (304, b""), since


@pytest.mark.parametrize("path", MACHINE)
def test_stale_validators_give_200_with_the_current_ones(path):
    mirror = app()
    fresh = mirror.respond("GET", path)
    assert fresh.last_modified is not None
    for headers in ({"if-none-match": '"0000000000000000"'}, {"if-modified-since": http_date(fresh.last_modified - 1)}):
        reply = mirror.respond("GET", path, headers)
        assert reply == fresh, headers


def test_if_none_match_wins_over_if_modified_since():
    mirror = app()
    fresh = mirror.respond("GET", "/feed/")
    assert fresh.etag is not None and fresh.last_modified is not None
    stale_tag_fresh_date = {"if-none-match": '"0000000000000000"', "if-modified-since": http_date(fresh.last_modified)}
    assert mirror.respond("GET", "/feed/", stale_tag_fresh_date).status == 200
    fresh_tag_stale_date = {"if-none-match": fresh.etag, "if-modified-since": http_date(fresh.last_modified - DAY)}
    assert mirror.respond("GET", "/feed/", fresh_tag_stale_date).status == 304


def test_an_invalid_if_modified_since_is_ignored():
    for value in ("yesterday", "", "Thu, 99 Foo 2025 10:00:00 GMT"):
        assert app().respond("GET", "/feed/", {"if-modified-since": value}).status == 200, value


def test_html_pages_carry_no_validators_and_never_304():
    mirror = app()
    for path in ("/", "/kz/", f"/{site().articles[5].path}", "/category/politika/", "/no-such-page/"):
        reply = mirror.respond("GET", path, {"if-none-match": "*", "if-modified-since": http_date(NOW)})
        assert reply.status in (200, 404) and reply.etag is None and reply.last_modified is None, path


def test_without_validators_nothing_is_stated_and_nothing_is_304():
    plain, with_validators = app(validators=False), app()
    for path in MACHINE:
        for headers in ({"if-none-match": "*"}, {"if-modified-since": http_date(NOW)}):
            reply = plain.respond("GET", path, headers)
            assert reply.status == 200 and reply.etag is None and reply.last_modified is None, path
            assert reply.body == with_validators.respond("GET", path).body


def test_a_grown_site_changes_the_feed_validators_but_not_robots():
    small, grown = app(300), app(400)
    for path in ("/feed/", "/sitemap_index.xml", "/post-sitemap.xml"):
        before, after = small.respond("GET", path), grown.respond("GET", path)
        assert before.etag != after.etag and before.last_modified is not None and after.last_modified is not None
        assert after.last_modified > before.last_modified
        assert grown.respond("GET", path, {"if-none-match": str(before.etag)}).status == 200
        assert grown.respond("GET", path, {"if-modified-since": http_date(before.last_modified)}).status == 200
    assert small.respond("GET", "/robots.txt") == grown.respond("GET", "/robots.txt")


# --- now ----------------------------------------------------------------------------------------


def test_without_now_the_dates_are_the_fixed_timeline_as_before():
    # every article's path and dates for seed 1, 400 articles, as the mirror gave them before --now
    model = site(400)
    lines = "".join(
        f"{meta.path} {almaty_iso(meta.published)} {almaty_iso(meta.modified) if meta.modified else '-'}\n"
        for meta in model.articles
    )
    assert model.shift == 0
    assert almaty_iso(model.articles[0].published) == "2023-01-11T18:17:53+06:00"
    assert almaty_iso(model.articles[-1].published) == "2024-06-12T06:33:48+05:00"
    assert hashlib.sha256(lines.encode()).hexdigest() == (
        "2bd1e08bb3a4bf29a1ac6b4fb01226c0d6f0693d366ffdf19e45b5fd543e20d4"
    )


@pytest.mark.parametrize("articles", [30, 300, 400])
def test_now_puts_the_sites_last_change_a_day_before_it(articles):
    model = site(articles, NOW)
    assert latest(model) == NOW - DAY
    newest = model.articles[-1]
    assert newest.published == max(meta.published for meta in model.articles)
    assert NOW - 2 * DAY < newest.published <= NOW - DAY
    mirror = MirrorApp(model, BASE)
    # the site's last change is in one edition: that edition's sitemap index states it
    assert max(mirror.respond("GET", path).last_modified or 0 for path in MACHINE) == NOW - DAY
    robots = mirror.respond("GET", "/robots.txt")
    assert robots.last_modified is not None and robots.last_modified < model.articles[0].published


def test_now_moves_every_date_by_one_shift_and_keeps_everything_else():
    default, moved = site(300), site(300, NOW)
    shift = moved.shift
    assert shift == NOW - DAY - latest(default)
    for before, after in zip(default.articles, moved.articles, strict=True):
        assert after.published == before.published + shift
        assert after.modified == (before.modified + shift if before.modified else None)
        assert (after.path, after.post_id, after.title, after.tags, after.author, after.views, after.flags) == (
            before.path, before.post_id, before.title, before.tags, before.author, before.views, before.flags,
        )  # fmt: skip


def test_now_is_deterministic():
    first = list(iter_truth(MirrorSite(1, 120, NOW), BASE))
    assert first == list(iter_truth(MirrorSite(1, 120, NOW), BASE))
    assert first != list(iter_truth(MirrorSite(1, 120, NOW + 3600), BASE))


def test_growth_with_the_same_now_adds_newer_articles_and_keeps_the_older_ones():
    small, grown = site(300, NOW), site(400, NOW)
    assert latest(small) == latest(grown) == NOW - DAY
    assert [meta.path for meta in grown.articles[:300]] == [meta.path for meta in small.articles]
    newest_small = max(meta.published for meta in grown.articles[:300])
    assert all(meta.published > newest_small for meta in grown.articles[300:])


def test_growth_anchored_alike_keeps_the_older_articles_dates():
    small, grown = site(300, NOW, 400), site(400, NOW)
    assert latest(grown) == NOW - DAY and latest(small) < NOW - DAY
    assert [meta.published for meta in small.articles] == [meta.published for meta in grown.articles[:300]]
    edited = [i for i, meta in enumerate(small.articles) if meta.modified != grown.articles[i].modified]
    assert edited and all(grown.articles[i].edited and not small.articles[i].edited for i in edited)
    assert all(meta.published > small.articles[-1].published for meta in grown.articles[300:])


def test_anchor_smaller_than_the_site_is_refused():
    with pytest.raises(ValueError, match="at least"):
        MirrorSite(1, 300, NOW, 200)


# --- the real server ----------------------------------------------------------------------------


def _fetch(url: str, headers: dict[str, str] | None = None) -> tuple[int, bytes, dict[str, str]]:
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.read(), dict(response.headers)
    except urllib.error.HTTPError as error:  # urllib raises on 304 too
        return error.code, error.read(), dict(error.headers)


def test_server_sends_validators_answers_304_and_logs_it(tmp_path):
    with running_mirror(tmp_path, articles=30, write_truth=False) as mirror:
        counted = 0
        for path in ("feed/", "post-sitemap.xml", "robots.txt"):
            status, body, headers = _fetch(mirror.base_url + path)
            assert status == 200 and headers["ETag"] == entity_tag(body)
            last_modified = headers["Last-Modified"]
            assert last_modified.endswith(" GMT") and parsedate_to_datetime(last_modified)
            for conditional in ({"If-None-Match": headers["ETag"]}, {"If-Modified-Since": last_modified}):
                status, body, answer = _fetch(mirror.base_url + path, conditional)
                assert (status, body) == (304, b""), (path, conditional)
                assert answer["ETag"] == headers["ETag"] and answer["Last-Modified"] == last_modified
                assert "Content-Length" not in answer and "Content-Type" not in answer
                counted += 1
        assert sum(entry.status == 304 for entry in mirror.requests()) == counted == 6


def test_server_without_validators_never_answers_304(tmp_path):
    with running_mirror(tmp_path, articles=30, write_truth=False, validators=False) as mirror:
        for path in ("feed/", "sitemap_index.xml", "robots.txt"):
            status, body, headers = _fetch(mirror.base_url + path, {"If-None-Match": "*"})
            assert status == 200 and body and "ETag" not in headers and "Last-Modified" not in headers
        assert {entry.status for entry in mirror.requests()} == {200}


def test_cli_now_dates_the_truth_and_the_headers(tmp_path):
    with running_mirror(tmp_path, articles=30, now="2025-11-07T10:00:00Z") as mirror:
        stated = {
            _fetch(mirror.base_url + path)[2]["Last-Modified"] for path in ("sitemap_index.xml", "kz/sitemap_index.xml")
        }
        records = mirror.truth()
    assert max(stated, key=parsedate_to_datetime) == "Thu, 06 Nov 2025 10:00:00 GMT"
    assert {record["url"] for record in records} == {f"{mirror.base_url}{meta.path}" for meta in site(30).articles}
    newest = max(datetime.fromisoformat(record["published_at"]) for record in records)
    assert datetime(2025, 11, 5, 10, tzinfo=UTC) < newest <= datetime(2025, 11, 6, 10, tzinfo=UTC)


def test_a_304_keeps_a_slow_answers_delay():
    mirror = app()
    fresh = mirror.respond("GET", "/feed/")
    assert fresh.etag is not None
    mirror.faults.delay = lambda path: 1.5  # type: ignore[method-assign]
    reply = mirror.respond("GET", "/feed/", {"if-none-match": fresh.etag})
    assert (reply.status, reply.delay) == (304, 1.5)
