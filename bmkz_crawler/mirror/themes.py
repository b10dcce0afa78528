"""The mirror's themes: one site, its pages in the markup of one WordPress theme or another.

A theme is the set of functions that turn the model into HTML; routing, URLs, sitemaps,
feeds, robots.txt, redirects, faults and the truth do not depend on it. `smartmag` (the
default) is the markup the real BM.KZ most likely has (../shared/site-anatomy.md);
`newsroom` (`render_newsroom`) is a made-up theme without a single SmartMag class, for
checking that the crawler's generic layers read the same Articles from it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from bmkz_crawler.mirror import faults, render_article, render_lists, render_newsroom
from bmkz_crawler.mirror.content import Content
from bmkz_crawler.mirror.editions import Edition, StaticPage
from bmkz_crawler.mirror.model import ArticleMeta, Listing, MirrorSite
from bmkz_crawler.mirror.render_chrome import Chrome

DEFAULT_THEME = "smartmag"


class ArticleRenderer(Protocol):
    def __call__(self, chrome: Chrome, meta: ArticleMeta, content: Content, *, amp: bool = False) -> str: ...


@dataclass(frozen=True)
class Theme:
    name: str
    chrome: Callable[[MirrorSite, Edition, str], Chrome]
    article: ArticleRenderer
    home: Callable[[Chrome], str]
    listing: Callable[[Chrome, Listing, int], str]
    static: Callable[[Chrome, StaticPage], str]
    not_found: Callable[[Chrome], str]
    body_start: str  # the end of the body container's start tag, where page faults cut


THEMES: dict[str, Theme] = {
    theme.name: theme
    for theme in (
        Theme(
            "smartmag",
            Chrome,
            render_article.render_article,
            render_lists.render_home,
            render_lists.render_listing,
            render_lists.render_static,
            render_lists.render_not_found,
            faults.BODY_START,
        ),
        Theme(
            render_newsroom.NAME,
            render_newsroom.NewsroomChrome,
            render_newsroom.render_article,
            render_newsroom.render_home,
            render_newsroom.render_listing,
            render_newsroom.render_static,
            render_newsroom.render_not_found,
            render_newsroom.BODY_START,
        ),
    )
}


def get_theme(name: str) -> Theme:
    try:
        return THEMES[name]
    except KeyError:
        raise ValueError(f"unknown mirror theme {name!r}; known: {', '.join(THEMES)}") from None
