"""The site model: small metadata for every article, and the lists that archives show.

Only what listings need is kept per article (a few hundred bytes): bodies are generated on
demand by `content`. Every per-article value comes from a random generator seeded with
(seed, index, purpose), never from a shared stream, so article i is the same in every mirror
size; only edits (`timeline.edit_threshold`) and the lists depend on the size, and, for a site
told the sizes it grew through, the silent edits and deletions of `changes`.
"""

from __future__ import annotations

import random
from bisect import bisect_left
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from bmkz_crawler.mirror import changes, timeline
from bmkz_crawler.mirror.editions import EDITIONS, KK, RU, Edition, Section
from bmkz_crawler.mirror.oracle import almaty_time
from bmkz_crawler.mirror.slugs import slugify

RU_SHARE = 0.7
PER_PAGE = 10
TOP_POSTS = 10
LATEST = 10

# flags: the page variants an article is rendered with
IMAGE = 1
CAPTION = 2
SHOW_VIEWS = 4
DESCRIPTION = 8
NO_JSONLD = 16
BROKEN_JSONLD = 32
NO_OG = 64

RESERVED_SLUGS = frozenset(
    {"category", "tag", "author", "feed", "page", "kz", "amp", "wp-content", "wp-includes", "wp-admin"}
    | {page.slug for edition in EDITIONS for page in edition.static_pages}
)


@dataclass(slots=True)
class ArticleMeta:
    index: int
    edition: Edition
    post_id: int
    slug: str
    title: str
    published: int  # unix seconds
    section: Section  # one of the 8 menu sections
    primary: Section  # the label the header shows: usually the edition's "news" category
    tags: tuple[str, ...]  # as shown, a duplicate possible
    author: str | None
    views: int
    flags: int
    modified: int | None  # in this mirror: None, a correction, or the edit's time
    edited: bool  # this mirror shows the edited body
    silent_edit: int | None = None  # the size from which the body was rewritten without a new modified_at
    deleted: bool = False  # gone: 404, linked and listed nowhere (`changes`)

    @property
    def path(self) -> str:
        """Path without the leading slash: `slug/` or `kz/slug/`."""
        return f"{self.edition.prefix}{self.slug}/"

    def local_time(self) -> datetime:
        return almaty_time(self.published)

    def has(self, flag: int) -> bool:
        return bool(self.flags & flag)


@dataclass
class Listing:
    """An archive: a category, tag or author page series (article indices, oldest first)."""

    edition: Edition
    kind: str  # "category", "tag", "author"
    slug: str
    name: str
    indices: list[int] = field(default_factory=list)

    @property
    def path(self) -> str:
        return f"{self.edition.prefix}{self.kind}/{self.slug}/"

    def pages(self) -> int:
        return max(1, -(-len(self.indices) // PER_PAGE))

    def page(self, number: int) -> list[int]:
        """Newest first, PER_PAGE per page, `number` from 1."""
        end = len(self.indices) - (number - 1) * PER_PAGE
        return self.indices[max(0, end - PER_PAGE) : max(0, end)][::-1]


def _title(edition: Edition, rng: random.Random) -> str:
    corpus = edition.corpus
    if edition is RU and rng.random() < 0.4:
        return rng.choice(corpus.REAL_TITLES)
    template = rng.choice(corpus.TITLE_TEMPLATES)
    _, place = rng.choice(corpus.PLACES)
    text = template.format(
        place=place,
        n=rng.choice((3, 5, 12, 17, 40, 120, 300, 1200)),
        pct=f"{rng.randint(2, 16)},{rng.choice((0, 25, 5, 75))}".replace(",0", ""),
        rate=f"{rng.randint(440, 540)},{rng.randint(1, 9)}",
        mag=f"{rng.randint(3, 5)},{rng.randint(0, 9)}",
    )
    return text[0].upper() + text[1:]


class MirrorSite:
    """The whole site for (seed, number of articles[, now]): articles, archives, lookups.

    Without `now` the dates are the default timeline's (2023–2025). With `now` (unix seconds)
    every date moves by one shift so that the last change (newest publication or edit) of an
    `anchor_articles`-article site, by default this one, is a day before `now`: give two sizes
    the same `now` and anchor and the smaller one is the bigger one as it stood earlier.

    `grown_from` (the smaller sizes this site grew through, ascending) adds `silent_edits`
    silent edits and `deletions` deletions per growth step (`changes`); `steps` lists them.
    Deleted articles keep their place in `articles` (index i is article i in every size) but
    are in none of the lookups and lists.
    """

    def __init__(
        self,
        seed: int,
        articles: int,
        now: int | None = None,
        anchor_articles: int | None = None,
        *,
        grown_from: Sequence[int] = (),
        silent_edits: int = changes.SILENT_EDITS,
        deletions: int = changes.DELETIONS,
    ) -> None:
        anchor = articles if anchor_articles is None else anchor_articles
        if anchor < articles:
            raise ValueError(f"anchor_articles ({anchor}) must be at least articles ({articles}): no article after now")
        self.seed = seed
        self.size = articles
        self.now = now
        self.shift = 0 if now is None else timeline.anchor_shift(seed, anchor, now)
        self.by_path: dict[str, int] = {}
        self.by_post_id: dict[int, int] = {}
        self.edition_indices: dict[str, list[int]] = {RU.lang: [], KK.lang: []}  # live articles
        self.published_indices: dict[str, list[int]] = {RU.lang: [], KK.lang: []}  # deleted ones too
        self.listings: dict[str, Listing] = {}
        for edition in EDITIONS:
            for section in (edition.news, *edition.sections):
                self._listing(edition, "category", section.slug, section.name)
        used = set(RESERVED_SLUGS)
        self.articles: list[ArticleMeta] = [self._article(i, used) for i in range(articles)]
        self.steps = changes.plan_steps(
            seed,
            articles,
            grown_from,
            [meta.edition.lang for meta in self.articles],
            [meta.views for meta in self.articles],
            TOP_POSTS,
            silent_edits,
            deletions,
        )
        for step in self.steps:
            for i in step.silent_edits:
                self.articles[i].silent_edit = step.size
            for i in step.deleted:
                self.articles[i].deleted = True
        for meta in self.articles:
            i = meta.index
            self.published_indices[meta.edition.lang].append(i)
            if meta.deleted:
                continue
            self.by_path[meta.path] = i
            self.by_post_id[meta.post_id] = i
            self.edition_indices[meta.edition.lang].append(i)
            self._file(meta)
        self.top: dict[str, list[int]] = {
            lang: sorted(indices, key=lambda i: (-self.articles[i].views, i))[:TOP_POSTS]
            for lang, indices in self.edition_indices.items()
        }

    def _listing(self, edition: Edition, kind: str, slug: str, name: str) -> Listing:
        key = f"{edition.prefix}{kind}/{slug}/"
        if key not in self.listings:
            self.listings[key] = Listing(edition, kind, slug, name)
        return self.listings[key]

    def _file(self, meta: ArticleMeta) -> None:
        edition = meta.edition
        self._listing(edition, "category", meta.section.slug, meta.section.name).indices.append(meta.index)
        if meta.primary is not meta.section:
            self._listing(edition, "category", meta.primary.slug, meta.primary.name).indices.append(meta.index)
        for tag in dict.fromkeys(meta.tags):
            self._listing(edition, "tag", tag_slug(edition, tag), tag).indices.append(meta.index)
        if meta.author:
            self._listing(edition, "author", slugify(meta.author), meta.author).indices.append(meta.index)

    def _article(self, i: int, used: set[str]) -> ArticleMeta:
        seed = self.seed
        rng = random.Random(f"{seed}:{i}:meta")
        edition = RU if rng.random() < RU_SHARE else KK
        corpus = edition.corpus
        title = _title(edition, rng)
        slug = base = slugify(title)
        suffix = 2
        while slug in used:  # WordPress's rule; depends on older articles only
            slug = f"{base}-{suffix}"
            suffix += 1
        used.add(slug)
        section = rng.choice(edition.sections)
        primary = edition.news if rng.random() < 0.75 else section
        tags: tuple[str, ...] = ()
        if rng.random() < 0.8:
            tags = tuple(rng.sample(corpus.TAGS, rng.randint(1, 4)))
            if len(tags) > 1 and rng.random() < 0.05:
                tags = (*tags, tags[0])  # the theme prints what the editor typed twice
        author = rng.choice(corpus.AUTHORS) if rng.random() < 0.6 else None
        views = int(rng.paretovariate(1.3) * 120)
        flags = 0
        if rng.random() < 0.85:
            flags |= IMAGE | (CAPTION if rng.random() < 0.8 else 0)
        flags |= SHOW_VIEWS if rng.random() < 0.3 else 0
        flags |= DESCRIPTION if rng.random() < 0.85 else 0
        markup = rng.random()
        flags |= NO_JSONLD if markup < 0.05 else BROKEN_JSONLD if markup < 0.08 else 0
        flags |= NO_OG if rng.random() < 0.04 else 0
        post_id = 1000 + 5 * i + rng.randint(0, 4)  # increasing, as WordPress assigns them
        published, modified, edited = timeline.article_times(seed, i, self.size)
        published += self.shift
        modified = modified + self.shift if modified is not None else None
        return ArticleMeta(
            i, edition, post_id, slug, title, published, section, primary, tags, author, views, flags, modified, edited
        )

    # --- lookups used by the renderer ----------------------------------------------------

    def live(self) -> Iterator[ArticleMeta]:
        """Every article not deleted, oldest first."""
        return (meta for meta in self.articles if not meta.deleted)

    def newest(self, edition: Edition, count: int) -> list[int]:
        return self.edition_indices[edition.lang][-count:][::-1]

    def older_same_edition(self, meta: ArticleMeta, count: int) -> list[int]:
        """Up to `count` articles of the same edition published just before `meta`, newest first,
        deleted ones included: an article's links are chosen among these the day it is published,
        and only then are the deleted ones left out (`content`), so a deletion changes no other link."""
        indices = self.published_indices[meta.edition.lang]

        position = bisect_left(indices, meta.index)
        return indices[max(0, position - count) : position][::-1]


def tag_slug(edition: Edition, tag: str) -> str:
    return slugify(tag) + ("-kz" if edition is KK else "")
