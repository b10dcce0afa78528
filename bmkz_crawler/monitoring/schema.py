"""The Article contract as a JSON Schema (article.schema.json), for spidermon's item validation.

The schema mirrors /work/shared/article-schema.md (README "Article fields"): required fields,
types, ISO 8601 dates with their offset, `language` ru|kk, absolute http(s) URLs, a SHA-256
`content_hash`. Spidermon's ItemValidationPipeline checks every item against it after cleaning
and counts each error per field (`spidermon/validation/fields/errors/<message>/<field>`); items
are never changed (SPIDERMON_VALIDATION_ADD_ERRORS_TO_ITEMS would add a field to our dataclass).
"""

from __future__ import annotations

import json
from importlib import resources
from typing import Any

# Read as package data, so that it is found in a scrapyd egg too (a zip, where no path opens).
ARTICLE_SCHEMA: dict[str, Any] = json.loads(
    resources.files(__package__).joinpath("article.schema.json").read_text(encoding="utf-8")
)
# What SPIDERMON_VALIDATION_SCHEMAS names: spidermon loads a dotted path to a dict as the schema.
ARTICLE_SCHEMA_OBJECT = f"{__name__}.ARTICLE_SCHEMA"


def article_schema() -> dict[str, Any]:
    return ARTICLE_SCHEMA


def schema_required_fields() -> tuple[str, ...]:
    """Fields every exported article has (a required field below 100% coverage fails a run)."""
    return tuple(article_schema()["required"])
