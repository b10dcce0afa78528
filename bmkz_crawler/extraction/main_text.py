"""The last layer for the body: trafilatura's main-text extraction, on pages nothing else read.

trafilatura is the field's most accurate generic extractor (see the bench's real-pages part).
It runs only when the site profile, structured data and the generic main-block rule found no
body, so BM.KZ pages never pay for it. Its text comes back as lines; each line is a block.
"""

from __future__ import annotations

import logging

logger = logging.getLogger(__name__)


def main_text_blocks(html: str, url: str) -> list[str] | None:
    """The page's main text as blocks, or None when trafilatura finds none."""
    import trafilatura  # imported on first use: a second of start-up the profile path never needs

    # trafilatura logs every page it finds little in; the extractor counts that itself.
    logging.getLogger("trafilatura").setLevel(logging.ERROR)
    text = trafilatura.extract(
        html, url=url, include_comments=False, include_tables=True, favor_precision=False, deduplicate=False
    )
    if not text:
        return None
    return [line for line in text.splitlines() if line.strip()]
