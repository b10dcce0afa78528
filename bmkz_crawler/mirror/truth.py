"""Ground truth: the Article (../shared/article-schema.md) each article page should yield.

Every value is one the mirror chose when it generated the article (title, date, tags, body
blocks, related articles...), put in the contract's form by the mirror's own `oracle`, never
by `bmkz_crawler.processors`: the truth grades the crawler, so it must not share its code
(tests/test_oracle.py). All fields but `crawled_at` and `change` are given.

The truth does not depend on the theme the pages are rendered in (`themes`): every theme shows
each field as SmartMag does, so one truth serves them all (tests/test_mirror_theme.py).

Deleted articles (`changes`) have no truth; a silently edited one has its new body and
content hash with the `modified_at` it had before. `changes_report` lists both (`--changes`).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from pathlib import Path

from bmkz_crawler.mirror.changes import DELETED_STATUS
from bmkz_crawler.mirror.content import Content, build_content
from bmkz_crawler.mirror.model import BROKEN_JSONLD, NO_JSONLD, NO_OG, SHOW_VIEWS, ArticleMeta, MirrorSite
from bmkz_crawler.mirror.oracle import almaty_iso, contract_body, contract_text, text_hash, words_in
from bmkz_crawler.mirror.render_lists import card_excerpt


def article_truth(site: MirrorSite, meta: ArticleMeta, base: str, content: Content | None = None) -> dict:
    content = content or build_content(site, meta, base)
    body = contract_body(content.body_texts())
    title = contract_text(meta.title) or ""
    return {
        "url": f"{base}{meta.path}",
        "post_id": meta.post_id,
        "language": meta.edition.lang,
        "title": title,
        # the page's own description, else the excerpt its listing cards show (the schema's
        # third source; a crawler that reached the article without a listing may leave it null)
        "description": contract_text(content.description) or card_excerpt(site, meta),
        "body": body,
        "published_at": almaty_iso(meta.published),
        "modified_at": _modified_at(meta),
        "authors": [meta.author] if meta.author else [],
        "category": meta.primary.name,
        "tags": [tag for tag in dict.fromkeys(contract_text(tag) for tag in meta.tags) if tag],
        "image_url": f"{base}{content.image_path}" if content.image_path else None,
        "image_caption": contract_text(content.image_caption),
        "dateline": content.dateline,
        # shown in the header meta, or next to this very article in the most-read widget
        "views": meta.views if meta.has(SHOW_VIEWS) or meta.index in site.top[meta.edition.lang] else None,
        # the page links some with a tracking parameter or a fragment, which the contract drops
        "related_urls": [f"{base}{site.articles[index].path}" for index, _suffix in content.related],
        "word_count": words_in(body),
        "content_hash": text_hash(title, body),
    }


def _modified_at(meta: ArticleMeta) -> str | None:
    """Only Yoast states the modified time (OpenGraph meta, JSON-LD): a page with neither
    OpenGraph nor an intact JSON-LD graph gives none, so the schema wants null."""
    if not meta.modified or (meta.has(NO_OG) and meta.flags & (NO_JSONLD | BROKEN_JSONLD)):
        return None
    return almaty_iso(meta.modified)


def iter_truth(site: MirrorSite, base: str, exclude: Iterable[str] = ()) -> Iterator[dict]:
    """Every article of both editions, oldest first; deleted ones and `exclude`d paths
    (unreachable by a fault) left out."""
    skipped = set(exclude)
    for meta in site.live():
        if meta.path not in skipped:
            yield article_truth(site, meta, base)


def changes_report(site: MirrorSite, base: str) -> dict:
    """What the growth steps did to older articles (`--changes` JSON): for each step a -> b the
    articles of the a-site edited visibly, edited silently and deleted; and all silent edits and
    deletions of the site. A silent edit states its truth's (new) `content_hash` and (old)
    `modified_at`."""

    def article(index: int) -> dict:
        meta = site.articles[index]
        entry = {"url": f"{base}{meta.path}", "path": f"/{meta.path}", "post_id": meta.post_id}
        return entry | {"language": meta.edition.lang, "index": index}

    def silent(index: int) -> dict:
        truth = article_truth(site, site.articles[index], base)
        return article(index) | {"modified_at": truth["modified_at"], "content_hash": truth["content_hash"]}

    steps = [
        {
            "from": step.grown_from,
            "to": step.size,
            "edited": [article(i) for i in step.edited],
            "silent_edits": [silent(i) for i in step.silent_edits],
            "deleted": [article(i) for i in step.deleted],
        }
        for step in site.steps
    ]
    return {
        "seed": site.seed,
        "articles": site.size,
        "grown_from": [step.grown_from for step in site.steps],
        "deleted_status": DELETED_STATUS,
        "steps": steps,
        "silent_edits": [entry for step in steps for entry in step["silent_edits"]],
        "deleted": [entry for step in steps for entry in step["deleted"]],
    }


def write_truth(records: Iterable[dict], path: Path) -> int:
    count = 0
    with path.open("w", encoding="utf-8") as out:
        for record in records:
            out.write(json.dumps(record, ensure_ascii=False) + "\n")
            count += 1
    return count
