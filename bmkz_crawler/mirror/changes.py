"""Silent edits and deletions: what a site that grew from smaller sizes did to its older articles.

Growing `--articles` from N to N+K always adds K newer articles and shows a few older ones
edited visibly (a new paragraph, a later `modified_at`: `timeline.edit_threshold`). Told the
sizes it grew through (`--grown-from N [M ...]`), the mirror also does what newsrooms do without
saying so, at each step a -> b among the articles of the a-site:

- a *silent edit*: one paragraph of the body is rewritten (never the lead, so listings and feeds
  stay byte-identical), while `modified_at` (page, JSON-LD, OpenGraph), the sitemap `<lastmod>`
  and the feed dates stay as they were. Only fetching the page again shows it.
- a *deletion*: the page and its AMP copy answer 404, as WordPress does for a deleted or trashed
  post (410 needs a plugin); the article leaves archives, sitemaps, feeds, widgets and the
  related/read-also links of every other article, so no live page links to it (a crawler learns
  of it only by asking for a URL it remembers).

Each step's choice depends on (seed, b, the earlier steps) alone, so the site of size b grown
from a is the same whether it is served directly or as a step of a longer history: give a later
site every earlier size (`--grown-from 300 320` for 340) and it keeps the earlier steps' changes.
An article changes at most once this way, is never one whose visible edit appears in the same
step, and is never one of the most-read widget (deleting those would move the widget on every
page). Without `--grown-from` nothing is silently edited or deleted: the site is the one the
mirror always served.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import pairwise

from bmkz_crawler.mirror import timeline

SILENT_EDITS = 3  # per growth step, by default
DELETIONS = 2
DELETED_STATUS = 404  # the app's answer to a path it does not know, which a deleted one is


@dataclass(frozen=True, slots=True)
class Step:
    grown_from: int  # the smaller size a
    size: int  # the size b it grew to
    edited: tuple[int, ...]  # articles of the a-site whose visible edit appears in this step
    silent_edits: tuple[int, ...]
    deleted: tuple[int, ...]


def check_history(grown_from: Sequence[int], size: int) -> list[int]:
    """The sizes a site grew through, validated: strictly increasing, from 1, below `size`."""
    sizes = list(grown_from)
    if any(later <= earlier for earlier, later in pairwise(sizes)):
        raise ValueError(f"grown_from must be strictly increasing: {sizes}")
    if sizes and not 0 < sizes[0] <= sizes[-1] < size:
        raise ValueError(f"grown_from sizes must be between 1 and articles - 1 ({size - 1}): {sizes}")
    return sizes


def plan_steps(
    seed: int,
    size: int,
    grown_from: Sequence[int],
    languages: Sequence[str],
    views: Sequence[int],
    top_posts: int,
    silent_edits: int = SILENT_EDITS,
    deletions: int = DELETIONS,
) -> list[Step]:
    """Every growth step of a `size`-article site that grew through `grown_from`.

    `languages[i]` and `views[i]` are article i's edition and views (the same in every size).
    """
    sizes = [*check_history(grown_from, size), size]
    changed: set[int] = set()
    deleted: set[int] = set()
    steps = []
    for smaller, bigger in pairwise(sizes):
        edited = tuple(i for i in range(smaller) if smaller < (timeline.edit_threshold(seed, i) or 0) <= bigger)
        top = _most_read(range(bigger), deleted, languages, views, top_posts)
        candidates = [i for i in range(smaller) if i not in changed and i not in top and i not in edited]
        rng = random.Random(f"{seed}:{bigger}:changes")
        chosen = rng.sample(candidates, min(len(candidates), silent_edits + deletions))
        silent, gone = tuple(sorted(chosen[:silent_edits])), tuple(sorted(chosen[silent_edits:]))
        changed.update(chosen)
        deleted.update(gone)
        steps.append(Step(smaller, bigger, tuple(i for i in edited if i not in deleted), silent, gone))
    return steps


def _most_read(
    indices: range, deleted: set[int], languages: Sequence[str], views: Sequence[int], count: int
) -> set[int]:
    """The most-read widget's articles of each edition (as `model.MirrorSite.top` ranks them)."""
    top: set[int] = set()
    for lang in dict.fromkeys(languages):
        live = [i for i in indices if languages[i] == lang and i not in deleted]
        top.update(sorted(live, key=lambda i: (-views[i], i))[:count])
    return top
