"""The "newsroom" theme: the same site in the markup of a made-up BEM-style WordPress news theme.

Nothing here carries a SmartMag class name: the pages exist to check that the crawler's
generic layers (Yoast metadata, JSON-LD, microdata, `<article>` and its densest text block,
`<time datetime>`, visible bylines, `rel=tag`/`rel=category`/`rel=author`/`rel=next`,
`<header><nav>` menus) read every field of the truth without theme-specific selectors.

What WordPress itself prints stays as on any WordPress site, whatever the theme: `body_class()`
(`single single-post postid-N`, `page page-id-N`, plus `wp-theme-newsroom`), the shortlink,
the feed links, nav-menu item classes, Gutenberg block classes inside the body, and Yoast's
head tags (`render_article.yoast_head`, `render_lists.listing_head`).

Every page shows what the SmartMag pages show (same articles, links, dates, bylines, tags,
views, related posts), so the truth (`truth.py`) is the same for both themes. The variants of
this theme are drawn per article from (seed, index), like everything in the mirror:
- Yoast's JSON-LD graph is left out of a further share of articles (OpenGraph kept), and
  OpenGraph of another share (JSON-LD kept), on top of the model's NO_JSONLD / BROKEN_JSONLD /
  NO_OG flags: the visible markup is then the only source of the header fields. An article
  never loses both here, so `article:modified_time` or `dateModified` stays on the page and
  `modified_at` is the same as under SmartMag.
- Half the articles carry schema.org microdata (`itemscope itemtype=NewsArticle`, `headline`,
  `datePublished`, `author`, `image`, `articleSection`, `articleBody`), as themes with built-in
  schema print it; it states nothing the visible page does not.

AMP copies (`/slug/amp/`) are rendered in this theme's markup too (body class `amp-mode`, no
`amphtml` link, canonical naming the original), as SmartMag's copies are in SmartMag's.
"""

# ruff: noqa: E501  (the theme's markup is kept line for line, as WordPress prints it)
from __future__ import annotations

import random
from dataclasses import replace

from bmkz_crawler.mirror.content import Block, Content
from bmkz_crawler.mirror.editions import KK, RU, Edition, StaticPage
from bmkz_crawler.mirror.model import (
    BROKEN_JSONLD,
    IMAGE,
    NO_JSONLD,
    NO_OG,
    SHOW_VIEWS,
    ArticleMeta,
    Listing,
    tag_slug,
)
from bmkz_crawler.mirror.oracle import contract_text
from bmkz_crawler.mirror.render_article import yoast_head
from bmkz_crawler.mirror.render_chrome import AD_LINK, SITE_NAME, SOCIAL_LINKS, Chrome, esc, local_iso, printed
from bmkz_crawler.mirror.render_lists import card_excerpt, listing_head
from bmkz_crawler.mirror.slugs import slugify

NAME = "newsroom"
# The end of the body container's start tag: where `faults.truncate`/`break_markup` cut.
BODY_START = 'class="article__content">'
THEME_CLASS = "wp-theme-newsroom"
ASSETS = "wp-content/themes/newsroom/assets"
VERSION = "3.4.0"

EXTRA_NO_JSONLD = 0.25  # of the articles the model gives full Yoast markup
EXTRA_NO_OG = 0.10
MICRODATA = 0.5

# The theme's own interface strings (SmartMag's are in its markup, English or Russian only).
LABELS: dict[str, dict[str, str]] = {
    RU.lang: {
        "share": "Поделиться",
        "next": "Далее",
        "prev": "Назад",
        "menu": "Меню",
        "search": "Поиск",
        "search_hint": "Введите запрос и нажмите Enter. Esc — закрыть.",
        "skip": "Перейти к содержимому",
        "pages": "Страницы",
        "latest": "Последние новости",
        "useful": "Полезные ссылки",
        "sitemap": "Карта сайта",
        "social": "Социальные сети",
    },
    KK.lang: {
        "share": "Бөлісу",
        "next": "Келесі",
        "prev": "Алдыңғы",
        "menu": "Мәзір",
        "search": "Іздеу",
        "search_hint": "Сұрауды енгізіп, Enter басыңыз. Esc — жабу.",
        "skip": "Мазмұнға өту",
        "pages": "Беттер",
        "latest": "Соңғы жаңалықтар",
        "useful": "Пайдалы сілтемелер",
        "sitemap": "Сайт картасы",
        "social": "Әлеуметтік желілер",
    },
}

# content.py writes its non-text blocks (ads, share buttons, a stray style) in SmartMag's
# markup; this theme prints the same blocks with its own classes. The texts are untouched,
# so the body the truth states is the same.
BLOCK_MARKUP = (
    ('<div class="a-wrap a-wrap-base a-wrap-8">', '<div class="ad-slot ad-slot--inline">'),
    (
        '<div class="post-share-bot"><span class="info">',
        '<div class="share-bar share-bar--bottom"><span class="share-bar__label">',
    ),
    ('class="service s-facebook"', 'class="share-bar__link share-bar__link--facebook"'),
    ('class="service s-telegram"', 'class="share-bar__link share-bar__link--telegram"'),
    ("<style>.post-content p {", "<style>.article__content p {"),
)
SHARE_SERVICES = (
    ("Facebook", "facebook", "https://www.facebook.com/sharer.php?u="),
    ("Telegram", "telegram", "https://t.me/share/url?url="),
    ("WhatsApp", "whatsapp", "https://wa.me/?text="),
)


def labels(edition: Edition) -> dict[str, str]:
    return LABELS[edition.lang]


def page_variant(seed: int, meta: ArticleMeta) -> tuple[int, bool]:
    """(the flags Yoast's head is printed with, whether the article carries microdata)."""
    rng = random.Random(f"{seed}:{meta.index}:{NAME}")
    roll, microdata = rng.random(), rng.random() < MICRODATA
    flags = meta.flags
    if not flags & (NO_JSONLD | BROKEN_JSONLD | NO_OG):
        if roll < EXTRA_NO_JSONLD:
            flags |= NO_JSONLD
        elif roll < EXTRA_NO_JSONLD + EXTRA_NO_OG:
            flags |= NO_OG
    return flags, microdata


class NewsroomChrome(Chrome):
    """The newsroom frame: top bar, `<header>` with the `<nav>` menu, sidebar, footer.

    The menus keep `Chrome.menu`'s markup: its item classes are wp_nav_menu's, not a theme's.
    """

    def _social(self) -> str:
        links = "".join(
            f'<li class="social-links__item"><a class="social-links__link social-links__link--{name.lower()}" '
            f'href="{url}" target="_blank" rel="nofollow noopener">{name}</a></li>'
            for name, url, _ in SOCIAL_LINKS
        )
        return f'<ul class="social-links">{links}</ul>'

    def _top_bar(self) -> str:
        # the language switch and the static pages stay out of the header's <nav>: that one
        # holds the sections only, as discovery by `header nav a` expects of a news theme
        switch = (
            f'<li class="topbar__item topbar__item--lang"><a href="{self.base}{KK.prefix}">QAZ</a></li>'
            if self.edition is RU
            else f'<li class="topbar__item topbar__item--lang"><a href="{self.base}">RUS</a></li>'
        )
        pages = "".join(
            f'<li class="topbar__item"><a href="{self.home_url}{page.slug}/">{esc(page.title)}</a></li>'
            for page in self.edition.static_pages
        )
        return f'<ul class="topbar__links">{switch}{pages}</ul>'

    def _header(self) -> str:
        base, text = self.base, labels(self.edition)
        return f"""<a class="skip-link screen-reader-text" href="#content">{text["skip"]}</a>
<div class="topbar"><div class="container topbar__inner">{self.top_bar}{self.social}</div></div>
<header class="site-header" id="masthead"><div class="container site-header__inner">
<a class="site-logo" href="{self.home_url}" rel="home" title="BM.KZ"><img class="site-logo__img" src="{base}wp-content/uploads/2024/03/logo.png" alt="BM.KZ"></a>
<nav class="primary-nav" id="site-navigation" aria-label="{text["menu"]}">{self.menu("primary-nav__list")}</nav>
<button class="nav-toggle" type="button" aria-controls="drawer" aria-expanded="false">{text["menu"]}</button>
<button class="search-toggle" type="button" aria-controls="search-overlay">{text["search"]}</button>
</div></header>
<div class="drawer" id="drawer" aria-hidden="true"><div class="drawer__inner">{self.menu("drawer__menu")}{self.top_bar}</div></div>
"""

    def _sidebar(self) -> str:
        site, edition = self.site, self.edition
        rows = []
        for index in site.top[edition.lang]:
            meta = site.articles[index]
            rows.append(
                f'<li class="most-read__item"><a class="most-read__link" href="{self.article_url(index)}">'
                f'{esc(meta.title)}</a><span class="most-read__meta"><time class="most-read__date">'
                f"{printed(edition, meta.published)}</time> "
                f'<span class="most-read__views">{edition.views_text(meta.views)}</span></span></li>'
            )
        top = (
            f'<section class="most-read"><h3 class="section-title">{edition.top_heading}</h3>'
            '<ol class="most-read__list">' + "\n".join(rows) + "</ol></section>"
        )
        rows = []
        for rank, index in enumerate(site.newest(edition, 10)):
            meta = site.articles[index]
            # every fourth entry links to the AMP duplicate, as on the SmartMag pages
            url = self.article_url(index, amp=rank % 4 == 3)
            rows.append(
                f'<li class="latest-news__item"><a class="latest-news__link" href="{url}">{esc(meta.title)}</a>'
                f'<time class="latest-news__date" datetime="{local_iso(meta.published)}">'
                f"{printed(edition, meta.published)}</time></li>"
            )
        latest = (
            f'<section class="latest-news"><h3 class="section-title">{edition.latest_heading}</h3>'
            '<ul class="latest-news__list">' + "\n".join(rows) + "</ul></section>"
        )
        return (
            '<aside class="sidebar" id="secondary">\n'
            f"{top}\n{latest}\n"
            f'<div class="ad-slot ad-slot--sidebar"><a href="{AD_LINK}" target="_blank" rel="nofollow sponsored">'
            '<img src="https://ads.example-adnet.kz/banner-300x250.gif" alt=""></a></div>\n'
            "</aside>"
        )

    def _footer(self) -> str:
        base, text = self.base, labels(self.edition)
        return f"""<footer class="site-footer" id="colophon">
<div class="container site-footer__grid">
<div class="site-footer__col site-footer__col--about">
<p>Свидетельство постановке на учет периодического печатного издания, информационного агентства и сетевого издания № KZ92VPY00088583 Дата выдачи 01.03.2024</p>
<p>Свидетельство постановке на учет информационного агентства № KZ59VPY00114494 Дата выдачи 11.03.2025</p>
<p><a href="{base}wp-content/uploads/2025/03/svidetelstvo.pdf">Свидетельство (PDF)</a></p>
</div>
<div class="site-footer__col"><h4 class="site-footer__title">{text["useful"]}</h4>{self.top_bar}</div>
<div class="site-footer__col"><h4 class="site-footer__title">{text["sitemap"]}</h4>{self.menu("footer-nav")}</div>
<div class="site-footer__col"><h4 class="site-footer__title">{text["social"]}</h4>{self.social}</div>
</div>
<div class="container site-footer__bottom"><p class="site-footer__copyright">© {SITE_NAME}</p></div>
</footer>
<div class="search-overlay" id="search-overlay" role="dialog" aria-modal="true" hidden>
<form role="search" method="get" class="search-overlay__form" action="{self.home_url}"><input type="search" class="search-overlay__input" name="s" placeholder="{text["search"]}…" value="" required>
<button type="submit" class="search-overlay__submit screen-reader-text">{text["search"]}</button>
<p class="search-overlay__hint">{text["search_hint"]}</p></form>
</div>
<script src='{base}{ASSETS}/js/main.js?ver={VERSION}' id="newsroom-main-js"></script>
</body>
</html>
"""

    def head_tail(self) -> str:
        base = self.base
        return (
            f'<link rel="alternate" type="application/rss+xml" title="{SITE_NAME} &raquo; Лента" '
            f'href="{self.home_url}feed/">\n'
            f"<link rel='stylesheet' id='newsroom-style-css' href='{base}{ASSETS}/css/main.css?ver={VERSION}' "
            "type='text/css' media='all'>\n"
            "<style id='newsroom-inline-css'>:root { --nr-accent: #e2000f; } .article__title { font-weight: 800; }</style>\n"
            f"<script src='{base}wp-includes/js/jquery/jquery.min.js?ver=3.7.1' id='jquery-core-js'></script>"
        )

    def page(self, *, head: str, body_class: str, crumb: str | None, main: str, charset: str = "UTF-8") -> str:
        crumbs = ""
        if crumb is not None:
            crumbs = (
                '<nav class="crumbs" aria-label="Breadcrumb"><ol class="crumbs__list">'
                f'<li class="crumbs__item"><a href="{self.home_url}">{self.edition.crumb_home}</a></li>'
                '<li class="crumbs__sep" aria-hidden="true">&raquo;</li>'
                f'<li class="crumbs__item crumbs__item--current" aria-current="page">{esc(crumb)}</li></ol></nav>'
            )
        return (
            f'<!DOCTYPE html>\n<html lang="{self.edition.html_lang}">\n<head>\n<meta charset="{charset}">\n'
            '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
            f'{head}\n{self.head_tail()}\n</head>\n<body class="{body_class} {THEME_CLASS}">\n{self.header}{crumbs}\n'
            '<div class="site-content container" id="content">\n<main class="site-main" id="main">\n'
            f"{main}\n</main>\n{self.sidebar}\n</div>\n{self.footer}"
        )


# --- article pages ------------------------------------------------------------------------------


def _itemprop(microdata: bool, name: str) -> str:
    return f' itemprop="{name}"' if microdata else ""


def _header(chrome: Chrome, meta: ArticleMeta, microdata: bool) -> str:
    edition = chrome.edition
    # rel="category tag" is what WordPress's the_category() prints: the label is no post tag.
    # The microdata name sits on an inner span, since an itemprop on <a> states its href.
    name = esc(meta.primary.name)
    label = f'<span itemprop="articleSection">{name}</span>' if microdata else name
    rubric = (
        f'<div class="article__rubrics"><a class="article__rubric" href="{chrome.home_url}category/{meta.primary.slug}/" '
        f'rel="category tag">{label}</a></div>'
    )
    byline = ""
    if meta.author:  # the byline shows where SmartMag shows one, and nowhere else
        profile = f"{chrome.home_url}author/{slugify(meta.author)}/"
        author = esc(meta.author)
        if microdata:
            byline = (
                '<span class="byline" itemprop="author" itemscope itemtype="https://schema.org/Person">'
                f'{edition.author_prefix}: <a class="byline__name" href="{profile}" rel="author" itemprop="url">'
                f'<span itemprop="name">{author}</span></a></span>'
            )
        else:
            byline = (
                f'<span class="byline">{edition.author_prefix}: '
                f'<a class="byline__name" href="{profile}" rel="author">{author}</a></span>'
            )
    views = f'<span class="article__views">{edition.views_text(meta.views)}</span>' if meta.has(SHOW_VIEWS) else ""
    date = (
        f'<time class="article__date" datetime="{local_iso(meta.published)}"{_itemprop(microdata, "datePublished")}>'
        f"{printed(edition, meta.published)}</time>"
    )
    return (
        f'<header class="article__header">{rubric}'
        f'<h1 class="article__title"{_itemprop(microdata, "headline")}>{esc(meta.title)}</h1>'
        f'<div class="article__meta">{byline}{date}{views}</div></header>'
    )


def _cover(chrome: Chrome, content: Content, microdata: bool) -> str:
    if not content.image_path:
        return ""
    full = f"{chrome.base}{content.image_path}"
    medium, thumb = full.replace(".jpg", "-1024x576.jpg"), full.replace(".jpg", "-300x169.jpg")
    caption = (
        f'<figcaption class="article__cover-caption">{esc(content.image_caption)}</figcaption>'
        if content.image_caption
        else ""
    )
    # the full-size file in src: the srcset's smaller sizes are WordPress's resized copies
    return (
        f'<figure class="article__cover"><img class="article__cover-img" width="1280" height="720" src="{full}" '
        f'srcset="{full} 1280w, {medium} 1024w, {thumb} 300w" sizes="(max-width: 840px) 100vw, 840px" alt="" '
        f'decoding="async" fetchpriority="high"{_itemprop(microdata, "image")}>{caption}</figure>'
    )


def _share(url: str, edition: Edition) -> str:
    links = "".join(
        f'<a class="share-bar__link share-bar__link--{key}" href="{prefix}{url}" target="_blank" '
        f'rel="nofollow noopener">{name}</a>'
        for name, key, prefix in SHARE_SERVICES
    )
    return f'<div class="share-bar share-bar--top"><span class="share-bar__label">{labels(edition)["share"]}</span>{links}</div>'


def block_html(block: Block) -> str:
    markup = block.html
    for smartmag, newsroom in BLOCK_MARKUP:
        markup = markup.replace(smartmag, newsroom)
    return markup


def _tags(chrome: Chrome, meta: ArticleMeta) -> str:
    if not meta.tags:
        return ""
    links = " ".join(
        f'<a href="{chrome.home_url}tag/{tag_slug(meta.edition, tag)}/" rel="tag">{esc(tag)}</a>' for tag in meta.tags
    )
    return (
        '<footer class="article__footer"><div class="article__tags">'
        f'<span class="article__tags-label">{meta.edition.tags_label}</span> {links}</div></footer>'
    )


def _more_news(chrome: Chrome, meta: ArticleMeta, content: Content) -> str:
    if not content.related:
        return ""
    items = "\n".join(
        f'<div class="more-news__item"><a class="more-news__link" href="{esc(chrome.article_url(index) + suffix)}">'
        f"{esc(chrome.site.articles[index].title)}</a></div>"
        for index, suffix in content.related
    )
    return (
        '<section class="article-more">'
        f'<h2 class="article-more__heading">{meta.edition.related_heading}</h2>'
        f'<div class="more-news">\n{items}\n</div></section>'
    )


def render_article(chrome: Chrome, meta: ArticleMeta, content: Content, *, amp: bool = False) -> str:
    url = chrome.article_url(meta.index)
    flags, microdata = page_variant(chrome.site.seed, meta)
    scope = ' itemscope itemtype="https://schema.org/NewsArticle"' if microdata else ""
    body = "\n".join(block_html(block) for block in content.blocks)
    main = (
        f'<article class="article article--single{" article--has-cover" if content.image_path else ""}"{scope}>\n'
        f"{_header(chrome, meta, microdata)}\n{_cover(chrome, content, microdata)}\n{_share(url, meta.edition)}\n"
        f"<div{_itemprop(microdata, 'articleBody')} {BODY_START}\n{body}\n</div>\n"
        f"{_tags(chrome, meta)}\n</article>\n{_more_news(chrome, meta, content)}"
    )
    body_class = f"post-template-default single single-post postid-{meta.post_id} single-format-standard" + (
        " amp-mode" if amp else ""
    )
    head = yoast_head(chrome, replace(meta, flags=flags), content, url, amp=amp)
    return chrome.page(head=head, body_class=body_class, crumb=contract_text(meta.title), main=main)


# --- listings, static pages, 404 ---------------------------------------------------------------


def card(chrome: Chrome, index: int, *, suffix: str = "") -> str:
    """An `article.card`: thumbnail, headline link, `<time datetime>`, excerpt."""
    site, edition = chrome.site, chrome.edition
    meta = site.articles[index]
    url = esc(chrome.article_url(index) + suffix)
    thumb = ""
    if meta.has(IMAGE):
        local = meta.local_time()
        src = f"{chrome.base}wp-content/uploads/{local.year}/{local.month:02d}/{meta.slug[:40].rstrip('-')}-300x169.jpg"
        thumb = (
            f'<a class="card__thumb" href="{url}" tabindex="-1" aria-hidden="true">'
            f'<img class="card__img" src="{src}" width="300" height="169" alt="" loading="lazy"></a>'
        )
    return (
        f'<article class="card card--grid">{thumb}<div class="card__body">'
        f'<h2 class="card__title"><a href="{url}">{esc(meta.title)}</a></h2>'
        f'<time class="card__date" datetime="{local_iso(meta.published)}">{printed(edition, meta.published)}</time>'
        f'<p class="card__excerpt">{esc(card_excerpt(site, meta))}</p></div></article>'
    )


def pager(edition: Edition, url: str, current: int, last: int) -> str:
    """WordPress's paginate_links (end_size 1, mid_size 2) with rel=prev/next on the arrows."""
    if last <= 1:
        return ""
    text = labels(edition)

    def href(number: int) -> str:
        return url if number == 1 else f"{url}page/{number}/"

    parts = []
    if current > 1:
        parts.append(f'<a class="pager__prev" rel="prev" href="{href(current - 1)}">← {text["prev"]}</a>')
    gap = False
    for number in range(1, last + 1):
        if number == current:
            parts.append(f'<span class="pager__num pager__num--current" aria-current="page">{number}</span>')
            gap = True
        elif number <= 1 or number > last - 1 or abs(number - current) <= 2:
            parts.append(f'<a class="pager__num" href="{href(number)}">{number}</a>')
            gap = True
        elif gap:
            parts.append('<span class="pager__gap">&hellip;</span>')
            gap = False
    if current < last:
        parts.append(f'<a class="pager__next" rel="next" href="{href(current + 1)}">{text["next"]} →</a>')
    return f'<nav class="pager" aria-label="{text["pages"]}">' + "\n".join(parts) + "</nav>"


def render_home(chrome: Chrome, count: int = 15) -> str:
    # the same cards, campaign parameters included, as the SmartMag home page
    cards = "\n".join(
        card(chrome, index, suffix="?utm_source=home&utm_medium=block" if rank in (2, 7) else "")
        for rank, index in enumerate(chrome.site.newest(chrome.edition, count))
    )
    main = (
        f'<section class="news-grid news-grid--home"><h2 class="section-title">{labels(chrome.edition)["latest"]}</h2>'
        f'<div class="news-grid__items">\n{cards}\n</div></section>'
    )
    return chrome.page(
        head=listing_head(chrome, chrome.edition.home_name, chrome.home_url),
        body_class="home blog",
        crumb=None,
        main=main,
    )


def render_listing(chrome: Chrome, listing: Listing, number: int) -> str:
    url = f"{chrome.base}{listing.path}"
    cards = "\n".join(card(chrome, index) for index in listing.page(number))
    page_url = url if number == 1 else f"{url}page/{number}/"
    body_class = f"archive {listing.kind} {listing.kind}-{listing.slug}" + (
        f" paged paged-{number}" if number > 1 else ""
    )
    head = listing_head(chrome, listing.name, page_url)
    if listing.kind == "category":
        head += f'\n<link rel="alternate" type="application/rss+xml" title="{esc(listing.name)}" href="{url}feed/">'
    # Yoast's rel=prev/next: the one pagination signal every theme's archive has
    if number > 1:
        head += f'\n<link rel="prev" href="{url if number == 2 else f"{url}page/{number - 1}/"}">'
    if number < listing.pages():
        head += f'\n<link rel="next" href="{url}page/{number + 1}/">'
    main = (
        f'<header class="archive-header"><h1 class="archive-header__title">{esc(listing.name)}</h1></header>\n'
        f'<section class="news-grid"><div class="news-grid__items">\n{cards}\n</div></section>\n'
        f"{pager(chrome.edition, url, number, listing.pages())}"
    )
    return chrome.page(head=head, body_class=body_class, crumb=listing.name, main=main)


def render_static(chrome: Chrome, page: StaticPage) -> str:
    """A WordPress page: Yoast says og:type article, but it is no post (`page page-id-N`)."""
    url = f"{chrome.home_url}{page.slug}/"
    main = (
        f'<div class="page-single"><h1 class="page-single__title">{esc(page.title)}</h1>'
        f'<div class="page-single__content"><p>{esc(page.text)}</p></div></div>'
    )
    return chrome.page(
        head=listing_head(chrome, page.title, url, og_type="article")
        + '\n<meta property="article:modified_time" content="2024-03-01T06:00:00+00:00">',
        body_class=f"page-template-default page page-id-{page.page_id}",
        crumb=page.title,
        main=main,
    )


def render_not_found(chrome: Chrome) -> str:
    text = chrome.edition.not_found
    return chrome.page(
        head=f'<title>{text} - {SITE_NAME}</title>\n<meta name="robots" content="noindex, follow">',
        body_class="error404",
        crumb=text,
        main=f'<div class="page-404"><h1 class="page-404__title">{text}</h1></div>',
    )
