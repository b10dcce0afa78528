"""The mirror's truth agrees with what the extractor reads from the mirror's own pages.

Two renderings of the anatomy (golden pages, mirror) and one extractor: if they disagree,
one of them has misread the contract.
"""

from __future__ import annotations

from dataclasses import asdict

from scrapy.http import HtmlResponse

from bmkz_crawler.extraction import ArticleExtractor
from bmkz_crawler.mirror.app import MirrorApp
from bmkz_crawler.mirror.model import MirrorSite
from bmkz_crawler.mirror.render_lists import card_excerpt
from bmkz_crawler.mirror.truth import iter_truth

BASE = "http://127.0.0.1:8765/"


def test_truth_equals_extraction_of_every_article_page_and_its_amp_copy() -> None:
    site = MirrorSite(5, 400)
    app = MirrorApp(site, BASE)
    extractor = ArticleExtractor()
    excerpts = {f"{BASE}{meta.path}": card_excerpt(site, meta) for meta in site.articles}
    mismatches = []
    checked = 0
    for expected in iter_truth(site, BASE):
        url = expected["url"]
        for fetched in (url, url + "amp/") if checked % 10 == 0 else (url,):
            reply = app.respond("GET", fetched[len(BASE) - 1 :])
            assert reply.status == 200, fetched
            response = HtmlResponse(url=fetched, body=reply.body, encoding="utf-8")
            article = extractor.extract(response, listing_excerpt=excerpts[url])
            assert article is not None, fetched
            actual = asdict(article)
            mismatches += [(fetched, k, v, actual[k]) for k, v in expected.items() if actual[k] != v]
        checked += 1
    assert checked == 400
    assert mismatches == []
