"""The Article contract as a JSON Schema (article.schema.json), for spidermon's item validation.

The schema mirrors /work/shared/article-schema.md (README "Article fields"): required fields,
types, ISO 8601 dates with their offset, `language` ru|kk, absolute http(s) URLs, a SHA-256
`content_hash`. Spidermon's ItemValidationPipeline checks every item against it after cleaning
and counts each error per field (`spidermon/validation/fields/errors/<message>/<field>`); items
are never changed (SPIDERMON_VALIDATION_ADD_ERRORS_TO_ITEMS would add a field to our dataclass).
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

ARTICLE_SCHEMA_PATH = Path(__file__).with_name("article.schema.json")


@cache
def article_schema() -> dict[str, Any]:
    schema: dict[str, Any] = json.loads(ARTICLE_SCHEMA_PATH.read_text(encoding="utf-8"))
    return schema


def schema_required_fields() -> tuple[str, ...]:
    """Fields every exported article has (a required field below 100% coverage fails a run)."""
    return tuple(article_schema()["required"])
