"""Item pipelines, one job each, in the order ITEM_PIPELINES runs them:

CleanPipeline (100) → ValidatePipeline (200) → DedupePipeline (300) → Scrapy's feed exports,
with ExportMarkerPipeline (900) remembering what went out and marking it exported in the
state store once the feeds are stored.
"""

from __future__ import annotations

from bmkz_crawler.pipelines.clean import CleanPipeline
from bmkz_crawler.pipelines.dedupe import DedupePipeline
from bmkz_crawler.pipelines.export_marker import ExportMarkerPipeline
from bmkz_crawler.pipelines.validate import ValidatePipeline

__all__ = ["CleanPipeline", "DedupePipeline", "ExportMarkerPipeline", "ValidatePipeline"]
