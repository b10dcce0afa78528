"""The SmartMag theme's page frame: head boilerplate, header menus, sidebar widgets, footer.

Everything here is the same on every page of one edition of one mirror, so it is rendered
once per edition (`Chrome`) and pages only fill in their own part: that is what makes the
server fast enough to never be a crawl benchmark's bottleneck.
"""

# ruff: noqa: E501  (the theme's markup is kept line for line, as WordPress prints it)
from __future__ import annotations

import html

from bmkz_crawler.mirror.editions import KK, RU, Edition
from bmkz_crawler.mirror.model import MirrorSite
from bmkz_crawler.mirror.oracle import almaty_iso, almaty_time

SITE_NAME = "BM.KZ"
AD_LINK = "https://ads.example-adnet.kz/click?id=77"
SOCIAL_LINKS = (
    ("Facebook", "https://www.facebook.com/bmkz.news", "s-facebook"),
    ("Instagram", "https://www.instagram.com/bm.kz/", "s-instagram"),
    ("TikTok", "https://www.tiktok.com/@bm.kz", "s-tiktok"),
    ("Telegram", "https://t.me/bmkz_news", "s-telegram"),
    ("YouTube", "https://www.youtube.com/@bmkz", "s-youtube"),
)


def esc(text: str) -> str:
    return html.escape(text, quote=True)


def local_iso(timestamp: int) -> str:
    return almaty_iso(timestamp)


def printed(edition: Edition, timestamp: int) -> str:
    local = almaty_time(timestamp)
    return edition.printed_date(local.day, local.month, local.year)


class Chrome:
    """The frame of every page of one edition, for one base URL and one mirror size."""

    def __init__(self, site: MirrorSite, edition: Edition, base: str) -> None:
        self.site = site
        self.edition = edition
        self.base = base
        self.home_url = f"{base}{edition.prefix}"
        menu_items = [(edition.home_name, self.home_url)] + [
            (section.name, f"{self.home_url}category/{section.slug}/") for section in edition.sections
        ]
        self.menu_items = menu_items
        # built once, in this order: each part may use the ones before it
        self.social = self._social()
        self.top_bar = self._top_bar()
        self.header = self._header()
        self.sidebar = self._sidebar()
        self.footer = self._footer()

    def _social(self) -> str:
        return (
            '<div class="spc-social-block spc-social">'
            + "".join(
                f'<a href="{url}" class="link {css}" target="_blank" rel="nofollow noopener">{name}</a>'
                for name, url, css in SOCIAL_LINKS
            )
            + "</div>"
        )

    def menu(self, css: str) -> str:
        items = "\n".join(
            f'<li class="menu-item menu-item-type-taxonomy"><a href="{url}">{esc(name)}</a></li>'
            for name, url in self.menu_items
        )
        return f'<ul class="{css}">\n{items}\n</ul>'

    def _top_bar(self) -> str:
        switch = (
            f'<li class="menu-item lang-kz"><a href="{self.base}{KK.prefix}">QAZ</a></li>'
            if self.edition is RU
            else f'<li class="menu-item lang-ru"><a href="{self.base}">RUS</a></li>'
        )
        pages = "".join(
            f'<li class="menu-item"><a href="{self.home_url}{page.slug}/">{esc(page.title)}</a></li>'
            for page in self.edition.static_pages
        )
        return f'<ul class="menu top-menu">{switch}{pages}</ul>'

    def _header(self) -> str:
        base = self.base
        return f"""<div class="main-wrap">
<div class="off-canvas-backdrop"></div>
<div class="mobile-menu-container off-canvas" id="off-canvas">
<div class="off-canvas-content"><a href="#" class="close"><span class="visuallyhidden">Close Menu</span></a>
{self.top_bar}
<span class="mobile-menu-label">Menu</span>
{self.top_bar}
{self.social}
</div></div>
<div class="smart-head smart-head-a smart-head-main" id="smart-head">
<div class="smart-head-row smart-head-top">{self.top_bar}{self.social}</div>
<div class="smart-head-row smart-head-mid">
<a href="{self.home_url}" title="BM.KZ" rel="home" class="logo-link ts-logo"><img src="{base}wp-content/uploads/2024/03/logo.png" class="logo-image" alt="BM.KZ"></a>
<div class="nav-wrap"><nav class="navigation navigation-main nav-hov-a">{self.menu("menu main-menu")}</nav></div>
</div></div>
<div class="smart-head smart-head-mobile"><span class="mobile-menu-label">Menu</span>{self.menu("menu mobile-menu")}</div>
"""

    def article_url(self, index: int, *, amp: bool = False) -> str:
        meta = self.site.articles[index]
        return f"{self.base}{meta.path}{'amp/' if amp else ''}"

    def _sidebar(self) -> str:
        site, edition = self.site, self.edition
        rows = []
        for index in site.top[edition.lang]:
            meta = site.articles[index]
            url = self.article_url(index)
            rows.append(
                '<article class="l-post list-post small-post">'
                f'<div class="content"><h4 class="is-title post-title"><a href="{url}">{esc(meta.title)}</a></h4>'
                f'<div class="post-meta"><span class="meta-item date"><span class="date-link">'
                f'<time class="post-date">{printed(edition, meta.published)}</time></span></span>'
                f'<span class="meta-item post-views">{edition.views_text(meta.views)}</span></div></div></article>'
            )
        top = (
            '<div id="bunyad-posts-widget-2" class="widget widget-posts">'
            f'<div class="widget-title block-head"><h5 class="heading">{edition.top_heading}</h5></div>'
            '<div class="block-content"><div class="loop loop-small">' + "\n".join(rows) + "</div></div></div>"
        )
        rows = []
        for rank, index in enumerate(site.newest(edition, 10)):
            meta = site.articles[index]
            # every fourth entry links to the AMP duplicate, as the theme does for mobile visitors
            url = self.article_url(index, amp=rank % 4 == 3)
            rows.append(
                '<article class="l-post list-post">'
                f'<div class="content"><h2 class="is-title post-title"><a href="{url}">'
                f"{esc(meta.title)}</a></h2>"
                f'<div class="post-meta"><time class="post-date" datetime="{local_iso(meta.published)}">'
                f"{printed(edition, meta.published)}</time></div></div></article>"
            )
        latest = (
            '<section class="block-wrap block-posts-list"><div class="block-head">'
            f'<h4 class="heading">{edition.latest_heading}</h4></div>'
            '<div class="block-content"><div class="loop loop-list">' + "\n".join(rows) + "</div></div></section>"
        )
        return (
            '<aside class="col-4 main-sidebar has-sep" data-sticky="1"><div class="inner theiaStickySidebar">\n'
            f"{top}\n{latest}\n"
            f'<div class="widget a-wrap a-wrap-base"><a href="{AD_LINK}" target="_blank" rel="nofollow sponsored">'
            '<img src="https://ads.example-adnet.kz/banner-300x250.gif" alt=""></a></div>\n'
            "</div></aside>"
        )

    def _footer(self) -> str:
        base = self.base
        return f"""<footer class="main-footer cols-gap-lg footer-bold s-dark">
<div class="upper-footer"><div class="ts-contain"><div class="ts-row">
<div class="widget column col-4 widget_text"><div class="textwidget">
<p>Свидетельство постановке на учет периодического печатного издания, информационного агентства и сетевого издания № KZ92VPY00088583 Дата выдачи 01.03.2024</p>
<p>Свидетельство постановке на учет информационного агентства № KZ59VPY00114494 Дата выдачи 11.03.2025</p>
<p><a href="{base}wp-content/uploads/2025/03/svidetelstvo.pdf">Свидетельство (PDF)</a></p>
</div></div>
<div class="widget column col-4 widget_nav_menu"><div class="widget-title"><h5>Полезные ссылки</h5></div>{self.top_bar}</div>
<div class="widget column col-4 widget_nav_menu"><div class="widget-title"><h5>Карта сайта</h5></div>{self.menu("menu footer-menu")}</div>
<div class="widget column col-4"><div class="widget-title"><h5>Социальные сети</h5></div>{self.social}</div>
</div></div></div>
</footer>
</div>
<div class="search-modal-wrap" data-scheme="dark"><div class="search-modal-box" role="dialog">
<form method="get" class="search-form" action="{self.home_url}"><input type="search" class="search-field live-search-query" name="s" placeholder="Search..." value="" required>
<button type="submit" class="search-submit visuallyhidden">Submit</button>
<p class="message">Type above and press <em>Enter</em> to search. Press <em>Esc</em> to cancel.</p></form>
</div></div>
<script>var Bunyad = {{"ajaxurl":"\\/wp-admin\\/admin-ajax.php"}};</script>
<script src='{base}wp-content/themes/smart-mag/js/theme.js?ver=10.2.1' id="smartmag-theme-js"></script>
</body>
</html>
"""

    def head_tail(self) -> str:
        """Stylesheets, scripts and the feed link that close every page's head."""
        base = self.base
        return (
            f'<link rel="alternate" type="application/rss+xml" title="{SITE_NAME} &raquo; Лента" '
            f'href="{self.home_url}feed/">\n'
            f"<link rel='stylesheet' id='smartmag-core-css' href='{base}wp-content/themes/smart-mag/style.css?ver=10.2.1' "
            "type='text/css' media='all'>\n"
            "<style id='smartmag-core-inline-css'>:root { --c-main: #e2000f; } .post-title { font-weight: 700; }</style>\n"
            f"<script src='{base}wp-includes/js/jquery/jquery.min.js?ver=3.7.1' id='jquery-core-js'></script>"
        )

    def page(self, *, head: str, body_class: str, crumb: str | None, main: str, charset: str = "UTF-8") -> str:
        """A whole document: the frame around a page's own head tags and main column."""
        breadcrumbs = ""
        if crumb is not None:
            breadcrumbs = (
                '<nav class="breadcrumbs is-full-width breadcrumbs-a" id="breadcrumb"><div class="inner ts-contain">'
                f'<span><a href="{self.home_url}"><span>{self.edition.crumb_home}</span></a></span>'
                f'<span class="delim">&raquo;</span><span class="last">{esc(crumb)}</span></div></nav>'
            )
        return (
            f'<!DOCTYPE html>\n<html lang="{self.edition.html_lang}">\n<head>\n<meta charset="{charset}">\n'
            '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
            f'{head}\n{self.head_tail()}\n</head>\n<body class="{body_class}">\n{self.header}{breadcrumbs}\n'
            '<div class="main ts-contain cf right-sidebar">\n<div class="ts-row"><div class="col-8 main-content s-post-contain">\n'
            f"{main}\n</div>\n{self.sidebar}\n</div></div>\n{self.footer}"
        )
