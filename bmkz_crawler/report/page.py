"""The report's HTML page: a header with the verdicts, then the charts, in one self-contained file.

No script, no stylesheet or font link, no image URL: the charts are inline SVG and the style is
in the page, so the file opens from a mail attachment or a disk with no network.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from html import escape
from typing import Any

from bmkz_crawler.report.charts import Chart, format_time
from bmkz_crawler.report.history import Period, failed_monitor_counts, number, parse_time

STYLE = """
body { font-family: "DejaVu Sans", Arial, Helvetica, sans-serif; margin: 0 auto; max-width: 980px;
       padding: 16px 24px; color: #222; background: #fff; }
h1 { font-size: 22px; margin: 0 0 4px; }
h2 { font-size: 17px; margin: 28px 0 2px; }
p.period { color: #555; margin: 0 0 12px; }
.cards { display: flex; gap: 12px; flex-wrap: wrap; margin: 8px 0 8px; }
.card { border: 1px solid #ddd; border-radius: 6px; padding: 8px 14px; min-width: 120px; }
.card b { display: block; font-size: 22px; }
.ok { color: #1e8449; } .failed { color: #c0392b; }
ul.failures { margin: 4px 0 0 18px; padding: 0; } ul.failures li { margin: 2px 0; }
p.guide { color: #555; margin: 2px 0 6px; font-size: 14px; }
figure.chart { margin: 0; }
svg.chart-svg { width: 100%; height: auto; display: block; }
table { border-collapse: collapse; font-size: 14px; } td, th { padding: 2px 10px 2px 0; text-align: left; }
nav a { margin-right: 12px; font-size: 14px; }
"""


def _card(label: str, value: str, css: str = "") -> str:
    return f'<div class="card">{escape(label)}<b class="{css}">{escape(value)}</b></div>'


def _last_run(run: Mapping[str, Any]) -> str:
    verdict = str(run.get("verdict", "?"))
    css = "ok" if verdict == "ok" else "failed"
    when = format_time(parse_time(str(run["started_at"])))
    failures = [str(line) for line in run.get("failures") or ()] or [
        str(name) for name in run.get("failed_monitors") or ()
    ]
    items = "".join(f"<li>{escape(line)}</li>" for line in failures)
    listed = f'<ul class="failures">{items}</ul>' if failures else ""
    shown = f'<b class="{css}">{escape(verdict.upper())}</b>'
    return f'<div class="last-run">Last run {escape(when)}: {shown}{listed}</div>'


def _monitor_table(runs: Sequence[Mapping[str, Any]]) -> str:
    counts = failed_monitor_counts(runs)
    if not counts:
        return ""
    rows = "".join(f"<tr><td>{escape(name)}</td><td>{count}</td></tr>" for name, count in counts.most_common())
    return f"<h2>Failed monitors</h2><table><tr><th>monitor</th><th>runs failed</th></tr>{rows}</table>"


def render_page(runs: Sequence[Mapping[str, Any]], period: Period, charts: Sequence[Chart], *, title: str) -> str:
    """The whole HTML document for the period's runs (oldest first) and their charts."""
    failed = sum(1 for run in runs if run.get("verdict") != "ok")
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{escape(title)}</title><style>{STYLE}</style></head><body>",
        f"<h1>{escape(title)}</h1>",
        f'<p class="period">{escape(format_time(period.start))} — {escape(format_time(period.end))}'
        f" ({period.bucket_label} buckets)</p>",
    ]
    if not runs:
        parts.append('<p class="empty">No run recorded in this period: nothing to chart.</p></body></html>')
        return "\n".join(parts)
    exported = sum(number(run.get("exported")) for run in runs)
    parts.append(
        '<div class="cards">'
        + _card("runs", f"{len(runs):,}")
        + _card("failed runs", f"{failed:,}", "failed" if failed else "ok")
        + _card("articles exported", f"{exported:,}")
        + _card("requests", f"{sum(number(run.get('requests')) for run in runs):,}")
        + "</div>"
    )
    parts.append(_last_run(runs[-1]))
    parts.append("<nav>" + "".join(f'<a href="#{c.name}">{escape(c.title)}</a>' for c in charts) + "</nav>")
    for chart in charts:
        parts.append(
            f'<figure class="chart" id="{chart.name}"><h2>{escape(chart.title)}</h2>'
            f'<p class="guide">{escape(chart.guide)}</p>{chart.svg}</figure>'
        )
    parts.append(_monitor_table(runs))
    parts.append("</body></html>")
    return "\n".join(parts)
