"""A hostile site on 127.0.0.1: one small server holding every trap the crawler must survive.

- `/category/loop/` paginates forever (`page/N` repeats the same cards), and
  `/category/endless/` paginates forever with ever-new article URLs that all answer 404;
- robots.txt names an endless chain of sitemap indexes and a billion-laughs sitemap whose
  valid neighbour entry must still be fetched;
- cards and redirects lead to the same host on another port (a second server that records every
  request it gets), to `localhost` (another host name on the same port) and to a parent-looking
  host; a chain of redirects to ever-new URLs and a two-page redirect cycle;
- an article in cp1251 that declares UTF-8, and one whose JSON-LD headline starts with a NUL
  and a formula;
- a same-host `http://` link is not possible on loopback without TLS, so the upgrade is unit-tested.

Every page is made here, from the seed text's words; nothing is fetched from anywhere else.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

PARAGRAPHS = (
    "Астана. 7 ноября. BM.KZ – Глава государства провёл встречу с делегацией и обсудил планы на год.",
    "Стороны обсудили вопросы торгово-экономического сотрудничества и развитие транспортных коридоров.",
    "По итогам встречи подписан ряд документов, направленных на расширение связей между регионами.",
)
GOOD_ARTICLES = ("/politika/vstrecha-1/", "/politika/vstrecha-2/", "/politika/vstrecha-3/")
VALID_NEIGHBOUR = "/politika/iz-karty-sajta/"  # listed only beside the entity bomb
CP1251_ARTICLE = "/politika/kodirovka/"
NUL_ARTICLE = "/politika/formula/"
ALL_ARTICLES = (*GOOD_ARTICLES, VALID_NEIGHBOUR, CP1251_ARTICLE, NUL_ARTICLE)
NUL_TITLE = "\u0000=cmd|' /C calc'!A0 Заголовок"


@dataclass
class Recorder:
    paths: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, path: str) -> None:
        with self.lock:
            self.paths.append(path)


def article_html(base: str, path: str, number: int, title: str, *, charset: str = "utf-8") -> str:
    body = "".join(f"<p>{text}</p>" for text in PARAGRAPHS)
    jsonld = json.dumps(
        {
            "@context": "https://schema.org",
            "@type": "NewsArticle",
            "headline": title,
            "datePublished": f"2025-11-0{number % 9 + 1}T10:00:00+05:00",
            "inLanguage": "ru-RU",
        },
        ensure_ascii=True,  # a NUL travels as \u0000, as a JSON encoder writes it
    )
    return (
        f'<!DOCTYPE html><html lang="ru-RU"><head><meta charset="{charset}"><title>{title[-9:]}</title>'
        f'<link rel="canonical" href="{base}{path.lstrip("/")}">'
        '<meta property="og:type" content="article">'
        f'<script type="application/ld+json">{jsonld}</script></head>'
        f'<body class="post-template-default single single-post postid-{number}">'
        f'<article id="post-{number}"><h1>{title[-9:]}</h1>'
        f'<time datetime="2025-11-0{number % 9 + 1}T10:00:00+05:00">ноябрь</time>'
        f'<div class="story-text">{body}</div></article></body></html>'
    )


def listing_html(cards: list[str], next_href: str | None) -> str:
    items = "".join(f'<article class="card"><h2><a href="{href}">Новость</a></h2></article>' for href in cards)
    pager = f'<a class="next page-numbers" href="{next_href}">Далее</a>' if next_href else ""
    return f'<html lang="ru-RU"><body class="archive category"><main>{items}</main>{pager}</body></html>'


class HostileHandler(BaseHTTPRequestHandler):
    server_version = "hostile/1"
    base: str = ""
    other: str = ""  # the same host on another port
    recorder: Recorder

    def log_message(self, *args: object) -> None:
        pass

    def send(
        self, status: int, body: bytes | str = b"", content_type: str = "text/html; charset=utf-8", **headers: str
    ) -> None:
        data = body.encode("utf-8") if isinstance(body, str) else body
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        for name, value in headers.items():
            self.send_header(name.replace("_", "-"), value)
        self.end_headers()
        self.wfile.write(data)

    def redirect(self, location: str) -> None:
        self.send(302, b"", Location=location)

    def do_GET(self) -> None:
        self.recorder.add(self.path)
        path, base, other = self.path, self.base, self.other
        port = base.rsplit(":", 1)[1].rstrip("/")
        if path == "/":
            menu = '<nav class="main-menu"><a href="/category/loop/">Петля</a><a href="/category/endless/">Без конца</a></nav>'
            cards = [
                *GOOD_ARTICLES,
                CP1251_ARTICLE,
                NUL_ARTICLE,
                f"{other}politika/chuzhoj-port/",
                f"http://localhost:{port}/politika/drugoe-imya/",
                "/redirect/other-port/",
                "/hop/1/",
                "/cycle/a/",
            ]
            page = listing_html(cards, None).replace("<main>", f"<header>{menu}</header><main>")
            return self.send(200, page)
        if path == "/robots.txt":
            return self.send(200, f"User-agent: *\nAllow: /\nSitemap: {base}sitemap_index.xml\n", "text/plain")
        if path == "/sitemap_index.xml":
            entries = f"<sitemap><loc>{base}chain/1.xml</loc></sitemap><sitemap><loc>{base}bomb.xml</loc></sitemap>"
            return self.send(200, f'<?xml version="1.0"?><sitemapindex>{entries}</sitemapindex>', "application/xml")
        if path.startswith("/chain/"):
            number = int(path.removeprefix("/chain/").removesuffix(".xml"))
            entry = f"<sitemap><loc>{base}chain/{number + 1}.xml</loc></sitemap>"
            return self.send(200, f'<?xml version="1.0"?><sitemapindex>{entry}</sitemapindex>', "application/xml")
        if path == "/bomb.xml":
            entities = '<!ENTITY lol "lol">' + "".join(
                f'<!ENTITY lol{i} "{("&lol;" if i == 1 else f"&lol{i - 1};") * 10}">' for i in range(1, 10)
            )
            body = (
                f'<?xml version="1.0"?><!DOCTYPE lolz [{entities}]>'
                '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
                f"<url><loc>{base}&lol9;</loc></url><url><loc>{base}{VALID_NEIGHBOUR.lstrip('/')}</loc></url></urlset>"
            )
            return self.send(200, body, "application/xml")
        if path.startswith("/category/loop/"):
            number = int(path.rstrip("/").rsplit("/", 1)[1]) if "/page/" in path else 1
            return self.send(200, listing_html(list(GOOD_ARTICLES), f"/category/loop/page/{number + 1}/"))
        if path.startswith("/category/endless/"):
            number = int(path.rstrip("/").rsplit("/", 1)[1]) if "/page/" in path else 1
            cards = [f"/gone/{number}-{i}/" for i in range(3)]
            return self.send(200, listing_html(cards, f"/category/endless/page/{number + 1}/"))
        if path == "/redirect/other-port/":
            return self.redirect(f"{other}politika/cherez-redirekt/")
        if path.startswith("/hop/"):
            return self.redirect(f"/hop/{int(path.split('/')[2]) + 1}/")
        if path == "/cycle/a/":
            return self.redirect("/cycle/b/")
        if path == "/cycle/b/":
            return self.redirect("/cycle/a/")
        if path in GOOD_ARTICLES or path == VALID_NEIGHBOUR:
            number = 100 + ALL_ARTICLES.index(path)
            return self.send(200, article_html(base, path, number, f"Встреча номер {number}"))
        if path == CP1251_ARTICLE:
            page = article_html(base, path, 200, "Кодировка не та")
            return self.send(200, page.encode("cp1251"), "text/html; charset=utf-8")
        if path == NUL_ARTICLE:
            return self.send(200, article_html(base, path, 201, NUL_TITLE))
        return self.send(404, "<html><body>Не найдено</body></html>")


@dataclass
class HostileSite:
    base_url: str
    other_url: str
    requests: Recorder
    other_requests: Recorder


@contextmanager
def running_hostile_site() -> Iterator[HostileSite]:
    """The hostile site and a second server on the same host, another port, that records its visitors."""
    other_recorder, recorder = Recorder(), Recorder()

    class OtherHandler(HostileHandler):
        pass

    OtherHandler.recorder = other_recorder
    other = ThreadingHTTPServer(("127.0.0.1", 0), OtherHandler)
    other_url = f"http://127.0.0.1:{other.server_address[1]}/"
    OtherHandler.base, OtherHandler.other = other_url, other_url

    class SiteHandler(HostileHandler):
        pass

    SiteHandler.recorder = recorder
    site = ThreadingHTTPServer(("127.0.0.1", 0), SiteHandler)
    base_url = f"http://127.0.0.1:{site.server_address[1]}/"
    SiteHandler.base, SiteHandler.other = base_url, other_url
    threads = [threading.Thread(target=server.serve_forever, daemon=True) for server in (site, other)]
    for thread in threads:
        thread.start()
    try:
        yield HostileSite(base_url, other_url, recorder, other_recorder)
    finally:
        for server in (site, other):
            server.shutdown()
            server.server_close()
