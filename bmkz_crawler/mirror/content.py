"""An article's content, generated on demand from (seed, index, edited, silent edit).

The body is a list of blocks, each with its HTML and, when it is body text by the schema's
rules, its text. Render and ground truth both read this one list, so they cannot disagree
about what the body is. Links to deleted articles (`changes`) are left out after they are
chosen, so that the rest of the page is the same as before the deletion.
"""

from __future__ import annotations

import html
import random
from dataclasses import dataclass

from bmkz_crawler.mirror.editions import RU
from bmkz_crawler.mirror.model import CAPTION, DESCRIPTION, IMAGE, ArticleMeta, MirrorSite


@dataclass(frozen=True, slots=True)
class Block:
    html: str
    texts: tuple[str, ...] = ()  # body text it holds; none for ads, share buttons, read-also links


@dataclass(frozen=True, slots=True)
class Content:
    blocks: tuple[Block, ...]
    lead: str  # first paragraph's text
    dateline: str | None
    description: str | None
    image_path: str | None  # full-size image, path without leading slash
    image_caption: str | None
    # (article index, link suffix: "", "?utm_source=...", "?fbclid=...", "#comments"): only suffixes
    # the contract drops from a URL, so the truth states each as the article's own URL
    related: tuple[tuple[int, str], ...]

    def body_texts(self) -> list[str]:
        return [text for block in self.blocks for text in block.texts]


def esc(text: str) -> str:
    return html.escape(text, quote=False)


def _text_html(text: str) -> str:
    """Escape, and write no-break spaces and soft hyphens as entities the way WordPress does."""
    return esc(text).replace("\u00a0", "&nbsp;").replace("\u00ad", "&shy;")


def _p(text: str) -> Block:
    return Block(f"<p>{_text_html(text)}</p>", (text,))


def lead_paragraph(site: MirrorSite, meta: ArticleMeta) -> tuple[str, str | None, str]:
    """(first paragraph text, dateline city or None, lead sentence): cheap, for listings too."""
    rng = random.Random(f"{site.seed}:{meta.index}:lead")
    corpus = meta.edition.corpus
    sentence = rng.choice(corpus.LEADS)
    if rng.random() < 0.15:
        return sentence, None, sentence
    city, _ = rng.choice(corpus.PLACES)
    local = meta.local_time()
    dash = "\u00a0–\u00a0" if rng.random() < 0.2 else " – "
    return f"{city}. {meta.edition.dateline_date(local.day, local.month)}. BM.KZ{dash}{sentence}", city, sentence


def _paragraphs(meta: ArticleMeta, rng: random.Random) -> list[str]:
    corpus = meta.edition.corpus
    if meta.edition is RU:
        return rng.sample(corpus.SEED_PARAGRAPHS, rng.randint(2, 7))
    return [" ".join(rng.sample(corpus.SENTENCES, rng.randint(1, 3))) for _ in range(rng.randint(2, 6))]


AD_SLOT = (
    '<div class="a-wrap a-wrap-base a-wrap-8"><ins class="adsbygoogle" style="display:block" '
    'data-ad-client="ca-pub-0000" data-ad-slot="{slot}"></ins>'
    "<script>(adsbygoogle = window.adsbygoogle || []).push({{}});</script></div>"
)
SHARE_BOTTOM = (
    '<div class="post-share-bot"><span class="info">Поделиться</span>'
    '<a href="https://www.facebook.com/sharer.php?u={url}" class="service s-facebook" rel="nofollow">Facebook</a>'
    '<a href="https://t.me/share/url?url={url}" class="service s-telegram" rel="nofollow">Telegram</a></div>'
)


def build_content(site: MirrorSite, meta: ArticleMeta, base: str) -> Content:
    rng = random.Random(f"{site.seed}:{meta.index}:body")
    edition = meta.edition
    corpus = edition.corpus
    first, city, sentence = lead_paragraph(site, meta)
    blocks = [_p(first)]
    for text in _paragraphs(meta, rng):
        if rng.random() < 0.08:  # a soft hyphen pasted from a word processor
            cut = text.find(" ", len(text) // 2)
            text = text[: cut - 2] + "\u00ad" + text[cut - 2 :] if cut > 3 else text
        blocks.append(_p(text))
    if meta.silent_edit:
        _rewrite_paragraph(site, meta, blocks)

    def insert(block: Block | list[Block], *, keep: bool = True) -> None:
        position = rng.randint(1, len(blocks))  # drawn even when not kept: the rest stays the same
        if keep:
            blocks[position:position] = block if isinstance(block, list) else [block]

    if rng.random() < 0.3:
        insert(Block(AD_SLOT.format(slot=rng.randint(1, 9))))
    if rng.random() < 0.25:
        heading = rng.choice(corpus.SUBHEADINGS)
        insert([Block(f"<h2>{esc(heading)}</h2>", (heading,)), _p(rng.choice(_paragraphs(meta, rng)))])
    if rng.random() < 0.15:
        items = rng.choice(corpus.LISTS)
        tag = "ol" if rng.random() < 0.3 else "ul"
        rows = "\n".join(f"<li>{esc(item)}</li>" for item in items)
        insert(Block(f"<{tag}>\n{rows}\n</{tag}>", tuple(items)))
    if rng.random() < 0.2:
        quote = rng.choice(corpus.QUOTES)
        insert(Block(f'<blockquote class="wp-block-quote"><p>{esc(quote)}</p></blockquote>', (quote,)))
    if rng.random() < 0.1:
        caption = rng.choice(corpus.VIDEO_CAPTIONS)
        video = f"{meta.post_id:x}{rng.randint(100, 999)}"
        insert(
            Block(
                '<figure class="wp-block-embed is-type-video is-provider-youtube wp-block-embed-youtube">'
                '<div class="wp-block-embed__wrapper">'
                f'<iframe title="{esc(meta.title)}" width="788" height="443" '
                f'src="https://www.youtube.com/embed/{video}?feature=oembed" frameborder="0" allowfullscreen></iframe>'
                f'</div><figcaption class="wp-element-caption">{esc(caption)}</figcaption></figure>',
                (caption,),
            )
        )
    older = site.older_same_edition(meta, 30)
    if older and rng.random() < 0.25:
        target = site.articles[rng.choice(older)]
        label = corpus.READ_ALSO
        label_html = f"<strong>{label}</strong>" if rng.random() < 0.5 else label
        insert(
            Block(f'<p>{label_html} <a href="{base}{target.path}">{esc(target.title)}</a></p>'), keep=not target.deleted
        )
    if rng.random() < 0.1:
        insert(Block("<style>.post-content p { margin: 0 0 1em; }</style>"))
    if rng.random() < 0.1:
        blocks.append(Block("<p></p>"))  # an empty paragraph the editor left behind
    if meta.edited:
        update = random.Random(f"{site.seed}:{meta.index}:update").choice(corpus.UPDATES)
        blocks.append(_p(update))
    if rng.random() < 0.5:
        blocks.append(Block(SHARE_BOTTOM.format(url=f"{base}{meta.path}")))

    image_path = caption = None
    if meta.has(IMAGE):
        local = meta.local_time()
        image_path = f"wp-content/uploads/{local.year}/{local.month:02d}/{meta.slug[:40].rstrip('-')}.jpg"
        if meta.has(CAPTION):
            caption = rng.choice(corpus.IMAGE_CREDITS)

    related: list[tuple[int, str]] = []
    if older and rng.random() < 0.9:
        for index in rng.sample(older, min(len(older), rng.randint(3, 6))):
            roll = rng.random()
            suffix = (
                "?utm_source=related&utm_medium=block"
                if roll < 0.2
                else f"?fbclid=IwAR{index:x}"
                if roll < 0.3
                else "#comments"
                if roll < 0.4
                else ""
            )
            related.append((index, suffix))
    related = [(index, suffix) for index, suffix in related if not site.articles[index].deleted]
    description = sentence if meta.has(DESCRIPTION) else None
    return Content(tuple(blocks), first, city, description, image_path, caption, tuple(related))


def _rewrite_paragraph(site: MirrorSite, meta: ArticleMeta, blocks: list[Block]) -> None:
    """A silent edit: one paragraph after the lead says something else, in place (same block count)."""
    rng = random.Random(f"{site.seed}:{meta.index}:silent:{meta.silent_edit}")
    position = rng.randint(1, len(blocks) - 1)
    present = {text for block in blocks for text in block.texts}
    fresh = [text for _ in range(10) for text in _paragraphs(meta, rng) if text not in present]
    # the corpus is large enough to have a paragraph this body lacks; else a sentence is added
    blocks[position] = _p(fresh[0] if fresh else f"{blocks[position].texts[0]} {rng.choice(meta.edition.corpus.LEADS)}")
