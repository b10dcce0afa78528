"""The Article contract as a JSON Schema (article.schema.json), checked on every item.

The schema mirrors the README's "Article fields": required fields, types, ISO 8601 dates with
their offset, `language` ru|kk, absolute http(s) URLs, a SHA-256 `content_hash`.
`ArticleSchemaPipeline` checks every cleaned item against it with spidermon's
JSONSchemaValidator and counts each error per field under spidermon's stats keys
(`spidermon/validation/fields/errors/<message>/<field>`). It is spidermon's ItemValidationPipeline
made thin for a 0.2 ms budget per item: the jsonschema validator is built once (spidermon's
builds one per item), the item is read as a shallow dict of the contract's fields, and the
per-item counters are precomputed keys instead of slugified names. Items are never changed or
dropped (spidermon's errors field would need a field our Article dataclass lacks).
"""

from __future__ import annotations

import json
from importlib import resources
from typing import Any, Self

from itemadapter import ItemAdapter
from jsonschema.protocols import Validator as JSONSchemaProtocol
from jsonschema.validators import validator_for
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from spidermon.contrib.scrapy.stats import ValidationStatsManager
from spidermon.contrib.validation import JSONSchemaValidator
from spidermon.contrib.validation.jsonschema.validator import REQUIRED_RE

from bmkz_crawler.items import ARTICLE_FIELDS, Article

# Read as package data, so that it is found in a scrapyd egg too (a zip, where no path opens).
ARTICLE_SCHEMA: dict[str, Any] = json.loads(
    resources.files(__package__).joinpath("article.schema.json").read_text(encoding="utf-8")
)
ITEMS_VALIDATED = "spidermon/validation/items"
FIELDS_VALIDATED = "spidermon/validation/fields"


def article_schema() -> dict[str, Any]:
    return ARTICLE_SCHEMA


def schema_required_fields() -> tuple[str, ...]:
    """Fields every exported article has (a required field below 100% coverage fails a run)."""
    return tuple(ARTICLE_SCHEMA["required"])


class PrebuiltJSONSchemaValidator(JSONSchemaValidator):
    """spidermon's JSONSchemaValidator (same error paths and translated messages), its jsonschema
    validator built once; a valid item costs one pass, an invalid one a second that lists errors."""

    def __init__(self, schema: dict[str, Any]) -> None:
        super().__init__(schema)
        self._validator: JSONSchemaProtocol = validator_for(schema)(schema)

    def _validate(self, data: Any, strict: bool = False) -> None:
        if self._validator.is_valid(data):
            return
        for error in self._validator.iter_errors(data):
            path = [str(part) for part in error.absolute_path]
            required = REQUIRED_RE.search(error.message)
            if required:
                path.append(required.group(1))
            self._add_errors({".".join(path): [error.message]})


class ArticleSchemaPipeline:
    """Checks each item against the Article schema and counts its errors per field."""

    def __init__(self, validation_stats: ValidationStatsManager) -> None:
        self.validation_stats = validation_stats
        self.stats = validation_stats.stats
        self.validator = PrebuiltJSONSchemaValidator(ARTICLE_SCHEMA)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        if not crawler.settings.getbool("SPIDERMON_ENABLED"):
            raise NotConfigured("SPIDERMON_ENABLED is off")
        assert crawler.stats is not None
        return cls(ValidationStatsManager(crawler.stats))

    def process_item(self, item: Any) -> Any:
        if isinstance(item, Article):
            values = {name: getattr(item, name) for name in ARTICLE_FIELDS}
        else:
            values = ItemAdapter(item).asdict()
        self.stats.inc_value(ITEMS_VALIDATED)
        self.stats.inc_value(FIELDS_VALIDATED, len(values))
        valid, errors = self.validator.validate(values)
        if not valid:
            for field_name, messages in errors.items():
                for message in messages:
                    self.validation_stats.add_field_error(field_name, message)
            self.validation_stats.add_item_with_errors()
        return item
