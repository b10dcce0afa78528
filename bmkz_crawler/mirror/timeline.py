"""When article i was published and when (if ever) it is edited.

Publication time is a function of the article's index alone, so a mirror of N+K articles
is the N-article mirror plus K newer ones. The curve has large gaps for the first articles
and shrinking ones later: 300 articles already span January 2023 to spring 2024 (across the
2024-03-01 change of Asia/Almaty from UTC+6 to UTC+5), 2,000 reach early 2025, 50,000 stay
within 2023–2025 (gaps of about two minutes at the end).

These are the dates of the default timeline. A mirror given a "now" (`--now`) moves every
date by one shift (`anchor_shift`): the last change of an `anchor`-article site (its newest
publication or edit) lands exactly a day before now. The shift depends on (seed, anchor, now)
only, so two sizes anchored alike show the same dates for the articles they share.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime

# 2023-01-10 09:00 in Almaty (UTC+6 then)
EPOCH = int(datetime(2023, 1, 10, 3, 0, tzinfo=UTC).timestamp())
# f(i) = SPAN * (1 - (1 + i/SCALE) ** -SHAPE) days; fitted to f(299)≈470, f(2000)≈760, f(50000)≈1060
_SPAN_DAYS = 1337.2439581186113
_SCALE = 53.5
_SHAPE = 0.23

# the site's setup, before every article: robots.txt's Last-Modified
SITE_LAUNCH = int(datetime(2023, 1, 1, tzinfo=UTC).timestamp())
# when the static pages (about, contacts, ...) were last edited
STATIC_PAGES_EDITED = int(datetime(2024, 3, 1, 6, 0, tzinfo=UTC).timestamp())
ANCHOR_BEFORE_NOW = 86400  # with --now: the site's last change is one day before it

EDIT_SHARE = 0.05  # articles that get one later edit
BASE_MODIFIED_SHARE = 0.15  # articles modified shortly after publication


def _curve(i: int) -> float:
    return EPOCH + _SPAN_DAYS * 86400 * (1 - (1 + i / _SCALE) ** -_SHAPE)


def published_at(seed: int, i: int) -> int:
    """Unix time of article i: strictly increasing in i, jittered within the first half of the gap."""
    start = _curve(i)
    gap = _curve(i + 1) - start
    jitter = random.Random(f"{seed}:{i}:time").random() * 0.5 * gap
    return int(start + jitter)


def base_modified_at(seed: int, i: int, published: int) -> int | None:
    """Some articles are corrected minutes to hours after publication (same text)."""
    rng = random.Random(f"{seed}:{i}:modified")
    if rng.random() >= BASE_MODIFIED_SHARE:
        return None
    return published + rng.randint(600, 6 * 3600)


def edit_threshold(seed: int, i: int) -> int | None:
    """The mirror size from which article i shows its edited version (> i), or None.

    Delays grow with i so that each growth step N -> N+K edits about EDIT_SHARE * K articles.
    """
    rng = random.Random(f"{seed}:{i}:edit")
    if rng.random() >= EDIT_SHARE:
        return None
    return i + 2 + int(rng.expovariate(1 / (30 + 0.3 * i)))


def edited_at(threshold: int) -> int:
    """The edit happens just before article `threshold` is published: between the two."""
    start = _curve(threshold - 1)
    return int(start + 0.75 * (_curve(threshold) - start))


def article_times(seed: int, i: int, size: int) -> tuple[int, int | None, bool]:
    """(published, modified or None, edited) of article i in a mirror of `size` articles."""
    published = published_at(seed, i)
    modified = base_modified_at(seed, i, published)
    threshold = edit_threshold(seed, i)
    if threshold is None or size < threshold:
        return published, modified, False
    return published, max(edited_at(threshold), (modified or published) + 3600), True


def last_change(seed: int, size: int) -> int:
    """The newest publication or edit of a `size`-article mirror on the default timeline."""
    latest = SITE_LAUNCH
    for i in range(size):
        published, modified, _ = article_times(seed, i, size)
        latest = max(latest, published, modified or published)
    return latest


def anchor_shift(seed: int, anchor: int, now: int) -> int:
    """Seconds to add to every default date so that the last change of an `anchor`-article
    mirror is ANCHOR_BEFORE_NOW before `now` (unix seconds)."""
    return now - ANCHOR_BEFORE_NOW - last_change(seed, anchor)
