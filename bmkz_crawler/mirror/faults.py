"""Fault injection: what goes wrong where, decided by the seed alone.

Two sorts of faults. Per-request faults (transient 500/503, slow answers) are decided for
any path by hashing (seed, path): the server counts attempts per path, and a transient path
fails its first one or two attempts, then succeeds. Per-article faults (permanent 404 while
still listed, a truncated page, broken markup, a wrong charset, a redirect loop) are a few
articles drawn from a seeded generator. `plan()` lists them all for tests.
"""

from __future__ import annotations

import hashlib
import random
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from itertools import islice

from bmkz_crawler.mirror.model import MirrorSite

MISSING = "missing"  # 404 on every attempt, though archives still list it
TRUNCATED = "truncated"  # HTML cut off in the middle of the body
BROKEN_MARKUP = "broken-markup"  # optional end tags left out, </article> missing: still an article
WRONG_CHARSET = "wrong-charset"  # UTF-8 bytes, declared windows-1251 in header and meta
REDIRECT_LOOP = "redirect-loop"  # /slug/ -> /slug/?loop=1 -> /slug/ ...
TRANSIENT = "transient"
SLOW = "slow"

# what the truth file says about an article hit by the fault
TRUTH_EXPECTATION = {
    MISSING: "excluded",
    REDIRECT_LOOP: "excluded",
    TRUNCATED: "may-differ",
    WRONG_CHARSET: "may-differ",
    BROKEN_MARKUP: "exact",
    TRANSIENT: "exact",
    SLOW: "exact",
}


@dataclass(frozen=True)
class FaultConfig:
    transient_rate: float = 0.05  # share of paths whose first attempt(s) fail
    slow_rate: float = 0.01  # share of paths answered after slow_min..slow_max seconds
    slow_min: float = 1.0
    slow_max: float = 2.0
    missing_rate: float = 0.005  # share of articles answering 404 (at least one)
    truncated: int = 1
    broken_markup: int = 1
    wrong_charset: int = 1
    redirect_loops: int = 1


class Faults:
    """The faults of one mirror; `enabled=False` gives a mirror without any."""

    def __init__(self, site: MirrorSite, config: FaultConfig | None = None, *, enabled: bool = True) -> None:
        self.seed = site.seed
        self.config = config or FaultConfig()
        self.enabled = enabled
        self.attempts: Counter[str] = Counter()
        self.article_faults: dict[str, str] = {}  # article path ("slug/", "kz/slug/") -> kind
        if enabled:
            self._draw_articles(site)

    def _draw_articles(self, site: MirrorSite) -> None:
        config = self.config
        wanted = [(MISSING, max(1, round(site.size * config.missing_rate)))] if config.missing_rate > 0 else []
        wanted += [
            (TRUNCATED, config.truncated),
            (BROKEN_MARKUP, config.broken_markup),
            (WRONG_CHARSET, config.wrong_charset),
            (REDIRECT_LOOP, config.redirect_loops),
        ]
        total = min(site.size, sum(count for _, count in wanted))
        chosen = iter(random.Random(f"{self.seed}:faults").sample(range(site.size), total))
        for kind, count in wanted:
            for index in islice(chosen, count):
                if not site.articles[index].deleted:  # a deleted article is a plain 404 (`changes`)
                    self.article_faults[site.articles[index].path] = kind

    def _unit(self, path: str, purpose: str) -> float:
        digest = hashlib.blake2b(f"{self.seed}:{purpose}:{path}".encode(), digest_size=8).digest()
        return int.from_bytes(digest, "big") / 2**64

    def transient(self, path: str) -> tuple[int, int] | None:
        """(status, failing attempts) when `path` fails transiently, else None."""
        if not self.enabled or self._unit(path, TRANSIENT) >= self.config.transient_rate:
            return None
        status = 503 if self._unit(path, "status") < 0.5 else 500
        return status, 1 if self._unit(path, "failures") < 0.7 else 2

    def delay(self, path: str) -> float:
        if not self.enabled or self._unit(path, SLOW) >= self.config.slow_rate:
            return 0.0
        low, high = self.config.slow_min, self.config.slow_max
        return round(low + (high - low) * self._unit(path, "delay"), 3)

    def failing_attempt(self, path: str) -> int | None:
        """Count an attempt at `path`; the status to fail it with, or None to answer normally."""
        if not self.enabled:
            return None
        self.attempts[path] += 1
        fault = self.transient(path)
        if fault and self.attempts[path] <= fault[1]:
            return fault[0]
        return None

    def article_fault(self, article_path: str) -> str | None:
        return self.article_faults.get(article_path)

    def plan(self, paths: Iterable[str], base: str) -> dict:
        """Every fault, for the `--fault-plan` file: per-article ones and those of `paths`."""
        entries: list[dict] = [
            {"kind": kind, "path": f"/{path}", "url": f"{base}{path}", "truth": TRUTH_EXPECTATION[kind]}
            for path, kind in sorted(self.article_faults.items(), key=lambda item: (item[1], item[0]))
        ]
        for path in paths:
            fault = self.transient(path)
            if fault:
                entries.append(
                    {"kind": TRANSIENT, "path": path, "status": fault[0], "failures": fault[1], "truth": "exact"}
                )
            delay = self.delay(path)
            if delay:
                entries.append({"kind": SLOW, "path": path, "delay": delay, "truth": "exact"})
        return {"seed": self.seed, "enabled": self.enabled, "config": asdict(self.config), "faults": entries}


# --- page transformations -------------------------------------------------------------------

# Where SmartMag's body container start tag ends (each theme names its own place:
# `themes.Theme.body_start`); in every theme the container ends at the next "\n</div>\n".
BODY_START = 'entry-content content-spacious">'


def truncate(document: str, body_start: str = BODY_START) -> str:
    """Cut the page in the middle of the article body, as a crashed PHP worker leaves it."""
    start = document.find(body_start)
    end = document.find("\n</div>\n", start)
    if start < 0 or end < 0:
        return document[: len(document) // 2]
    return document[: start + len(body_start) + (end - start) // 2]


_OPTIONAL_END = re.compile(r"</(?:p|li)>")


def break_markup(document: str, body_start: str = BODY_START) -> str:
    """Leave out optional end tags in the body and the article's own end tag."""
    start = document.find(body_start)
    end = document.find("\n</div>\n", start)
    if start < 0 or end < 0:
        return document
    body = _OPTIONAL_END.sub("", document[start:end])
    rest = document[end:].replace("</article>\n", "", 1)
    return document[:start] + body + rest


def declare_wrong_charset(document: str) -> str:
    return document.replace('<meta charset="UTF-8">', '<meta charset="windows-1251">', 1)
