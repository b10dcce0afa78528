"""Listing pages: the editions' home pages, category/tag/author archives, static pages, 404."""

from __future__ import annotations

from bmkz_crawler.mirror.content import lead_paragraph
from bmkz_crawler.mirror.editions import StaticPage
from bmkz_crawler.mirror.model import IMAGE, ArticleMeta, Listing, MirrorSite
from bmkz_crawler.mirror.oracle import contract_text
from bmkz_crawler.mirror.render_chrome import SITE_NAME, Chrome, esc, local_iso, printed

EXCERPT_LENGTH = 120


def card_excerpt(site: MirrorSite, meta: ArticleMeta) -> str:
    """The excerpt a listing card shows: the first paragraph, cut at a word near 120 characters."""
    first = contract_text(lead_paragraph(site, meta)[0]) or ""
    return first if len(first) <= EXCERPT_LENGTH else first[:EXCERPT_LENGTH].rsplit(" ", 1)[0] + "…"


def card(chrome: Chrome, index: int, *, suffix: str = "") -> str:
    """An `article.l-post` card: image, title, date, excerpt (the first paragraph, cut)."""
    site, edition = chrome.site, chrome.edition
    meta = site.articles[index]
    url = esc(chrome.article_url(index) + suffix)
    excerpt = card_excerpt(site, meta)
    media = ""
    if meta.has(IMAGE):
        local = meta.local_time()
        thumb = (
            f"{chrome.base}wp-content/uploads/{local.year}/{local.month:02d}/{meta.slug[:40].rstrip('-')}-300x169.jpg"
        )
        media = (
            f'<div class="media"><a href="{url}" class="image-link media-ratio ratio-16-9" title="{esc(meta.title)}">'
            f'<span data-bgsrc="{thumb}" class="img bg-cover wp-post-image"></span></a></div>'
        )
    return (
        f'<article class="l-post grid-post grid-base-post">{media}'
        '<div class="content"><div class="post-meta post-meta-a has-below">'
        f'<h2 class="is-title post-title"><a href="{url}">{esc(meta.title)}</a></h2>'
        '<div class="post-meta-items meta-below"><span class="meta-item date"><span class="date-link">'
        f'<time class="post-date" datetime="{local_iso(meta.published)}">{printed(edition, meta.published)}</time>'
        f'</span></span></div></div><div class="excerpt"><p>{esc(excerpt)}</p></div></div></article>'
    )


def pagination(url: str, current: int, last: int) -> str:
    """WordPress's paginate_links (end_size 1, mid_size 2), as SmartMag styles it."""
    if last <= 1:
        return ""

    def href(number: int) -> str:
        return url if number == 1 else f"{url}page/{number}/"

    parts = []
    if current > 1:
        parts.append(
            f'<a class="prev page-numbers" href="{href(current - 1)}"><span class="visuallyhidden">Prev</span></a>'
        )
    dots = False
    for number in range(1, last + 1):
        if number == current:
            parts.append(f'<span aria-current="page" class="page-numbers current">{number}</span>')
            dots = True
        elif number <= 1 or number > last - 1 or abs(number - current) <= 2:
            parts.append(f'<a class="page-numbers" href="{href(number)}">{number}</a>')
            dots = True
        elif dots:
            parts.append('<span class="page-numbers dots">&hellip;</span>')
            dots = False
    if current < last:
        parts.append(
            f'<a class="next page-numbers" href="{href(current + 1)}"><span class="visuallyhidden">Next</span>'
            '<i class="tsi tsi-angle-right"></i></a>'
        )
    return '<nav class="main-pagination pagination-numbers" data-type="numbers">' + "\n".join(parts) + "</nav>"


def listing_head(chrome: Chrome, title: str, url: str, *, og_type: str = "website") -> str:
    """Yoast's head tags of a listing or static page: the same whatever the theme."""
    return (
        f"<title>{esc(title)} - {SITE_NAME}</title>\n"
        f'<meta name="robots" content="index, follow">\n<link rel="canonical" href="{url}">\n'
        f'<meta property="og:locale" content="{chrome.edition.locale}">\n'
        f'<meta property="og:type" content="{og_type}">\n'
        f'<meta property="og:title" content="{esc(title)} - {SITE_NAME}">\n'
        f'<meta property="og:url" content="{url}">\n<meta property="og:site_name" content="{SITE_NAME}">'
    )


def render_home(chrome: Chrome, count: int = 15) -> str:
    # a couple of cards carry campaign parameters, as links shared from newsletters do
    cards = "\n".join(
        card(chrome, index, suffix="?utm_source=home&utm_medium=block" if rank in (2, 7) else "")
        for rank, index in enumerate(chrome.site.newest(chrome.edition, count))
    )
    main = (
        '<section class="block-wrap block-grid"><div class="block-content"><div class="loop loop-grid grid grid-2">'
        f"\n{cards}\n</div></div></section>"
    )
    title = chrome.edition.home_name
    return chrome.page(
        head=listing_head(chrome, title, chrome.home_url), body_class="home blog right-sidebar", crumb=None, main=main
    )


def render_listing(chrome: Chrome, listing: Listing, number: int) -> str:
    url = f"{chrome.base}{listing.path}"
    cards = "\n".join(card(chrome, index) for index in listing.page(number))
    page_url = url if number == 1 else f"{url}page/{number}/"
    body_class = f"archive {listing.kind} {listing.kind}-{listing.slug} right-sidebar" + (
        f" paged paged-{number}" if number > 1 else ""
    )
    feed = ""
    if listing.kind == "category":
        feed = f'\n<link rel="alternate" type="application/rss+xml" title="{esc(listing.name)}" href="{url}feed/">'
    main = (
        f'<div class="archive-head"><h1 class="heading archive-heading">{esc(listing.name)}</h1></div>\n'
        '<section class="block-wrap block-grid mb-none"><div class="block-content">'
        '<div class="loop loop-grid grid grid-2">'
        f"\n{cards}\n</div></div></section>\n{pagination(url, number, listing.pages())}"
    )
    return chrome.page(
        head=listing_head(chrome, listing.name, page_url) + feed, body_class=body_class, crumb=listing.name, main=main
    )


def render_static(chrome: Chrome, page: StaticPage) -> str:
    """A WordPress page: Yoast says og:type article, but it is no post (`page page-id-N`)."""
    url = f"{chrome.home_url}{page.slug}/"
    main = (
        '<div class="the-page"><div class="the-page-heading">'
        f'<h1 class="is-title post-title">{esc(page.title)}</h1></div>'
        f'<div class="post-content entry-content"><p>{esc(page.text)}</p></div></div>'
    )
    return chrome.page(
        head=listing_head(chrome, page.title, url, og_type="article")
        + '\n<meta property="article:modified_time" content="2024-03-01T06:00:00+00:00">',
        body_class=f"page-template-default page page-id-{page.page_id} right-sidebar",
        crumb=page.title,
        main=main,
    )


def render_not_found(chrome: Chrome) -> str:
    text = chrome.edition.not_found
    return chrome.page(
        head=f'<title>{text} - {SITE_NAME}</title>\n<meta name="robots" content="noindex, follow">',
        body_class="error404 right-sidebar",
        crumb=text,
        main=f'<div class="the-page"><h1 class="is-title post-title">{text}</h1></div>',
    )
