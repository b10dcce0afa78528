"""The mirror's second theme, "newsroom": same site and truth as SmartMag, none of its markup.

The newsroom pages exist to check the crawler's generic layers against a theme nobody
described, so these tests hold the mirror to three promises: no SmartMag class name on any
page, every truth field readable from the page with the new theme's own markup, and the
default theme unchanged.
"""

from __future__ import annotations

import json
import re
import urllib.request
from functools import cache

import lxml.html
import pytest

from bmkz_crawler import processors
from bmkz_crawler.mirror import faults as fault_kinds
from bmkz_crawler.mirror.app import MirrorApp
from bmkz_crawler.mirror.cli import parse_args
from bmkz_crawler.mirror.faults import FaultConfig, Faults
from bmkz_crawler.mirror.model import BROKEN_JSONLD, NO_JSONLD, NO_OG, MirrorSite
from bmkz_crawler.mirror.render_lists import card_excerpt
from bmkz_crawler.mirror.render_newsroom import page_variant
from bmkz_crawler.mirror.testing import running_mirror
from bmkz_crawler.mirror.truth import iter_truth

BASE = "http://127.0.0.1:8765/"
SMARTMAG_CLASSES = frozenset(
    {
        "post-content",
        "entry-content",
        "the-post-header",
        "post-header",
        "entry-header",
        "post-title",
        "is-title",
        "cat-labels",
        "post-author",
        "post-date",
        "single-featured",
        "featured",
        "wp-post-image",
        "the-post-tags",
        "related-posts",
        "l-post",
        "main-pagination",
        "page-numbers",
        "meta-item",
        "post-meta",
        "widget",
        "smart-head",
        "post-views",
    }
)
READ_ALSO = re.compile(r"^(?:Читайте также|Оқи отырыңыз)\s*:")


@cache
def site(articles: int = 300, seed: int = 1) -> MirrorSite:
    return MirrorSite(seed, articles)


@cache
def newsroom(articles: int = 300, seed: int = 1) -> MirrorApp:
    return MirrorApp(site(articles, seed), BASE, theme="newsroom")


def page(app: MirrorApp, path: str) -> str:
    reply = app.respond("GET", path)
    assert reply.status == 200, path
    return reply.body.decode("utf-8")


def class_tokens(document: str) -> set[str]:
    root = lxml.html.document_fromstring(document)
    return {token for element in root.iter() if isinstance(element.tag, str) for token in element.classes}


def html_paths(app: MirrorApp) -> list[str]:
    """Every HTML page of the mirror (feeds and sitemaps have no theme)."""
    return [path for path in app.page_paths() if not path.endswith((".xml", "/feed/"))]


# --- no SmartMag markup -----------------------------------------------------------------------


def test_newsroom_pages_carry_no_smartmag_class_name():
    app = newsroom()
    paths = html_paths(app)
    articles = {f"/{meta.path}" for meta in app.site.articles}
    kinds = {"article": 0, "amp": 0, "other": 0}
    for path in paths:
        document = page(app, path)
        assert not class_tokens(document) & SMARTMAG_CLASSES, path
        # nor in a stylesheet rule or a script the page carries
        assert "post-content" not in document and "entry-content" not in document, path
        kind = "article" if path in articles else "amp" if path.removesuffix("amp/") in articles else "other"
        kinds[kind] += 1
    # home pages, archives and their pages, static pages
    assert kinds["article"] == kinds["amp"] == 300 and kinds["other"] > 100
    assert not class_tokens(app.respond("GET", "/no-such-page/").body.decode()) & SMARTMAG_CLASSES


def test_smartmag_is_the_default_and_still_smartmag():
    model = site()
    default, smartmag = MirrorApp(model, BASE), MirrorApp(model, BASE, theme="smartmag")
    paths = [*html_paths(default)[::7], "/", "/kz/", "/feed/", "/sitemap_index.xml", "/no-such-page/"]
    for path in paths:
        assert default.respond("GET", path).body == smartmag.respond("GET", path).body, path
    article = page(default, f"/{model.articles[0].path}")
    assert {"post-content", "entry-content", "post-title", "the-post-header"} <= class_tokens(article)
    with pytest.raises(ValueError, match="unknown mirror theme"):
        MirrorApp(model, BASE, theme="nope")


def test_only_the_markup_differs_between_themes():
    model = site()
    smartmag, other = MirrorApp(model, BASE), newsroom()
    assert list(smartmag.page_paths()) == list(other.page_paths())
    for path in [
        "/feed/",
        "/kz/feed/",
        "/sitemap_index.xml",
        "/post-sitemap.xml",
        "/robots.txt",
        "/category/sport/feed/",
    ]:
        assert smartmag.respond("GET", path).body == other.respond("GET", path).body, path
    for path in ["/kz", "/category/sport/page/1/", f"/?p={model.articles[3].post_id}", "/category/sport/page/999/"]:
        first, second = smartmag.respond("GET", path), other.respond("GET", path)
        assert (first.status, first.location) == (second.status, second.location), path


# --- the truth is what the newsroom page shows ----------------------------------------------------


def _text(element: lxml.html.HtmlElement) -> str | None:
    return processors.normalize_text(element.text_content())


def _body_blocks(content: lxml.html.HtmlElement) -> list[str]:
    """The body by the schema's rules, read from `div.article__content`'s children."""
    texts: list[str | None] = []
    for child in content:
        if child.tag in ("p", "h2", "h3", "h4"):
            text = _text(child)
            if text and not READ_ALSO.match(text):
                texts.append(text)
        elif child.tag in ("ul", "ol"):
            texts += [_text(item) for item in child.iter("li")]
        elif child.tag == "blockquote":
            texts.append(_text(child))
        elif child.tag == "figure":
            texts += [_text(caption) for caption in child.iter("figcaption")]
    return [block for block in (processors.normalize_text(text) for text in texts) if block]


def _modified_at(root: lxml.html.HtmlElement) -> str | None:
    meta = root.xpath('//meta[@property="article:modified_time"]/@content')
    if meta:
        return processors.to_almaty_iso(meta[0])
    for script in root.xpath('//script[@type="application/ld+json"]/text()'):
        try:
            graph = json.loads(script)["@graph"]
        except ValueError:
            continue  # the cut-off graph of BROKEN_JSONLD
        for node in graph:
            if node.get("dateModified"):
                return processors.to_almaty_iso(node["dateModified"])
    return None


def read_newsroom_article(document: str, url: str, excerpt: str) -> dict:
    """Every truth field from a newsroom article page, with nothing but its visible markup,
    WordPress core's body class and shortlink, and Yoast's head (for description, modified)."""
    root = lxml.html.document_fromstring(document)
    (article,) = root.xpath('//article[contains(@class, "article--single")]')
    title = _text(article.xpath('.//h1[@class="article__title"]')[0])
    body = processors.normalize_body(processors.join_blocks(_body_blocks(article.find_class("article__content")[0])))
    views_text = article.xpath('.//span[@class="article__views"]/text()') or root.xpath(
        f'//li[@class="most-read__item"][a/@href="{url}"]//span[@class="most-read__views"]/text()'
    )
    cover = article.xpath('.//figure[@class="article__cover"]')
    description = root.xpath('//meta[@name="description"]/@content')
    return {
        "url": root.xpath('//link[@rel="canonical"]/@href')[0],
        "post_id": int(re.search(r"\bpostid-(\d+)\b", root.body.get("class"))[1]),
        "language": processors.language_code(root.get("lang")),
        "title": title,
        "description": processors.normalize_text(description[0]) if description else excerpt,
        "body": body,
        "published_at": processors.to_almaty_iso(article.xpath('.//time[@class="article__date"]/@datetime')[0]),
        "modified_at": _modified_at(root),
        "authors": [_text(a) for a in article.xpath('.//span[@class="byline"]//a[@rel="author"]')],
        "category": _text(article.xpath('.//a[contains(concat(" ", @rel, " "), " category ")]')[0]),
        "tags": list(dict.fromkeys(_text(a) for a in article.xpath('.//div[@class="article__tags"]//a[@rel="tag"]'))),
        "image_url": cover[0].xpath(".//img/@src")[0] if cover else None,
        "image_caption": _text(cover[0].xpath(".//figcaption")[0])
        if cover and cover[0].xpath(".//figcaption")
        else None,
        "dateline": processors.dateline_city(body.split("\n\n")[0]),
        "views": processors.parse_views(views_text[0]) if views_text else None,
        "related_urls": [
            processors.canonicalize_url(href) for href in root.xpath('//div[@class="more-news"]//a/@href')
        ],
        "word_count": processors.count_words(body),
        "content_hash": processors.content_hash(title, body),
    }


def test_truth_equals_what_the_newsroom_pages_show():
    model, app = site(), newsroom()
    mismatches = []
    for expected in iter_truth(model, BASE):
        meta = model.articles[model.by_path[expected["url"][len(BASE) :]]]
        for url in (expected["url"], expected["url"] + "amp/") if meta.index % 10 == 0 else (expected["url"],):
            actual = read_newsroom_article(page(app, url[len(BASE) - 1 :]), expected["url"], card_excerpt(model, meta))
            mismatches += [(url, key, value, actual[key]) for key, value in expected.items() if actual[key] != value]
    assert mismatches == []


def test_metadata_layers_are_left_out_on_a_share_of_newsroom_pages():
    model, app = site(), newsroom()
    counts = {"no_jsonld": 0, "no_og": 0, "neither": 0, "microdata": 0}
    for meta in model.articles:
        document = page(app, f"/{meta.path}")
        jsonld = "application/ld+json" in document
        og = 'property="og:type"' in document
        counts["no_jsonld"] += not jsonld
        counts["no_og"] += not og
        counts["neither"] += not jsonld and not og
        counts["microdata"] += "itemscope" in document
        flags, microdata = page_variant(model.seed, meta)
        assert jsonld == (not flags & NO_JSONLD) and og == (not flags & NO_OG)
        assert microdata == ("itemscope" in document)
        # the theme drops at most one of the two: both gone only where the model says so
        if not jsonld and not og:
            assert meta.has(NO_OG) and meta.flags & (NO_JSONLD | BROKEN_JSONLD)
    assert counts["no_jsonld"] > 0.2 * 300 and counts["no_og"] > 0.1 * 300
    assert 0.35 * 300 < counts["microdata"] < 0.65 * 300


def test_newsroom_keeps_conventional_discovery_signals():
    app = newsroom()
    home = lxml.html.document_fromstring(page(app, "/"))
    sections = home.xpath("//header//nav//a/@href")
    assert len(sections) == 9 and all(url.startswith(f"{BASE}category/") for url in sections[1:])
    assert home.xpath('//a[normalize-space()="QAZ"]/@href') == [f"{BASE}kz/"] * 3  # top bar, drawer, footer
    assert home.xpath('//link[@type="application/rss+xml"]/@href') == [f"{BASE}feed/"]
    cards = home.xpath("//main//article")
    assert len(cards) == 15 and all(card.xpath(".//h2/a/@href") and card.xpath(".//time/@datetime") for card in cards)
    listing = lxml.html.document_fromstring(page(app, "/category/novosti/page/2/"))
    assert listing.xpath('//link[@rel="next"]/@href') == [f"{BASE}category/novosti/page/3/"]
    assert listing.xpath('//a[@rel="next"]/@href') == [f"{BASE}category/novosti/page/3/"]
    assert listing.xpath('//link[@rel="prev"]/@href') == [f"{BASE}category/novosti/"]
    assert len(listing.xpath("//main//article")) == 10


def test_page_faults_cut_the_newsroom_body():
    model = site()
    app = MirrorApp(model, BASE, Faults(model, FaultConfig()), theme="newsroom")
    by_kind = {kind: path for path, kind in app.faults.article_faults.items()}
    truncated = app.respond("GET", f"/{by_kind[fault_kinds.TRUNCATED]}").body.decode()
    assert 'class="article__content">' in truncated and "</html>" not in truncated
    broken = app.respond("GET", f"/{by_kind[fault_kinds.BROKEN_MARKUP]}").body.decode()
    assert "</article>" not in broken.split('class="article__content">', 1)[1].split("</main>")[0]
    meta = model.articles[model.by_path[by_kind[fault_kinds.BROKEN_MARKUP]]]
    expected = next(record for record in iter_truth(model, BASE) if record["url"] == f"{BASE}{meta.path}")
    actual = read_newsroom_article(broken, expected["url"], card_excerpt(model, meta))
    assert actual["body"] == expected["body"]


# --- command line ---------------------------------------------------------------------------------


def test_cli_flag_serves_the_newsroom_theme_with_the_same_truth(tmp_path):
    assert parse_args([]).theme == "smartmag" and parse_args(["--theme", "newsroom"]).theme == "newsroom"
    with pytest.raises(SystemExit):
        parse_args(["--theme", "nope"])
    with running_mirror(tmp_path / "newsroom", articles=30, theme="newsroom") as mirror:
        records = mirror.truth()
        with urllib.request.urlopen(records[0]["url"], timeout=10) as response:
            article = response.read().decode("utf-8")
        with urllib.request.urlopen(mirror.base_url, timeout=10) as response:
            home = response.read().decode("utf-8")
        newsroom_truth = [json.dumps(r, ensure_ascii=False).replace(mirror.base_url, BASE) for r in records]
    assert "wp-theme-newsroom" in article and 'class="article__content">' in article
    assert not class_tokens(article) & SMARTMAG_CLASSES and not class_tokens(home) & SMARTMAG_CLASSES
    with running_mirror(tmp_path / "smartmag", articles=30) as mirror:
        smartmag_truth = [json.dumps(r, ensure_ascii=False).replace(mirror.base_url, BASE) for r in mirror.truth()]
    assert len(newsroom_truth) == 30 and newsroom_truth == smartmag_truth
