"""Pure text, date, number and URL rules of the Article contract.

Every function here takes a plain value and returns a plain value (or None when the input
does not yield one): no I/O, no Scrapy. ItemLoader processors and the pipelines use these, so
each rule exists once in the crawler. The mirror's ground truth does NOT: its oracle
(`bmkz_crawler/mirror/oracle.py`) re-implements the contract on purpose, so a regression here
shows up as a truth mismatch.
"""

from __future__ import annotations

import hashlib
import html
import ipaddress
import re
import unicodedata
from collections.abc import Iterable
from datetime import UTC, date, datetime, time, timedelta
from functools import cache, lru_cache
from importlib import resources
from urllib.parse import urlsplit, urlunsplit
from zoneinfo import ZoneInfo

from w3lib.url import canonicalize_url as w3lib_canonicalize_url
from w3lib.url import url_query_cleaner

# --- text -------------------------------------------------------------------------------

_INVISIBLE_CHARS = "\u00ad\u200b\u200c\u200d\u2060\ufeff\u180e"
# Control characters (C0 but tab, newline and carriage return, which are spaces here; DEL):
# a NUL from a page's JSON-LD must not reach a feed, nor hide a formula from CSV neutralizing.
_CONTROL_CHARS = "".join(map(chr, [*range(0x00, 0x09), 0x0B, 0x0C, *range(0x0E, 0x20), 0x7F]))
_INVISIBLE = dict.fromkeys(map(ord, _INVISIBLE_CHARS + _CONTROL_CHARS), None)
# str.translate walks a non-ASCII string in Python-level steps; a regex scan is several times
# faster and finds nothing on almost every text, so translate runs only when there is work.
_HAS_INVISIBLE = re.compile("[" + re.escape(_INVISIBLE_CHARS + _CONTROL_CHARS) + "]")
_ANY_SPACE = re.compile(r"\s+")
_ENTITY = re.compile(r"&(#\d+|#[xX][0-9a-fA-F]+|[A-Za-z][A-Za-z0-9]*);")


def normalize_text(value: str | None) -> str | None:
    """The schema's normalization: NFC, entities decoded, one plain space, no invisibles and
    no control characters.

    Returns None for None or for text that is empty after normalization, so that an
    ItemLoader treats it as "no value" and the next source is tried.
    """
    if value is None:
        return None
    text = str(value)
    if "&" in text and _ENTITY.search(text):
        text = html.unescape(text)
    if _HAS_INVISIBLE.search(text):
        text = text.translate(_INVISIBLE)
    # NFC after the removals: a soft hyphen between a letter and its combining mark would
    # otherwise leave the pair uncomposed.
    text = unicodedata.normalize("NFC", text)
    text = _ANY_SPACE.sub(" ", text).strip()
    return text or None


def join_blocks(blocks: list[str]) -> str:
    """Body text: blocks in order, separated by one blank line."""
    return "\n\n".join(blocks)


def normalize_body(value: str | None) -> str | None:
    """Re-normalize an assembled body: each block normalized, empty blocks dropped."""
    if value is None:
        return None
    blocks = [b for b in (normalize_text(part) for part in re.split(r"\n\s*\n", str(value))) if b]
    return join_blocks(blocks) or None


_WORD = re.compile(r"[^\W_]+(?:[-‐'’][^\W_]+)*")


def count_words(body: str | None) -> int:
    """Words in the body: runs of letters/digits, a hyphenated or apostrophed run is one word."""
    return len(_WORD.findall(body or ""))


def content_hash(title: str | None, body: str | None) -> str:
    """Hex SHA-256 of the normalized title and body: the same text hashes the same anywhere."""
    text = f"{normalize_text(title) or ''}\n{normalize_body(body) or ''}"
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def strip_site_suffix(title: str | None, site_name: str | None = "BM.KZ") -> str | None:
    """Drop a trailing " - BM.KZ" (any dash or bar separator) that SEO titles carry."""
    title = normalize_text(title)
    if not title or not site_name:
        return title
    pattern = re.compile(rf"\s*[-–—|:•·»]\s*{re.escape(site_name)}\s*$", re.IGNORECASE)
    stripped = pattern.sub("", title)
    return stripped or title


# --- numbers ----------------------------------------------------------------------------

_VIEWS = re.compile(r"(\d[\d\s\u00a0\u202f\u2009.,']*)")


def parse_views(value: str | int | None) -> int | None:
    """A view count as printed (`4 518 просмотра`, `1 204 рет қаралды`, `12K`) -> int."""
    if value is None:
        return None
    if isinstance(value, int):
        return value if value >= 0 else None
    text = normalize_text(value)
    if not text:
        return None
    match = _VIEWS.search(text)
    if not match:
        return None
    digits = re.sub(r"\D", "", match.group(1))
    if not digits:
        return None
    number = int(digits)
    suffix = text[match.end() :].strip()[:1].lower()
    if suffix in {"k", "к", "т"} and len(digits) <= 3:  # 12K / 12 тыс.
        number *= 1000
    return number


def to_int(value: str | int | None) -> int | None:
    """A positive integer from a string of digits, else None."""
    if value is None:
        return None
    try:
        number = int(str(value).strip())
    except ValueError:
        return None
    return number if number > 0 else None


# --- dates ------------------------------------------------------------------------------


@cache
def almaty() -> ZoneInfo:
    """Asia/Almaty from the tzdata package, not the OS: an old system database would not
    know that Kazakhstan moved from UTC+6 to UTC+5 on 2024-03-01."""
    try:
        with resources.files("tzdata.zoneinfo").joinpath("Asia/Almaty").open("rb") as tzfile:
            return ZoneInfo.from_file(tzfile, key="Asia/Almaty")
    except (ModuleNotFoundError, FileNotFoundError):  # pragma: no cover - tzdata is a dependency
        return ZoneInfo("Asia/Almaty")


RU_MONTHS = {
    "января": 1, "февраля": 2, "марта": 3, "апреля": 4, "мая": 5, "июня": 6,
    "июля": 7, "августа": 8, "сентября": 9, "октября": 10, "ноября": 11, "декабря": 12,
}  # fmt: skip
KK_MONTHS = {
    "қаңтар": 1, "ақпан": 2, "наурыз": 3, "сәуір": 4, "мамыр": 5, "маусым": 6,
    "шілде": 7, "тамыз": 8, "қыркүйек": 9, "қазан": 10, "қараша": 11, "желтоқсан": 12,
}  # fmt: skip


def month_number(word: str) -> int | None:
    """Month from a Russian genitive or a Kazakh name, Kazakh case suffixes allowed."""
    word = word.lower().strip(".")
    if word in RU_MONTHS:
        return RU_MONTHS[word]
    for name, number in KK_MONTHS.items():
        if word.startswith(name):  # қарашада, қазанның, ...
            return number
    return None


_PRINTED_DATE = re.compile(
    r"(?P<day>\d{1,2})\s+(?P<month>[^\W\d_]+)\.?,?\s+(?P<year>\d{4})(?:\s*(?:ж\.|г\.|года|жылы)?)?"
    r"(?:[,\s]*(?:в\s+)?(?P<hour>\d{1,2}):(?P<minute>\d{2})(?::(?P<second>\d{2}))?)?"
)
_NUMERIC_DATE = re.compile(
    r"(?P<day>\d{1,2})\.(?P<month>\d{1,2})\.(?P<year>\d{4})"
    r"(?:[,\s]+(?P<hour>\d{1,2}):(?P<minute>\d{2})(?::(?P<second>\d{2}))?)?"
)
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?(?:Z|[+-]\d{2}:?\d{2})?$")


def parse_iso_datetime(value: str | None) -> tuple[datetime, bool] | None:
    """ISO 8601 -> (aware datetime, has_seconds). A naive value is Almaty local time."""
    text = normalize_text(value)
    if not text or not _ISO_DATE.match(text):
        return None
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    has_seconds = bool(re.search(r"\d{2}:\d{2}:\d{2}", text))
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=almaty())
    return parsed, has_seconds


def parse_printed_date(value: str | None) -> tuple[datetime, bool] | None:
    """`7 ноября, 2025`, `12 қараша, 2025`, `07.11.2025 10:15` -> (Almaty datetime, has_seconds)."""
    text = normalize_text(value)
    if not text:
        return None
    match = _PRINTED_DATE.search(text)
    month = month_number(match["month"]) if match else None
    if match is None or month is None:
        match = _NUMERIC_DATE.search(text)
        if match is None:
            return None
        month = int(match["month"])
    try:
        day = date(int(match["year"]), month, int(match["day"]))
        clock = time(int(match["hour"] or 0), int(match["minute"] or 0), int(match["second"] or 0))
    except ValueError:
        return None
    return datetime.combine(day, clock, tzinfo=almaty()), match["second"] is not None


def format_almaty(moment: datetime, *, seconds: bool = True) -> str:
    """The instant in the offset Asia/Almaty had at that moment (+06:00 before 2024-03-01)."""
    local = moment.astimezone(almaty())
    return local.isoformat(timespec="seconds" if seconds else "minutes")


def to_almaty_iso(value: str | None) -> str | None:
    """Any page date (ISO 8601 in any offset, or printed) -> ISO 8601 in the Almaty offset."""
    parsed = parse_iso_datetime(value) or parse_printed_date(value)
    if parsed is None:
        return None
    moment, has_seconds = parsed
    return format_almaty(moment, seconds=has_seconds)


def utc_now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def parse_instant(value: str | None) -> datetime | None:
    """An ISO 8601 value (a stored or exported date, an item's `published_at`) -> aware datetime."""
    parsed = parse_iso_datetime(value)
    return parsed[0] if parsed else None


def parse_feed_date(value: str | None) -> datetime | None:
    """A sitemap `lastmod`, an RSS `pubDate` or an ISO value -> aware datetime."""
    text = normalize_text(value)
    if not text:
        return None
    iso = parse_iso_datetime(text)
    if iso:
        return iso[0]
    from email.utils import parsedate_to_datetime

    try:
        parsed = parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def parse_cli_date(value: str) -> datetime:
    """A `since`/`until` argument: `2025-11-07` (Almaty midnight) or a full ISO 8601 time."""
    parsed = parse_iso_datetime(value)
    if parsed is None:
        raise ValueError(f"not a date: {value!r} (expected YYYY-MM-DD or ISO 8601)")
    return parsed[0]


def day_end(moment: datetime) -> datetime:
    """The last instant of a date-only bound: `until=2025-11-07` includes that whole day."""
    return moment + timedelta(days=1) - timedelta(microseconds=1)


# --- language and dateline ----------------------------------------------------------------


def language_code(value: str | None) -> str | None:
    """`ru-RU`, `ru_RU`, `kk-KZ`, `kk`, `kz` -> `ru` / `kk`; anything else -> None."""
    text = (normalize_text(value) or "").lower().replace("_", "-")
    primary = text.split("-", 1)[0]
    if primary in {"ru", "rus"}:
        return "ru"
    if primary in {"kk", "kz", "kaz", "qaz"}:
        return "kk"
    return None


_DATELINE = re.compile(
    r"^(?P<city>[^\W\d_][^\W\d_\s.,:;–—-]*(?:[\s-][^\W\d_][^\W\d_\s.,:;–—-]*){0,3})\s*[.,]\s*"
    r"(?P<day>\d{1,2})\s+(?P<month>[^\W\d_]+)\.?\s*(?:\d{4}\s*(?:г\.|ж\.)?\s*)?[.,]?\s*"
    r"(?P<agency>BM\.KZ)?\s*(?P<dash>[–—-])?"
)


def dateline_city(paragraph: str | None) -> str | None:
    """`Астана. 7 ноября. BM.KZ – ...` -> `Астана` (the dateline stays in the body)."""
    text = normalize_text(paragraph)
    if not text:
        return None
    match = _DATELINE.match(text)
    if not match or month_number(match["month"]) is None:
        return None
    if not (match["agency"] or match["dash"]):
        return None
    return match["city"]


# --- URLs -------------------------------------------------------------------------------

TRACKING_PARAMETERS = ("fbclid", "gclid", "yclid", "_ga", "mc_cid", "mc_eid")


_AMP_SUFFIX = re.compile(r"/amp/?$")


def amp_original(url: str) -> str:
    """The original of an AMP copy (`/slug/amp/` -> `/slug/`); any other URL unchanged. The one /amp/ rule."""
    parts = urlsplit(url)
    if not _AMP_SUFFIX.search(parts.path):
        return url
    return urlunsplit((parts.scheme, parts.netloc, _AMP_SUFFIX.sub("/", parts.path), parts.query, parts.fragment))


def canonicalize_url(url: str | None) -> str | None:
    """Absolute URL without fragment and tracking parameters (`utm_*`, `fbclid`, ...).

    Other query parameters are kept in their order: `?p=123` is meaningful on WordPress.
    """
    if not url:
        return None
    url = url.strip()
    parts = urlsplit(url)
    if parts.scheme not in {"http", "https"} or not parts.netloc:
        return None
    if parts.query:
        params = [p.split("=", 1)[0] for p in parts.query.split("&") if p]
        tracking = [p for p in params if p.lower().startswith("utm_") or p.lower() in TRACKING_PARAMETERS]
        if tracking:
            url = url_query_cleaner(url, tracking, remove=True, unique=False, keep_fragments=True)
            parts = urlsplit(url)
    path = parts.path or "/"
    return urlunsplit((parts.scheme.lower(), parts.netloc.lower(), path, parts.query, ""))


def request_fingerprint_url(url: str) -> str:
    """A stricter key for "same page" checks: also sorts the query (w3lib's canonical form)."""
    return w3lib_canonicalize_url(canonicalize_url(url) or url)


DEFAULT_PORTS = {"http": 80, "https": 443}


@lru_cache(maxsize=8192)  # the same homes and links are asked about again and again
def site_origin(url: str | None) -> tuple[str, str, int | None] | None:
    """(scheme, host without `www.`, port or None for the scheme's default), None if not http(s)."""
    if not url:
        return None
    parts = urlsplit(url.strip())
    if parts.scheme not in DEFAULT_PORTS:
        return None
    try:
        port = parts.port
    except ValueError:
        return None
    host = (parts.hostname or "").rstrip(".").removeprefix("www.")
    if not host:
        return None
    return parts.scheme, host, None if port in (None, DEFAULT_PORTS[parts.scheme]) else port


@lru_cache(maxsize=256)
def _is_ip_address(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def same_site(url: str | None, site: str | None) -> bool:
    """`url` is on the site whose home is `site`: the one origin rule.

    The same host (`www.` an alias) or a subdomain of it on a dot boundary (kz.bm.kz is on
    bm.kz; bm.kz is not on kz.bm.kz, `kz` is not on bm.kz, and an IP address has no
    subdomains), and the same port (a scheme's default port counts as none, so `http://bm.kz/`
    and `https://bm.kz/` are one site: see `on_site` for the upgrade).
    """
    a, b = site_origin(url), site_origin(site)
    if a is None or b is None or a[2] != b[2]:
        return False
    return a[1] == b[1] or (not _is_ip_address(b[1]) and a[1].endswith("." + b[1]))


def on_site(url: str | None, homes: Iterable[str]) -> str | None:
    """`url` as the site is fetched, or None when it is off every home's site.

    A same-host `http` URL of an `https` site is upgraded to `https`, not refused.
    """
    origin = site_origin(url)
    if origin is None or url is None:
        return None
    for home in homes:
        if same_site(url, home):
            return _in_homes_form(url.strip(), home)
    return None


def _in_homes_form(url: str, home: str) -> str:
    """The URL with the home's scheme (http upgraded on an https site) and its `www.` form of the
    same host, so `http://bm.kz/a/`, `https://www.bm.kz/a/` and `https://bm.kz/a/` are one URL."""
    parts, home_parts = urlsplit(url), urlsplit(home)
    scheme, netloc = parts.scheme, parts.netloc
    if scheme == "http" and home_parts.scheme == "https" and site_origin(url)[2] is None:  # type: ignore[index]
        scheme, netloc = "https", netloc.removesuffix(":80")
    host, home_host = (parts.hostname or "").rstrip("."), (home_parts.hostname or "").rstrip(".")
    if host != home_host and host.removeprefix("www.") == home_host.removeprefix("www."):
        netloc = netloc.replace(parts.hostname or "", home_parts.hostname or "", 1)
    if (scheme, netloc) == (parts.scheme, parts.netloc):
        return url
    return urlunsplit((scheme, netloc, parts.path, parts.query, parts.fragment))
