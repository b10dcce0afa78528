"""The offline mirror (issue 3): determinism, growth, links, endpoints, truth, faults, server."""

from __future__ import annotations

import re
import threading
import time
import urllib.error
import urllib.request
import xml.etree.ElementTree as ET
from collections import deque
from functools import cache
from urllib.parse import urljoin, urlsplit

import pytest
from parsel import Selector

from bmkz_crawler import processors
from bmkz_crawler.items import ARTICLE_FIELDS
from bmkz_crawler.mirror import faults as fault_kinds
from bmkz_crawler.mirror.app import MirrorApp
from bmkz_crawler.mirror.faults import FaultConfig, Faults
from bmkz_crawler.mirror.model import MirrorSite
from bmkz_crawler.mirror.testing import running_mirror
from bmkz_crawler.mirror.truth import article_truth, iter_truth

BASE = "http://127.0.0.1:8765/"
SM = "{http://www.sitemaps.org/schemas/sitemap/0.9}"


@cache
def site(articles: int = 300, seed: int = 1) -> MirrorSite:
    return MirrorSite(seed, articles)


def app(articles: int = 300, seed: int = 1, faults: FaultConfig | None = None) -> MirrorApp:
    model = site(articles, seed)
    return MirrorApp(model, BASE, Faults(model, faults) if faults else None)


@cache
def truth(articles: int = 300, seed: int = 1) -> dict[str, dict]:
    return {record["url"]: record for record in iter_truth(site(articles, seed), BASE)}


def get(mirror: MirrorApp, url_or_path: str) -> tuple[int, str, str | None]:
    """(status, text, location) for an in-process request."""
    parts = urlsplit(url_or_path)
    target = parts.path + (f"?{parts.query}" if parts.query else "")
    reply = mirror.respond("GET", target)
    return reply.status, reply.body.decode("utf-8"), reply.location


# --- determinism and growth -------------------------------------------------------------------


def test_same_seed_gives_byte_identical_pages():
    first, second = MirrorApp(MirrorSite(7, 300), BASE), MirrorApp(MirrorSite(7, 300), BASE)
    paths = ["/", "/kz/", "/feed/", "/sitemap_index.xml", "/category/politika/", "/kz/category/sayasat/"]
    paths += [f"/{meta.path}" for meta in first.site.articles[::37]]
    for path in paths:
        assert first.respond("GET", path).body == second.respond("GET", path).body, path
    other = MirrorApp(MirrorSite(8, 300), BASE)
    assert other.respond("GET", "/").body != first.respond("GET", "/").body


def test_grown_site_contains_the_smaller_one_with_a_few_edits():
    # the most-read widget shows views; newer articles may push an older one out of it
    in_widget = {
        BASE + model.articles[i].path for model in (site(300), site(400)) for top in model.top.values() for i in top
    }

    def comparable(records: dict[str, dict]) -> dict[str, dict]:
        return {url: {**r, "views": None} if url in in_widget else r for url, r in records.items()}

    small, grown = comparable(truth(300)), comparable(truth(400))
    assert set(small) <= set(grown)
    edited = [url for url in small if small[url] != grown[url]]
    assert 1 <= len(edited) <= 15  # "a handful"
    for url in edited:
        before, after = small[url], grown[url]
        if after["modified_at"] is not None:  # else the page states no modified time at all
            assert after["modified_at"] > (before["modified_at"] or before["published_at"])
        assert after["body"].startswith(before["body"]) and after["body"] != before["body"]
        assert after["content_hash"] != before["content_hash"]
        assert {k: v for k, v in after.items() if k not in ("body", "modified_at", "word_count", "content_hash")} == {
            k: v for k, v in before.items() if k not in ("body", "modified_at", "word_count", "content_hash")
        }
    newest_small = max(record["published_at"] for record in small.values())
    new = [record for url, record in grown.items() if url not in small]
    assert len(new) == 100 and all(record["published_at"] > newest_small for record in new)


def test_dates_span_2023_to_2024_and_both_almaty_offsets():
    published = [record["published_at"] for record in truth().values()]
    assert any(value.startswith("2023-") and value.endswith("+06:00") for value in published)
    assert any(value >= "2024-03-01" and value.endswith("+05:00") for value in published)
    assert all(("+06:00" in v) == (v < "2024-03-01") for v in published)


def test_timeline_keeps_50000_articles_within_2023_to_2025():
    from bmkz_crawler.mirror import timeline

    times = [timeline.published_at(1, i) for i in (0, 299, 1999, 49_999, 50_000)]
    assert times == sorted(set(times))
    years = [time.gmtime(t).tm_year for t in times]
    assert years[0] == 2023 and years[1] == 2024 and 2025 <= years[3] <= 2026


# --- links --------------------------------------------------------------------------------------

_HREF = re.compile(r'(?:href|src)="([^"]+)"')


def _internal_links(text: str, page_url: str) -> list[str]:
    links = []
    for raw in _HREF.findall(text):
        url = urljoin(page_url, raw.replace("&amp;", "&")).split("#", 1)[0]
        if url.startswith(BASE):
            links.append(url)
    return links


def _resolve(mirror: MirrorApp, url: str) -> int:
    for _ in range(5):
        status, _, location = get(mirror, url)
        if status not in (301, 302):
            return status
        url = location or ""
    return 310  # too many redirects


@pytest.mark.parametrize("faulty", [False, True])
def test_every_internal_link_resolves_except_the_deliberate_404s(faulty):
    mirror = app(faults=FaultConfig(transient_rate=0, slow_rate=0, redirect_loops=0) if faulty else None)
    missing = {BASE + path for path, kind in mirror.faults.article_faults.items() if kind == fault_kinds.MISSING}
    seen, queue, broken = {BASE}, deque([BASE, BASE + "kz/"]), set()
    visited = 0
    while queue and visited < 400:
        url = queue.popleft()
        status, text, _ = get(mirror, url)
        visited += 1
        if status in (301, 302):
            text = ""
        for link in _internal_links(text, url):
            if link in seen:
                continue
            seen.add(link)
            if _resolve(mirror, link) != 200:
                broken.add(link.split("?", 1)[0])
            elif "/wp-content/" not in link and not link.endswith(".xml"):
                queue.append(link)
    assert visited == 400 and len(seen) > 1000
    assert broken == (missing & broken)
    for url in missing:  # still listed: the section archive page that holds it links to it
        index = mirror.site.by_path[url.removeprefix(BASE)]
        listing = mirror.site.listings[
            f"{mirror.site.articles[index].edition.prefix}category/{mirror.site.articles[index].section.slug}/"
        ]
        number = (len(listing.indices) - listing.indices.index(index) - 1) // 10 + 1
        archive = f"/{listing.path}" + (f"page/{number}/" if number > 1 else "")
        assert url in _internal_links(get(mirror, archive)[1], BASE)


def test_every_article_is_listed_in_a_menu_section():
    mirror = app()
    listed = set()
    for home in ("/", "/kz/"):
        for url in Selector(get(mirror, home)[1]).css("ul.main-menu a::attr(href)").getall()[1:]:
            listed.update(mirror.site.listings[url.removeprefix(BASE)].indices)
    assert listed == set(range(300))


# --- endpoints ----------------------------------------------------------------------------------


def test_robots_names_both_sitemap_indexes():
    status, text, _ = get(app(), "/robots.txt")
    assert status == 200 and "Disallow: /wp-admin/" in text
    assert f"Sitemap: {BASE}sitemap_index.xml" in text and f"Sitemap: {BASE}kz/sitemap_index.xml" in text


def test_post_sitemaps_hold_at_most_1000_urls_newest_first():
    mirror = app(1600)
    for prefix in ("", "kz/"):
        index = ET.fromstring(get(mirror, f"/{prefix}sitemap_index.xml")[1])
        locs = [loc.text for loc in index.iter(f"{SM}loc")]
        posts = [loc for loc in locs if "post-sitemap" in loc]
        urls = []
        for loc in posts:
            status, text, _ = get(mirror, loc)
            tree = ET.fromstring(text)
            entries = [(u.find(f"{SM}loc").text, u.find(f"{SM}lastmod").text) for u in tree.iter(f"{SM}url")]
            assert status == 200 and 0 < len(entries) <= 1000
            urls += entries
        edition = mirror.site.edition_indices["kk" if prefix else "ru"]
        assert len(urls) == len(edition)
        assert [url for url, _ in urls] == [BASE + mirror.site.articles[i].path for i in edition[::-1]]
    assert len(posts) == 1 and get(mirror, "/post-sitemap2.xml")[0] == 200
    assert get(mirror, "/post-sitemap3.xml")[0] == 404


def test_feeds_list_newest_articles():
    mirror = app()
    for path, lang in (("/feed/", "ru"), ("/kz/feed/", "kk"), ("/category/politika/feed/", "ru")):
        status, text, _ = get(mirror, path)
        links = [item.findtext("link") for item in ET.fromstring(text.encode()).iter("item")]
        assert status == 200 and 0 < len(links) <= 10
        assert all(link in truth() and truth()[link]["language"] == lang for link in links)
        dates = [truth()[link]["published_at"] for link in links]
        assert dates == sorted(dates, reverse=True)


def test_shortlink_redirects_to_the_article():
    mirror = app()
    meta = mirror.site.articles[123]
    status, _, location = get(mirror, f"/?p={meta.post_id}")
    assert status == 301 and location == BASE + meta.path
    assert get(mirror, "/?p=999999")[0] == 404


def test_archive_pagination_and_pages_past_the_last():
    mirror = app()
    listing = mirror.site.listings["category/novosti/"]
    last = listing.pages()
    page = Selector(get(mirror, "/category/novosti/")[1])
    assert len(page.css(".main-content article.l-post")) == 10
    assert page.css("nav.main-pagination a.next.page-numbers::attr(href)").get() == f"{BASE}category/novosti/page/2/"
    assert f"{BASE}category/novosti/page/{last}/" in page.css("nav.main-pagination a.page-numbers::attr(href)").getall()
    assert get(mirror, f"/category/novosti/page/{last}/")[0] == 200
    assert get(mirror, f"/category/novosti/page/{last + 1}/")[0] == 404
    assert get(mirror, "/category/novosti/page/1/")[0] == 301
    dates = Selector(get(mirror, "/category/novosti/page/2/")[1]).css(".main-content time::attr(datetime)").getall()
    assert dates == sorted(dates, reverse=True)


def test_amp_duplicate_points_its_canonical_to_the_original():
    mirror = app()
    meta = mirror.site.articles[200]
    original = Selector(get(mirror, f"/{meta.path}")[1])
    amp = Selector(get(mirror, f"/{meta.path}amp/")[1])
    assert original.css("link[rel=amphtml]::attr(href)").get() == f"{BASE}{meta.path}amp/"
    assert amp.css("link[rel=canonical]::attr(href)").get() == f"{BASE}{meta.path}"


def test_static_pages_are_pages_not_posts():
    page = Selector(get(app(), "/o-nas/")[1])
    assert page.css('meta[property="og:type"]::attr(content)').get() == "article"
    assert "page-id-12" in page.css("body::attr(class)").get() and not page.css("article[id^=post-]")


def test_kazakh_edition_is_reached_through_qaz():
    mirror = app()
    home = Selector(get(mirror, "/")[1])
    kz_url = home.xpath('//a[text()="QAZ"]/@href').get()
    kz = Selector(get(mirror, kz_url)[1])
    assert kz.css("html::attr(lang)").get() == "kk-KZ"
    assert kz.css('meta[property="og:locale"]::attr(content)').get() == "kk_KZ"
    assert kz.css("ul.main-menu a::text").getall() == [
        "Басты бет", "Саясат", "Экономика", "Мәдениет", "Спорт", "Әлем", "ТЖ", "Қоғам", "Криминал",
    ]  # fmt: skip
    assert kz.xpath('//a[text()="RUS"]/@href').get() == BASE
    article = Selector(get(mirror, kz.css("article.l-post h2.post-title a::attr(href)").get())[1])
    printed = article.css("h1 ~ div time.post-date::text").get()
    assert re.fullmatch(
        r"\d{1,2} (қаңтар|ақпан|наурыз|сәуір|мамыр|маусым|шілде|тамыз|қыркүйек|қазан|қараша|желтоқсан), 20\d\d", printed
    )
    assert "рет қаралды" in article.css("span.meta-item.post-views::text").get()


# --- truth ----------------------------------------------------------------------------------------


def test_truth_follows_the_schema():
    records = list(truth().values())
    assert len(records) == 300
    for record in records:
        assert set(record) == set(ARTICLE_FIELDS) - {"crawled_at", "change"}
        assert record["body"] == processors.normalize_body(record["body"])
        assert record["word_count"] == processors.count_words(record["body"])
        assert record["content_hash"] == processors.content_hash(record["title"], record["body"])
        assert record["dateline"] == processors.dateline_city(record["body"].split("\n\n", 1)[0])
        assert all(url == processors.canonicalize_url(url) and url in truth() for url in record["related_urls"])
        assert "Читайте также" not in record["body"] and "Оқи отырыңыз" not in record["body"]
        assert record["tags"] == list(dict.fromkeys(record["tags"]))
        assert processors.to_almaty_iso(record["published_at"]) == record["published_at"]
    kazakh = sum(record["language"] == "kk" for record in records) / len(records)
    assert 0.2 < kazakh < 0.4
    # every article has a description: its page's, or the excerpt of its listing cards
    assert all(r["description"] for r in records)
    for field in ("modified_at", "image_url", "image_caption", "views", "dateline"):
        assert any(r[field] is None for r in records) and any(r[field] is not None for r in records), field
    assert any(not r["authors"] for r in records) and any(not r["tags"] for r in records)
    assert any(not r["related_urls"] for r in records) and any(r["category"] != "Новости" for r in records)


def test_truth_matches_what_the_page_shows():
    mirror = app()
    for meta in mirror.site.articles[::29]:
        expected = article_truth(mirror.site, meta, BASE)
        page = Selector(get(mirror, f"/{meta.path}")[1])
        assert page.css("h1.is-title.post-title::text").get() == expected["title"]
        assert page.css("span.cat-labels a[rel=category]::text").get() == expected["category"]
        assert page.css("span.post-author a[rel=author]::text").getall() == expected["authors"]
        assert (
            processors.to_almaty_iso(page.css("h1 ~ div time.post-date::attr(datetime)").get())
            == expected["published_at"]
        )
        assert page.css(".single-featured a.image-link::attr(href)").get() == expected["image_url"]
        assert f"postid-{expected['post_id']}" in page.css("body::attr(class)").get()
        views = (
            page.css("div.meta-below span.post-views::text").get()
            or page.xpath(
                f'//div[contains(@class,"widget-posts")]//article[.//a/@href="{expected["url"]}"]'
                '//span[contains(@class,"post-views")]/text()'
            ).get()
        )
        assert processors.parse_views(views) == expected["views"]
        related = [
            processors.canonicalize_url(u)
            for u in page.css("section.related-posts h2.post-title a::attr(href)").getall()
        ]
        assert related == expected["related_urls"]
        modified = page.css('meta[property="article:modified_time"]::attr(content)').get()
        assert processors.to_almaty_iso(modified) == expected["modified_at"] or modified is None


# --- faults ---------------------------------------------------------------------------------------


def test_transient_faults_appear_at_the_configured_rate_and_succeed_on_retry():
    mirror = app(2000, faults=FaultConfig(transient_rate=0.1, slow_rate=0.02))
    paths = list(mirror.page_paths())
    transient = [path for path in paths if mirror.faults.transient(path)]
    slow = [path for path in paths if mirror.faults.delay(path)]
    assert 0.08 < len(transient) / len(paths) < 0.12
    assert 0.01 < len(slow) / len(paths) < 0.03
    for path in transient[:50]:
        status, failures = mirror.faults.transient(path)
        answers = [mirror.respond("GET", path).status for _ in range(failures + 1)]
        assert answers[:-1] == [status] * failures and status in (500, 503)
        assert answers[-1] in (200, 301, 302, 404)
    assert all(1.0 <= mirror.faults.delay(path) <= 2.0 for path in slow)
    defaults = app(2000, faults=FaultConfig())
    share = sum(1 for path in paths if defaults.faults.transient(path)) / len(paths)
    assert 0.04 < share < 0.06


def test_article_faults_are_deterministic_and_behave():
    mirror = app(faults=FaultConfig())
    again = app(faults=FaultConfig())
    assert mirror.faults.article_faults == again.faults.article_faults
    by_kind = {kind: path for path, kind in mirror.faults.article_faults.items()}
    assert set(by_kind) == {"missing", "truncated", "broken-markup", "wrong-charset", "redirect-loop"}
    assert mirror.respond("GET", f"/{by_kind['missing']}").status == 404
    assert mirror.respond("GET", f"/{by_kind['missing']}amp/").status == 404
    truncated = mirror.respond("GET", f"/{by_kind['truncated']}").body.decode()
    assert "post-content" in truncated and "</html>" not in truncated
    reply = mirror.respond("GET", f"/{by_kind['wrong-charset']}")
    assert reply.content_type.endswith("windows-1251") and b'<meta charset="windows-1251">' in reply.body
    first = mirror.respond("GET", f"/{by_kind['redirect-loop']}")
    second = mirror.respond("GET", urlsplit(first.location).path + "?" + urlsplit(first.location).query)
    assert first.status == second.status == 302 and second.location == BASE + by_kind["redirect-loop"]
    # broken markup: still an article, and a forgiving parser finds the same paragraphs
    path = by_kind["broken-markup"]
    page = Selector(mirror.respond("GET", f"/{path}").body.decode())
    index = mirror.site.by_path[path]
    expected = article_truth(mirror.site, mirror.site.articles[index], BASE)
    assert page.css(f"article#post-{expected['post_id']}")
    paragraphs = [
        processors.normalize_text("".join(p.css("::text").getall()))
        for p in page.css("div.entry-content > p, div.entry-content li")
    ]
    assert all(
        paragraph in expected["body"]
        for paragraph in paragraphs
        if paragraph and "Читайте" not in paragraph and "Оқи" not in paragraph
    )


# --- the real server ------------------------------------------------------------------------------


def _fetch(url: str) -> tuple[int, bytes, dict]:
    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    opener = urllib.request.build_opener(NoRedirect)
    try:
        with opener.open(url, timeout=10) as response:
            return response.status, response.read(), dict(response.headers)
    except urllib.error.HTTPError as error:
        return error.code, error.read(), dict(error.headers)


def test_server_serves_logs_and_writes_truth_and_plan(tmp_path):
    with running_mirror(tmp_path, articles=300, faults=True, extra_args=("--slow-rate", "0")) as mirror:
        assert re.fullmatch(r"http://127\.0\.0\.1:\d+/", mirror.base_url)
        plan = mirror.fault_plan()
        excluded = {entry["url"] for entry in plan["faults"] if entry["truth"] == "excluded"}
        records = mirror.truth()
        assert len(records) == 300 - len(excluded) and not excluded & {r["url"] for r in records}
        transient = next(entry for entry in plan["faults"] if entry["kind"] == "transient")
        statuses = [
            _fetch(mirror.base_url + transient["path"].lstrip("/"))[0] for _ in range(transient["failures"] + 1)
        ]
        assert statuses[:-1] == [transient["status"]] * transient["failures"]
        status, _, headers = _fetch(mirror.base_url + "wp-content/uploads/2025/03/svidetelstvo.pdf")
        assert status == 200 and headers["Content-Type"] == "application/pdf"
        record = records[0]
        status, _, headers = _fetch(f"{mirror.base_url}?p={record['post_id']}")
        assert status == 301 and headers["Location"] == record["url"]
        logged = [(r.method, r.path, r.status) for r in mirror.requests()]
        assert logged[-1] == ("GET", f"/?p={record['post_id']}", 301)
        assert ("GET", "/wp-content/uploads/2025/03/svidetelstvo.pdf", 200) in logged


def test_slow_answers_do_not_block_other_requests(tmp_path):
    args = ("--slow-rate", "1", "--slow-min", "1.5", "--slow-max", "1.5", "--transient-rate", "0")
    with running_mirror(tmp_path, articles=50, faults=True, extra_args=args) as mirror:
        slow = threading.Thread(target=_fetch, args=(mirror.base_url,))
        start = time.perf_counter()
        slow.start()
        time.sleep(0.2)
        status, _, _ = _fetch(mirror.base_url + "robots.txt")  # robots.txt is never slowed
        fast = time.perf_counter() - start
        slow.join()
        assert status == 200 and fast < 1.0 and time.perf_counter() - start >= 1.5
