"""Article pages (and their /amp/ duplicates) in the markup of SmartMag + Yoast SEO.

Yoast's metadata states times in UTC, the theme's `time[datetime]` in Almaty local time:
both name the same instant, as on the real site.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime

from bmkz_crawler.mirror.content import Content
from bmkz_crawler.mirror.model import BROKEN_JSONLD, NO_JSONLD, NO_OG, SHOW_VIEWS, ArticleMeta, tag_slug
from bmkz_crawler.mirror.oracle import contract_text
from bmkz_crawler.mirror.render_chrome import SITE_NAME, Chrome, esc, local_iso, printed
from bmkz_crawler.mirror.slugs import slugify


def utc_iso(timestamp: int) -> str:
    return datetime.fromtimestamp(timestamp, UTC).isoformat()


def yoast_head(chrome: Chrome, meta: ArticleMeta, content: Content, url: str, *, amp: bool) -> str:
    """The article's head tags as Yoast SEO prints them: the same whatever the theme."""
    edition, base = chrome.edition, chrome.base
    title = esc(meta.title)
    parts = [
        f"<title>{title} - {SITE_NAME}</title>",
        '<meta name="robots" content="index, follow, max-image-preview:large">',
    ]
    if content.description:
        parts.append(f'<meta name="description" content="{esc(content.description)}">')
    parts.append(f'<link rel="canonical" href="{url}">')
    if not amp:
        parts.append(f'<link rel="amphtml" href="{url}amp/">')
    image_url = f"{base}{content.image_path}" if content.image_path else None
    if not meta.has(NO_OG):
        parts += [
            f'<meta property="og:locale" content="{edition.locale}">',
            '<meta property="og:type" content="article">',
            f'<meta property="og:title" content="{title} - {SITE_NAME}">',
        ]
        if content.description:
            parts.append(f'<meta property="og:description" content="{esc(content.description)}">')
        parts += [
            f'<meta property="og:url" content="{url}">',
            f'<meta property="og:site_name" content="{SITE_NAME}">',
            f'<meta property="article:section" content="{esc(meta.primary.name)}">',
        ]
        parts += [f'<meta property="article:tag" content="{esc(tag)}">' for tag in meta.tags]
        parts.append(f'<meta property="article:published_time" content="{utc_iso(meta.published)}">')
        if meta.modified:
            parts.append(f'<meta property="article:modified_time" content="{utc_iso(meta.modified)}">')
        if image_url:
            parts += [
                f'<meta property="og:image" content="{image_url}">',
                '<meta property="og:image:width" content="1280">',
                '<meta property="og:image:height" content="720">',
                '<meta property="og:image:type" content="image/jpeg">',
            ]
        parts.append('<meta name="twitter:card" content="summary_large_image">')
    parts.append(f'<link rel="shortlink" href="{base}?p={meta.post_id}">')
    if meta.has(BROKEN_JSONLD):
        # a plugin conflict cut the graph off: metadata must not be trusted blindly
        graph = _graph(chrome, meta, content, url, image_url)[:160]
        parts.append(f'<script type="application/ld+json" class="yoast-schema-graph">{graph}</script>')
    elif not meta.has(NO_JSONLD):
        graph = _graph(chrome, meta, content, url, image_url)
        parts.append(f'<script type="application/ld+json" class="yoast-schema-graph">{graph}</script>')
    return "\n".join(parts)


def _graph(chrome: Chrome, meta: ArticleMeta, content: Content, url: str, image_url: str | None) -> str:
    base, lang = chrome.base, chrome.edition.html_lang
    published = utc_iso(meta.published)
    article: dict[str, object] = {
        "@type": "NewsArticle",
        "@id": f"{url}#article",
        "isPartOf": {"@id": url},
        # Yoast names an account even when the page shows no byline
        "author": {"name": meta.author or "Редакция BM.KZ", "@id": f"{base}#/schema/person/1a2b3c"},
        "headline": meta.title,
        "datePublished": published,
        "mainEntityOfPage": {"@id": url},
        "publisher": {"@id": f"{base}#organization"},
        "keywords": list(meta.tags),
        "articleSection": list(dict.fromkeys([meta.primary.name, meta.section.name])),
        "inLanguage": lang,
    }
    if meta.modified:
        article["dateModified"] = utc_iso(meta.modified)
    if image_url:
        article["image"] = {"@id": f"{url}#primaryimage"}
        article["thumbnailUrl"] = image_url
    graph: list[dict[str, object]] = [
        article,
        {
            "@type": "WebPage",
            "@id": url,
            "url": url,
            "name": f"{meta.title} - {SITE_NAME}",
            "datePublished": published,
            "breadcrumb": {"@id": f"{url}#breadcrumb"},
            "inLanguage": lang,
        },
    ]
    if image_url:
        graph.append(
            {
                "@type": "ImageObject",
                "inLanguage": lang,
                "@id": f"{url}#primaryimage",
                "url": image_url,
                "contentUrl": image_url,
                "width": 1280,
                "height": 720,
                "caption": content.image_caption or "",
            }
        )
    graph += [
        {
            "@type": "BreadcrumbList",
            "@id": f"{url}#breadcrumb",
            "itemListElement": [
                {"@type": "ListItem", "position": 1, "name": chrome.edition.crumb_home, "item": chrome.home_url},
                {"@type": "ListItem", "position": 2, "name": meta.title},
            ],
        },
        {"@type": "WebSite", "@id": f"{base}#website", "url": base, "name": SITE_NAME, "inLanguage": lang},
        {"@type": "Organization", "@id": f"{base}#organization", "name": SITE_NAME, "url": base},
    ]
    return json.dumps({"@context": "https://schema.org", "@graph": graph}, ensure_ascii=False).replace("</", "<\\/")


def _header(chrome: Chrome, meta: ArticleMeta, content: Content) -> str:
    edition, base = chrome.edition, chrome.base
    category = (
        f'<span class="meta-item cat-labels"><a href="{chrome.home_url}category/{meta.primary.slug}/" '
        f'class="category term-color-1" rel="category">{esc(meta.primary.name)}</a></span>'
    )
    author = ""
    if meta.author:
        author = (
            f'<span class="meta-item post-author has-img"><span class="by">{edition.author_prefix}</span> '
            f'<a href="{chrome.home_url}author/{slugify(meta.author)}/" title="{esc(meta.author)}" rel="author">'
            f"{esc(meta.author)}</a></span>"
        )
    views = (
        f'<span class="meta-item post-views">{edition.views_text(meta.views)}</span>' if meta.has(SHOW_VIEWS) else ""
    )
    featured = ""
    if content.image_path:
        full = f"{base}{content.image_path}"
        small, thumb = full.replace(".jpg", "-1024x576.jpg"), full.replace(".jpg", "-300x169.jpg")
        caption = f'<div class="wp-caption-text">{esc(content.image_caption)}</div>' if content.image_caption else ""
        featured = (
            '<div class="single-featured"><div class="featured">'
            f'<a href="{full}" class="image-link media-ratio ar-bunyad-main" title="{esc(meta.title)}">'
            f'<img width="1024" height="576" src="{small}" '
            'class="attachment-bunyad-main size-bunyad-main wp-post-image" '
            f'alt="" decoding="async" fetchpriority="high" srcset="{small} 1024w, {thumb} 300w" '
            'sizes="(max-width: 788px) 100vw, 788px"></a>'
            f"{caption}</div></div>"
        )
    return (
        '<div class="the-post-header s-head-modern s-head-modern-a">'
        '<div class="post-meta post-meta-a post-meta-left post-meta-single has-below">'
        f'<div class="post-meta-items meta-above">{category}</div>'
        f'<h1 class="is-title post-title">{esc(meta.title)}</h1>'
        f'<div class="post-meta-items meta-below">{author}<span class="meta-item has-next-icon date">'
        f'<time class="post-date" datetime="{local_iso(meta.published)}">{printed(edition, meta.published)}</time>'
        f"</span>{views}</div>"
        f"</div>{featured}</div>"
    )


SHARE_FLOAT = (
    '<div class="post-share-float share-float-a is-hidden spc-social-colors spc-social-colored">'
    '<div class="inner"><span class="share-text">Поделиться</span><div class="services">'
    '<a href="https://www.facebook.com/sharer.php?u={url}" class="cf service s-facebook" target="_blank" '
    'rel="nofollow noopener"><span class="label">Facebook</span></a>'
    '<a href="https://t.me/share/url?url={url}" class="cf service s-telegram" target="_blank" '
    'rel="nofollow noopener"><span class="label">Telegram</span></a>'
    '<a href="https://wa.me/?text={url}" class="cf service s-whatsapp" target="_blank" '
    'rel="nofollow noopener"><span class="label">WhatsApp</span></a>'
    "</div></div></div>"
)


def _related(chrome: Chrome, meta: ArticleMeta, content: Content) -> str:
    if not content.related:
        return ""
    cards = []
    for index, suffix in content.related:
        other = chrome.site.articles[index]
        url = esc(chrome.article_url(index) + suffix)
        cards.append(
            '<article class="l-post grid-post grid-sm-post">'
            f'<div class="media"><a href="{url}" class="image-link media-ratio ratio-16-9">'
            '<span class="img bg-cover"></span></a></div>'
            f'<div class="content"><div class="post-meta"><h2 class="is-title post-title"><a href="{url}">'
            f"{esc(other.title)}</a></h2></div></div></article>"
        )
    return (
        '<section class="related-posts grid-3">'
        f'<div class="block-head block-head-ac"><h4 class="heading">{meta.edition.related_heading}</h4></div>'
        '<div class="block-content"><div class="loop loop-grid loop-grid-sm grid grid-3">'
        + "\n".join(cards)
        + "</div></div></section>"
    )


def render_article(chrome: Chrome, meta: ArticleMeta, content: Content, *, amp: bool = False) -> str:
    url = chrome.article_url(meta.index)
    tags = ""
    if meta.tags:
        links = " ".join(
            f'<a href="{chrome.home_url}tag/{tag_slug(meta.edition, tag)}/" rel="tag">{esc(tag)}</a>'
            for tag in meta.tags
        )
        tags = f'<div class="the-post-tags"><span class="label">{meta.edition.tags_label}</span> {links}</div>'
    body = "\n".join(block.html for block in content.blocks)
    main = (
        '<div class="the-post s-post-modern">\n'
        f'<article id="post-{meta.post_id}" class="the-post-wrap the-post post type-post status-publish '
        f'format-standard{" has-post-thumbnail" if content.image_path else ""}">\n'
        f"{_header(chrome, meta, content)}\n"
        '<div class="post-content-wrap has-share-float">\n'
        f"{SHARE_FLOAT.format(url=url)}\n"
        f'<div class="post-content cf entry-content content-spacious">\n{body}\n</div>\n'
        f"{tags}\n</div>\n</article>\n</div>\n{_related(chrome, meta, content)}"
    )
    body_class = (
        f"post-template-default single single-post postid-{meta.post_id} single-format-standard right-sidebar"
        + (" amp-mode" if amp else "")
    )
    head = yoast_head(chrome, meta, content, url, amp=amp)
    return chrome.page(head=head, body_class=body_class, crumb=contract_text(meta.title), main=main)
