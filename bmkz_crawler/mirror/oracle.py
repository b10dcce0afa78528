"""The mirror's own reading of the Article contract (../shared/article-schema.md).

This module re-implements the contract's text normalization, word count, content hash and
Asia/Almaty date format ON PURPOSE, independently of `bmkz_crawler.processors`. The mirror's
truth is the oracle the crawler is graded against; if it were computed with the crawler's own
processors, a regression there would change the truth in the same way and pass unseen. Two
implementations written from the contract text must agree instead
(tests/test_oracle.py checks both that they do, and that no mirror module imports the
crawler's processors or extraction).

Do not merge this back into `bmkz_crawler.processors`, and do not import from there: the
duplication is the point. Keep it small and literal, closer to the contract's wording than to
the crawler's fast paths.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from datetime import datetime
from functools import cache
from html import unescape
from importlib import resources
from zoneinfo import ZoneInfo

# "soft hyphens and zero-width characters removed"
SOFT_HYPHEN = "\u00ad"
ZERO_WIDTH = (
    "\u200b"  # ZERO WIDTH SPACE
    "\u200c"  # ZERO WIDTH NON-JOINER
    "\u200d"  # ZERO WIDTH JOINER
    "\u2060"  # WORD JOINER
    "\ufeff"  # ZERO WIDTH NO-BREAK SPACE (a byte order mark inside text)
    "\u180e"  # MONGOLIAN VOWEL SEPARATOR (a zero-width space until Unicode 6.3)
)
# C0 control characters and DEL are removed too; tab, line feed and carriage return are
# white space and become a plain space like any other.
CONTROLS = "".join(chr(code) for code in (*range(0x20), 0x7F) if chr(code) not in "\t\n\r")
REMOVED = dict.fromkeys(map(ord, SOFT_HYPHEN + ZERO_WIDTH + CONTROLS))  # a str.translate table

# "HTML entities decoded": one complete reference at a time (named, decimal or hexadecimal)
ENTITY_REFERENCE = re.compile(r"&(?:[A-Za-z][A-Za-z0-9]*|#[0-9]+|#[xX][0-9A-Fa-f]+);")

BLOCK_SEPARATOR = "\n\n"  # "separated by one blank line"
# a hyphen or apostrophe with a letter or digit on both sides is inside one word
INNER_JOINER = re.compile("(?<=[^\\W_])[-\u2010'\u2019](?=[^\\W_])")
LETTERS_AND_DIGITS = re.compile(r"[^\W_]+")


def contract_text(value: str | None) -> str | None:
    """One line of contract text: entities decoded, invisibles and controls removed, every
    space separator a plain space, runs collapsed, ends stripped, Unicode NFC.

    None for None and for text with nothing left, as the contract's "no value".
    """
    if value is None:
        return None
    text = ENTITY_REFERENCE.sub(lambda reference: unescape(reference.group(0)), value)
    text = text.translate(REMOVED)
    # NFC after the removal: a zero-width joiner may have kept a letter from its accent
    text = unicodedata.normalize("NFC", text)
    # str.split() splits at every white space character (every Unicode space separator,
    # no-break ones included, tab and line breaks) and drops the empty pieces
    text = " ".join(text.split())
    return text or None


def contract_body(blocks: list[str]) -> str:
    """The body from its blocks (paragraphs, headings, items, quotes, captions) in order: each
    one line of contract text, empty ones left out, separated by one blank line."""
    lines = [contract_text(block) for block in blocks]
    return BLOCK_SEPARATOR.join(line for line in lines if line)


def words_in(body: str) -> int:
    """Words: runs of letters and digits; a hyphen or apostrophe between two such runs joins
    them into one word (`Алматы-2025`, `қазақ'тың`); an underscore is no letter."""
    return len(LETTERS_AND_DIGITS.findall(INNER_JOINER.sub("", body)))


def text_hash(title: str, body: str) -> str:
    """Hex SHA-256 of the normalized title, a line feed, the normalized body (UTF-8)."""
    return hashlib.sha256(f"{title}\n{body}".encode()).hexdigest()


@cache
def almaty_zone() -> ZoneInfo:
    """Asia/Almaty as the `tzdata` package states it, never the OS database: an older system
    would not know that Kazakhstan went from UTC+6 to UTC+5 on 2024-03-01."""
    with resources.files("tzdata.zoneinfo").joinpath("Asia", "Almaty").open("rb") as zone_file:
        return ZoneInfo.from_file(zone_file, key="Asia/Almaty")


def almaty_time(timestamp: int) -> datetime:
    """Unix seconds as a wall-clock time in Almaty, with the offset in force then."""
    return datetime.fromtimestamp(timestamp, almaty_zone())


def almaty_iso(timestamp: int) -> str:
    """`2025-11-07T10:15:00+05:00`: ISO 8601 to the second, in the offset in force then."""
    return almaty_time(timestamp).isoformat(timespec="seconds")
