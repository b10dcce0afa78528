"""Routing: a request target in, a `Reply` out. No networking, so tests can call it directly.

The URL layout is WordPress's: the Russian edition at the root, the Kazakh one under /kz/.
Successful pages are rendered on demand and kept in a small LRU cache keyed by path. The
`theme` decides the HTML markup only (`themes`): every URL answers the same way in each.
Feeds, sitemaps and robots.txt carry an ETag and a Last-Modified and answer a conditional
request with 304 (`validators`), unless the app is built with `validators=False`; HTML pages
carry none, as WordPress's own pages don't.
"""

from __future__ import annotations

import re
from collections import OrderedDict
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, replace
from urllib.parse import parse_qs, urlsplit

from bmkz_crawler.mirror import faults as fault_kinds
from bmkz_crawler.mirror import render_xml
from bmkz_crawler.mirror.content import build_content
from bmkz_crawler.mirror.editions import EDITIONS, KK, RU, Edition
from bmkz_crawler.mirror.faults import Faults
from bmkz_crawler.mirror.model import MirrorSite
from bmkz_crawler.mirror.render_chrome import Chrome
from bmkz_crawler.mirror.themes import DEFAULT_THEME, get_theme
from bmkz_crawler.mirror.validators import entity_tag, not_modified

HTML = "text/html; charset=UTF-8"
XML = "application/xml; charset=UTF-8"
RSS = "application/rss+xml; charset=UTF-8"
ASSET_TYPES = {
    "jpg": "image/jpeg",
    "jpeg": "image/jpeg",
    "png": "image/png",
    "gif": "image/gif",
    "pdf": "application/pdf",
    "css": "text/css",
    "js": "application/javascript",
    "xsl": "text/xsl",
}
_PAGE_NUMBER = re.compile(r"^page/(\d+)/$")
_POST_SITEMAP = re.compile(r"^post-sitemap(\d*)\.xml$")


@dataclass(slots=True)
class Reply:
    status: int
    body: bytes = b""
    content_type: str = HTML
    location: str | None = None
    delay: float = 0.0  # seconds to wait before answering (a slow-answer fault)
    etag: str | None = None  # validators of a feed, sitemap or robots.txt
    last_modified: int | None = None  # unix seconds


class MirrorApp:
    def __init__(
        self,
        site: MirrorSite,
        base: str,
        faults: Faults | None = None,
        cache_size: int = 1024,
        theme: str = DEFAULT_THEME,
        validators: bool = True,
        deleted_redirect: bool = False,
    ) -> None:
        self.site = site
        self.base = base
        self.validators = validators
        # Deleted articles answer 301 to their edition's home page instead of 404 (as a redirection
        # plugin does), when asked to.
        self.deleted_paths = {meta.path for meta in site.articles if meta.deleted} if deleted_redirect else set()
        self.faults = faults or Faults(site, enabled=False)
        self.theme = get_theme(theme)
        self.chrome: dict[str, Chrome] = {edition.lang: self.theme.chrome(site, edition, base) for edition in EDITIONS}
        self.cache: OrderedDict[str, Reply] = OrderedDict()
        self.cache_size = cache_size
        self.not_found = {
            edition.lang: Reply(404, self.theme.not_found(self.chrome[edition.lang]).encode()) for edition in EDITIONS
        }
        self.robots = self._machine(
            render_xml.robots(base), "text/plain; charset=UTF-8", render_xml.robots_last_modified(site)
        )

    # --- entry point -------------------------------------------------------------------------

    def respond(self, method: str, target: str, headers: Mapping[str, str] | None = None) -> Reply:
        """The reply to `method target`; `headers` (lower-case names) may make it a 304."""
        reply = self._respond(method, target)
        if reply.etag is None or reply.last_modified is None or not headers:
            return reply
        if not not_modified(reply.etag, reply.last_modified, headers):
            return reply
        return Reply(304, b"", "", None, reply.delay, reply.etag, reply.last_modified)

    def _respond(self, method: str, target: str) -> Reply:
        if method not in {"GET", "HEAD"}:
            return Reply(405, b"method not allowed", "text/plain")
        parts = urlsplit(target)
        path, query = parts.path or "/", parts.query
        if path.startswith(("/wp-content/", "/wp-includes/")):
            extension = path.rsplit(".", 1)[-1].lower()
            return Reply(200, b"mirror asset " + path.encode(), ASSET_TYPES.get(extension, "application/octet-stream"))
        if path.startswith("/wp-admin/"):
            return Reply(403, b"forbidden", "text/plain")
        if path == "/robots.txt":
            return self.robots
        status = self.faults.failing_attempt(path)
        if status:
            return Reply(status, b"<html><body><h1>Service Unavailable</h1></body></html>")
        reply = self._route(path, query)
        delay = self.faults.delay(path)
        return replace(reply, delay=delay) if delay else reply

    def _route(self, path: str, query: str) -> Reply:
        if path in ("/", "/kz/") and "p=" in query:
            return self._shortlink(query)
        edition, rest = (KK, path[4:]) if path.startswith("/kz/") or path == "/kz" else (RU, path[1:])
        if path == "/kz":
            return self._redirect("/kz/", 301)
        if rest and not rest.endswith("/") and "." not in rest.rsplit("/", 1)[-1]:
            return self._redirect(f"{path}/" + (f"?{query}" if query else ""), 301)
        if path.lstrip("/") in self.deleted_paths:
            return self._redirect("/kz/" if edition is KK else "/", 301)
        fault = self._article_fault(f"{edition.prefix}{rest}")
        if fault == fault_kinds.MISSING:
            return self.not_found[edition.lang]
        if fault == fault_kinds.REDIRECT_LOOP:
            return self._redirect(path if "loop=1" in query else f"{path}?loop=1", 302)
        cached = self.cache.get(path)
        if cached is not None:
            self.cache.move_to_end(path)
            return cached
        reply = self._render(edition, rest)
        if reply is None:
            return self.not_found[edition.lang]
        if reply.status == 200:
            self.cache[path] = reply
            if len(self.cache) > self.cache_size:
                self.cache.popitem(last=False)
        return reply

    def _article_fault(self, path: str) -> str | None:
        """The fault of the article at `path` ("kz/slug/", its AMP duplicate too), if any."""
        if not self.faults.enabled:
            return None
        return self.faults.article_fault(path.removesuffix("amp/") if path.endswith("/amp/") else path)

    def _machine(self, text: str, content_type: str, last_modified: int) -> Reply:
        """A 200 of a feed, sitemap or robots.txt, with its validators unless they are off."""
        body = text.encode()
        if not self.validators:
            return Reply(200, body, content_type)
        return Reply(200, body, content_type, etag=entity_tag(body), last_modified=last_modified)

    def _redirect(self, location: str, status: int) -> Reply:
        url = self.base + location.lstrip("/")
        return Reply(status, f'<a href="{url}">Moved</a>'.encode(), location=url)

    def _shortlink(self, query: str) -> Reply:
        try:
            post_id = int(parse_qs(query).get("p", [""])[0])
        except ValueError:
            return self.not_found[RU.lang]
        index = self.site.by_post_id.get(post_id)
        if index is None:
            return self.not_found[RU.lang]
        return self._redirect(self.site.articles[index].path, 301)

    # --- rendering ----------------------------------------------------------------------------

    def _render(self, edition: Edition, rest: str) -> Reply | None:
        site, chrome = self.site, self.chrome[edition.lang]
        if rest == "":
            return Reply(200, self.theme.home(chrome).encode())
        if rest.endswith(".xml"):
            return self._sitemap(edition, rest)
        if rest == "feed/":
            indices = site.edition_indices[edition.lang]
            text = render_xml.feed(site, edition, self.base, indices, f"{chrome.home_url}feed/", edition.feed_title)
            return self._machine(text, RSS, render_xml.feed_last_modified(site, indices))
        segments = rest.split("/")
        if segments[0] in ("category", "tag", "author") and len(segments) >= 3:
            return self._listing(chrome, "/".join(segments[:2]) + "/", "/".join(segments[2:]))
        index = site.by_path.get(f"{edition.prefix}{segments[0]}/")
        if index is not None and rest in (f"{segments[0]}/", f"{segments[0]}/amp/"):
            meta = site.articles[index]
            amp = rest.endswith("/amp/")
            document = self.theme.article(chrome, meta, build_content(site, meta, self.base), amp=amp)
            return self._article_reply(meta.path, document, amp=amp)
        for page in edition.static_pages:
            if rest == f"{page.slug}/":
                return Reply(200, self.theme.static(chrome, page).encode())
        return None

    def _article_reply(self, article_path: str, document: str, *, amp: bool) -> Reply:
        fault = None if amp else self._article_fault(article_path)
        if fault == fault_kinds.TRUNCATED:
            document = fault_kinds.truncate(document, self.theme.body_start)
        elif fault == fault_kinds.BROKEN_MARKUP:
            document = fault_kinds.break_markup(document, self.theme.body_start)
        elif fault == fault_kinds.WRONG_CHARSET:
            return Reply(200, fault_kinds.declare_wrong_charset(document).encode(), "text/html; charset=windows-1251")
        return Reply(200, document.encode())

    def _listing(self, chrome: Chrome, key: str, rest: str) -> Reply | None:
        listing = self.site.listings.get(f"{chrome.edition.prefix}{key}")
        if listing is None:
            return None
        if rest == "":
            return Reply(200, self.theme.listing(chrome, listing, 1).encode())
        if rest == "feed/" and listing.kind == "category":
            url = f"{self.base}{listing.path}feed/"
            title = f"{chrome.edition.feed_title} » {listing.name}"
            text = render_xml.feed(self.site, chrome.edition, self.base, listing.indices, url, title)
            return self._machine(text, RSS, render_xml.feed_last_modified(self.site, listing.indices))
        match = _PAGE_NUMBER.match(rest)
        if not match:
            return None
        number = int(match[1])
        if number == 1:
            return self._redirect(listing.path, 301)
        if not 1 < number <= listing.pages():
            return None  # past the last page: WordPress answers 404
        return Reply(200, self.theme.listing(chrome, listing, number).encode())

    def _sitemap(self, edition: Edition, name: str) -> Reply | None:
        site = self.site
        if name == "sitemap_index.xml":
            text = render_xml.sitemap_index(site, edition, self.base)
            return self._machine(text, XML, render_xml.sitemap_index_last_modified(site, edition))
        if name == "page-sitemap.xml":
            text = render_xml.page_sitemap(site, edition, self.base)
            return self._machine(text, XML, render_xml.page_sitemap_last_modified(site))
        match = _POST_SITEMAP.match(name)
        if match and match[1] != "1":
            number = int(match[1] or 1)
            post_sitemap = render_xml.post_sitemap(site, edition, self.base, number)
            if post_sitemap is None:
                return None
            return self._machine(post_sitemap, XML, render_xml.post_sitemap_last_modified(site, edition, number))
        return None

    # --- enumeration for the fault plan and tests ----------------------------------------------

    def page_paths(self) -> Iterator[str]:
        """Every page path the site links to or lists (HTML, feeds, sitemaps)."""
        site = self.site
        for edition in EDITIONS:
            root = f"/{edition.prefix}"
            yield root
            yield f"{root}feed/"
            yield f"{root}sitemap_index.xml"
            yield f"{root}page-sitemap.xml"
            for number in range(1, render_xml.post_sitemap_count(site, edition) + 1):
                yield f"{root}{render_xml.post_sitemap_name(number)}"
            for page in edition.static_pages:
                yield f"{root}{page.slug}/"
        for listing in site.listings.values():
            yield f"/{listing.path}"
            if listing.kind == "category":
                yield f"/{listing.path}feed/"
            for number in range(2, listing.pages() + 1):
                yield f"/{listing.path}page/{number}/"
        for meta in site.live():
            yield f"/{meta.path}"
            yield f"/{meta.path}amp/"
