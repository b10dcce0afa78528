"""HTTP validators of the machine endpoints (feeds, sitemaps, robots.txt), as nginx in front
of WordPress gives them: an `ETag` and a `Last-Modified` on every answer, and `304 Not Modified`
without a body when the request's validators show the client already holds this version.

The entity tag is a hash of the body, so it changes exactly when the bytes do. Last-Modified
is the newest date the resource lists, which is why a conditional request may be answered 200
with the same body (an older article was edited) but never 304 after a new article appeared.
The rules are RFC 9110's (13.1.2, 13.1.3, 13.2.2): If-None-Match wins over If-Modified-Since.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from datetime import UTC, datetime
from email.utils import format_datetime, parsedate_to_datetime


def entity_tag(body: bytes) -> str:
    """A strong entity tag: the quoted start of the body's BLAKE2b hash."""
    return '"' + hashlib.blake2b(body, digest_size=8).hexdigest() + '"'


def http_date(timestamp: int) -> str:
    """`Fri, 07 Nov 2025 10:15:00 GMT` (IMF-fixdate)."""
    return format_datetime(datetime.fromtimestamp(timestamp, UTC), usegmt=True)


def not_modified(etag: str, last_modified: int, request_headers: Mapping[str, str]) -> bool:
    """True when a GET or HEAD with these (lower-cased) headers is to be answered 304."""
    if_none_match = request_headers.get("if-none-match")
    if if_none_match is not None:
        return _matches(etag, if_none_match)
    since = _parse_http_date(request_headers.get("if-modified-since"))
    return since is not None and last_modified <= since


def _matches(etag: str, if_none_match: str) -> bool:
    """Weak comparison of `etag` with a list of tags or `*` (RFC 9110 8.8.3.2)."""
    if if_none_match.strip() == "*":
        return True
    opaque = etag.removeprefix("W/")
    return any(tag.strip().removeprefix("W/") == opaque for tag in if_none_match.split(","))


def _parse_http_date(value: str | None) -> int | None:
    """Unix seconds of an HTTP-date; None for a missing or invalid one (which is ignored)."""
    if not value:
        return None
    try:
        parsed = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if parsed.tzinfo is None:  # "-0000" or no zone: HTTP dates are GMT
        parsed = parsed.replace(tzinfo=UTC)
    return int(parsed.timestamp())
