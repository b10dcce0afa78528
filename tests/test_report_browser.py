"""The report as a person sees it: opened in a real headless Chromium (Debian's, driven by Playwright),
every chart drew, nothing went to the network, no console error; a full-page screenshot is kept."""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bmkz_crawler.report import write_report
from bmkz_crawler.report.charts import CHARTS
from bmkz_crawler.report.sample import sample_history

CHROMIUM = Path("/usr/bin/chromium")
NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)

# Per chart: its SVG's drawn size, and its plot elements: the shapes inside the axes with a box of
# nonzero width and height that are not the white background patches, the ticks, grid or legend.
DRAWN = """
() => [...document.querySelectorAll('figure.chart')].map(figure => {
  const svg = figure.querySelector('svg');
  const box = svg.getBoundingClientRect();
  const marks = [...svg.querySelectorAll('g[id*="-axes_"] path, g[id*="-axes_"] use')].filter(element => {
    if (element.closest('g[id*="tick_"], g[id*="-legend_"], g[id*="-text_"]')) return false;
    const style = getComputedStyle(element);
    const white = ['rgb(255, 255, 255)', 'none'];
    if (white.includes(style.fill) && white.includes(style.stroke)) return false;
    const b = element.getBBox();
    return b.width > 0 && b.height > 0;
  });
  return {name: figure.id, width: box.width, height: box.height, marks: marks.length,
          texts: svg.querySelectorAll('text').length};
})
"""


@pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian's chromium is not installed (.ci/run installs it)")
def test_report_renders_every_chart_in_chromium(tmp_path: Path) -> None:
    from playwright.sync_api import sync_playwright

    runs = sample_history(now=NOW, days=7, drift_at=NOW - timedelta(days=1), silent_section="Спорт")
    page_path = write_report(runs, tmp_path / "report.html", days=7, now=NOW)
    page_url = page_path.as_uri()
    console_errors: list[str] = []
    requested: list[str] = []
    args = ["--no-sandbox"] if os.geteuid() == 0 else []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=args)
        try:
            page = browser.new_page(viewport={"width": 1000, "height": 800})
            page.on("console", lambda message: message.type == "error" and console_errors.append(message.text))
            page.on("pageerror", lambda error: console_errors.append(str(error)))
            page.on("request", lambda request: requested.append(request.url))
            page.goto(page_url, wait_until="load")
            charts = page.evaluate(DRAWN)
            # Kept after the run (pytest's tmp_path goes after three runs): .test-artifacts/, or
            # BMKZ_TEST_ARTIFACTS; .ci/run names it at the end.
            artifacts = Path(os.environ.get("BMKZ_TEST_ARTIFACTS") or Path(__file__).parents[1] / ".test-artifacts")
            artifacts.mkdir(parents=True, exist_ok=True)
            screenshot = artifacts / "report-screenshot.png"
            page.screenshot(path=str(screenshot), full_page=True)
        finally:
            browser.close()
    print(f"report screenshot: {screenshot}")
    assert [chart["name"] for chart in charts] == [name for name, *_ in CHARTS]
    for chart in charts:
        assert chart["width"] > 500 and chart["height"] > 100, chart
        assert chart["marks"] >= 1 and chart["texts"] >= 3, chart  # a chart with no data draws no mark
    marks = {chart["name"]: chart["marks"] for chart in charts}
    assert marks["articles"] == 2 and marks["sections"] == 7  # two editions' lines; seven sections' bars
    assert console_errors == []
    assert requested == [page_url]
    assert screenshot.stat().st_size > 50_000
