"""Smoke test of `python -m bmkz_crawler.bench`: every figure is measured and written, at a tiny scale.

No timing is asserted: figures from a loaded test machine mean nothing. The real run is
`python -m bmkz_crawler.bench --json bench.json` (README, "Performance").
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bmkz_crawler.bench import runner

pytest.importorskip("trafilatura", reason="the bench extra is not installed: pip install -e '.[bench]'")

TINY = runner.Scale(
    big_crawl=30, small_crawl=20, extraction_pages=10, incremental_n=20, incremental_k=5, mirror_seconds=0.3
)


def test_bench_measures_all_five_figures_and_writes_them_as_json(tmp_path: Path) -> None:
    results = runner.run(TINY, tmp_path / "work", log=lambda message: None)
    path = tmp_path / "bench.json"
    path.write_text(json.dumps(results), encoding="utf-8")
    figures = json.loads(path.read_text(encoding="utf-8"))

    assert figures["throughput"]["news_pages_per_second"] > 0
    # The same URLs, each once: robots.txt too, now that the spider reads its Sitemap lines from
    # the fetch Scrapy's robots middleware makes.
    assert figures["throughput"]["pages"] == figures["throughput"]["fetch_only_pages"]
    assert figures["extraction"]["pages"] == TINY.extraction_pages
    assert figures["extraction"]["ours_accuracy"]["title_exact"] == 1.0
    assert set(figures["extraction"]["trafilatura_accuracy"]) == set(figures["extraction"]["ours_accuracy"])
    assert figures["extraction_newsroom"]["pages"] == TINY.extraction_pages
    assert figures["extraction_newsroom"]["ours_accuracy"]["title_exact"] == 1.0
    assert figures["memory"]["big_peak_rss_mb"] > 0 and figures["memory"]["small_peak_rss_mb"] > 0
    assert figures["incremental"]["new_articles"] == TINY.incremental_k
    assert figures["incremental"]["articles_fetched_twice"] == 0
    assert figures["incremental"]["unchanged_requests"] <= 6
    assert figures["incremental"]["burst_delivered"] == figures["incremental"]["burst_wanted"] > 0
    assert figures["mirror"]["pages_per_second"] > 0
    assert set(figures["goals"]) == {
        "throughput_ratio",
        "extraction_speedup",
        "peak_rss",
        "rss_growth",
        "requests_per_new_article",
        "unchanged_requests",
        "small_requests",
        "burst_delivered",
        "no_article_fetched_twice",
    }
    table = runner.table(figures)
    for number in "12345":
        assert f"\n{number} " in table
    assert "\n2n newsroom body token F1" in table
