"""The report's charts: matplotlib figures rendered to SVG text for inlining into one HTML page.

Each chart is its own `matplotlib.figure.Figure` on an Agg canvas (no pyplot, so no global
figure state leaks from one chart to the next). SVG settings that keep the page small and
readable: text stays text (`svg.fonttype = none`), no creation date (the same history gives
the same bytes), and every SVG id is prefixed with the chart's name so that ids of several
charts inlined in one page never collide.
"""

from __future__ import annotations

import io
import itertools
import math
import re
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

import matplotlib
from matplotlib import dates as mdates
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from bmkz_crawler.extraction.article import is_generic_source
from bmkz_crawler.items import ARTICLE_FIELDS
from bmkz_crawler.report.history import Series

SVG_RC = {
    "svg.fonttype": "none",
    "font.family": "sans-serif",
    "font.sans-serif": ["DejaVu Sans", "Arial", "Helvetica"],
    "font.size": 9,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "grid.alpha": 0.3,
    "path.simplify": True,
    "text.parse_math": False,  # section names come from the site: `$...$` in one is text, not maths
}
WIDTH = 9.0  # inches; the page scales the SVG to its column
FAILED_COLOR = "#d62728"
OK_COLOR = "#9aa5b1"
MISSING_COLOR = "#d9d9d9"
# Sources of a field: the site profile's and structured data's in cool colours, the generic
# layers' (the markup-changed signal) in warm ones, so drift shows as a panel turning orange.
KNOWN_SOURCE_COLORS = (
    "#1f4e79", "#2e86c1", "#76b7e5", "#1e8449", "#58d68d", "#a9dfbf", "#5b2c6f", "#a569bd", "#117a65", "#48c9b0",
)  # fmt: skip
GENERIC_SOURCE_COLORS = ("#e67e22", "#c0392b", "#f5b041", "#a04000")
MAX_SECTIONS = 15
MAX_LEGEND_SOURCES = 4
MAX_ERROR_KINDS = 7
MAX_FAILED_MARKERS = 400
_ID = re.compile(r'\bid="([^"]+)"')
_REF = re.compile(r'(url\(#|href="#)([^")]+)')
_METADATA = re.compile(r"\s*<metadata>.*?</metadata>", re.DOTALL)
_PATH_DATA = re.compile(r' d="([^"]*)"')
_DECIMALS = re.compile(r"-?\d+\.\d{2,}")


@dataclass(frozen=True)
class Chart:
    """One drawn chart: its anchor name, heading, one-paragraph reading guide and SVG text."""

    name: str
    title: str
    guide: str
    svg: str


def _figure(height: float, width: float = WIDTH, *, layout: str | None = "constrained") -> Figure:
    figure = Figure(figsize=(width, height), layout=layout)
    FigureCanvasAgg(figure)
    return figure


def to_svg(figure: Figure, name: str) -> str:
    """The figure as an `<svg>` element for inlining: no XML prolog, ids prefixed with `name`."""
    buffer = io.StringIO()
    figure.savefig(buffer, format="svg", metadata={"Date": None, "Creator": None})
    text = buffer.getvalue()
    text = text[text.index("<svg") :]
    text = _ID.sub(lambda match: f'id="{name}-{match.group(1)}"', text)
    text = _REF.sub(lambda match: f"{match.group(1)}{name}-{match.group(2)}", text)
    # Scale with the page: drop the fixed size in points, keep the viewBox.
    text = re.sub(r'<svg([^>]*?) width="[^"]*" height="[^"]*"', r'<svg\1 class="chart-svg"', text, count=1)
    text = _METADATA.sub("", text)
    return _PATH_DATA.sub(lambda match: f' d="{_short_path(match.group(1))}"', text)


def _short_path(data: str) -> str:
    """Path data at a tenth of a point (the page shows the chart at about one point per pixel)."""
    data = _DECIMALS.sub(lambda match: f"{float(match.group(0)):.1f}".removesuffix(".0"), data)
    return " ".join(data.split())


def _time_axis(axes: Axes, series: Series) -> None:
    axes.set_xlim(series.period.start, series.period.end)
    locator = mdates.AutoDateLocator(minticks=4, maxticks=10)
    axes.xaxis.set_major_locator(locator)
    axes.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator))


def _gaps(values: Sequence[float | None]) -> list[float]:
    return [math.nan if value is None else value for value in values]


def _empty_note(axes: Axes, text: str) -> None:
    axes.text(0.5, 0.5, text, transform=axes.transAxes, ha="center", va="center", color="#666666")


def articles_by_edition(series: Series) -> Figure:
    figure = _figure(2.8)
    axes = figure.add_subplot()
    for edition, values in series.articles_per_hour.items():
        axes.step(series.times, values, where="post", label=edition, linewidth=1.4)
    if series.articles_per_hour:
        axes.legend(title="edition", loc="upper left", frameon=False)
    else:
        _empty_note(axes, "no article exported in this period")
    axes.set_ylabel(f"articles per {series.period.rate_label}")
    axes.set_ylim(bottom=0)
    _time_axis(axes, series)
    return figure


def articles_by_section(series: Series) -> Figure:
    top = series.sections.most_common(MAX_SECTIONS)
    rest = sum(series.sections.values()) - sum(count for _, count in top)
    if rest:
        top.append((f"{len(series.sections) - MAX_SECTIONS} other sections", rest))
    figure = _figure(0.6 + 0.24 * max(len(top), 2))
    axes = figure.add_subplot()
    axes.grid(axis="y", visible=False)
    if top:
        labels = [label for label, _ in reversed(top)]
        counts = [count for _, count in reversed(top)]
        bars = axes.barh(labels, counts, color="#2e86c1")
        axes.bar_label(bars, padding=3, fontsize=8)
    else:
        axes.set_yticks([])
        _empty_note(axes, "no article exported in this period")
    axes.set_xlabel("exported articles in the period")
    return figure


def _source_colors(sources: Sequence[str]) -> dict[str, str]:
    colors: dict[str, str] = {}
    known = itertools.cycle(KNOWN_SOURCE_COLORS)
    generic = itertools.cycle(GENERIC_SOURCE_COLORS)
    for source in sources:
        if source == "missing":
            colors[source] = MISSING_COLOR
        elif is_generic_source(source):
            colors[source] = next(generic)
        else:
            colors[source] = next(known)
    return colors


def field_sources(series: Series) -> Figure:
    ordered = [name for name in ARTICLE_FIELDS if name in series.field_sources]
    ordered += sorted(set(series.field_sources) - set(ordered))
    columns = 4
    rows = max(math.ceil(len(ordered) / columns), 1)
    height = 0.5 + 1.35 * rows
    # A fixed grid: the constrained layout engine would take most of the report's drawing time here.
    figure = _figure(height, layout=None)
    figure.subplots_adjust(left=0.06, right=0.99, top=1 - 0.3 / height, bottom=0.45 / height, wspace=0.12, hspace=0.45)
    if not ordered:
        _empty_note(figure.add_subplot(), "no article extracted in this period")
        return figure
    # One colour per source across all panels, the most used sources first: `markup` is the same blue everywhere.
    totals_by_source: Counter[str] = Counter()
    for by_source in series.field_sources.values():
        for source, counts in by_source.items():
            totals_by_source[source] += sum(counts)
    colors = _source_colors([source for source, _ in totals_by_source.most_common()])
    grid = figure.subplots(rows, columns, sharex=True, sharey=True, squeeze=False)
    for index, axes in enumerate(grid.flat):
        if index >= len(ordered):
            axes.set_visible(False)
            continue
        name = ordered[index]
        by_source = series.field_sources[name]
        sources = sorted(by_source, key=lambda source: -sum(by_source[source]))
        totals = [sum(counts) for counts in zip(*by_source.values(), strict=True)]
        shares = [
            [count / total if total else 0.0 for count, total in zip(by_source[source], totals, strict=True)]
            for source in sources
        ]
        palette = [colors[source] for source in sources]
        axes.stackplot(series.source_period.bucket_starts, shares, colors=palette, labels=sources, step="post")
        axes.set_title(name, fontsize=9, loc="left", pad=2)
        axes.set_ylim(0, 1)
        axes.set_yticks([0, 1], ["0", "100%"])
        axes.grid(visible=False)
        # The most used sources only: a panel is small, and a rare source shows as a thin band anyway.
        handles, labels = axes.get_legend_handles_labels()
        shown = min(len(sources), MAX_LEGEND_SOURCES)
        axes.legend(handles[:shown], labels[:shown], loc="lower left", fontsize=6, framealpha=0.85, ncols=2)
        _time_axis(axes, series)
        axes.tick_params(labelsize=7)
    return figure


def errors_by_kind(series: Series) -> Figure:
    figure = _figure(2.6)
    axes = figure.add_subplot()
    kinds = sorted(series.errors, key=lambda kind: -sum(series.errors[kind]))
    shown, rest = kinds[:MAX_ERROR_KINDS], kinds[MAX_ERROR_KINDS:]
    layers = [series.errors[kind] for kind in shown]
    labels = list(shown)
    if rest:
        layers.append([sum(values) for values in zip(*(series.errors[kind] for kind in rest), strict=True)])
        labels.append(f"{len(rest)} other kinds")
    if layers and any(any(layer) for layer in layers):
        axes.stackplot(series.times, layers, labels=labels, step="post")
        axes.legend(loc="upper left", frameon=False, fontsize=8, ncols=2)
    else:
        _empty_note(axes, "no error in this period")
    axes.set_ylabel(f"errors per {series.period.bucket_label}")
    axes.set_ylim(bottom=0)
    _time_axis(axes, series)
    return figure


def request_costs(series: Series) -> Figure:
    figure = _figure(3.6)
    per_article, per_run = figure.subplots(2, 1, sharex=True)
    per_article.plot(series.times, _gaps(series.requests_per_new_article), color="#8e44ad", linewidth=1.3)
    per_article.set_ylabel("requests per\nnew article")
    per_article.set_ylim(bottom=0)
    per_run.plot(series.times, _gaps(series.requests_per_run), color="#2e86c1", linewidth=1.3)
    per_run.set_ylabel("requests per run")
    per_run.set_ylim(bottom=0)
    _time_axis(per_run, series)
    return figure


def not_modified_share(series: Series) -> Figure:
    figure = _figure(2.2)
    axes = figure.add_subplot()
    shares = [math.nan if share is None else 100 * share for share in series.not_modified_share]
    axes.fill_between(series.times, shares, step="post", color="#58d68d", alpha=0.6, linewidth=0)
    axes.step(series.times, shares, where="post", color="#1e8449", linewidth=1.2)
    axes.set_ylabel("304 share of requests, %")
    axes.set_ylim(0, 100)
    _time_axis(axes, series)
    return figure


def durations_and_verdicts(series: Series) -> Figure:
    figure = _figure(3.4)
    durations, verdicts = figure.subplots(2, 1, sharex=True, height_ratios=(3, 1))
    if series.run_times:
        durations.plot(series.run_times, series.durations, color="#34495e", linewidth=0.9, label="run duration")
    if 0 < len(series.failed_times) <= MAX_FAILED_MARKERS:
        durations.plot(
            series.failed_times, series.failed_durations, "x", color=FAILED_COLOR, markersize=6, label="failed run"
        )
    if series.run_times:
        durations.legend(loc="upper left", frameon=False, fontsize=8)
    else:
        _empty_note(durations, "no run in this period")
    durations.set_ylabel("seconds")
    durations.set_ylim(bottom=0)
    ok_runs = [runs - failed for runs, failed in zip(series.runs, series.failed_runs, strict=True)]
    verdicts.stackplot(
        series.times, ok_runs, series.failed_runs, colors=(OK_COLOR, FAILED_COLOR), labels=("ok", "failed"), step="post"
    )
    verdicts.set_ylabel(f"runs per {series.period.bucket_label}")
    verdicts.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), frameon=False, fontsize=8)
    _time_axis(verdicts, series)
    return figure


# name, title, how to read it, the function drawing it.
CHARTS: tuple[tuple[str, str, str, Callable[[Series], Figure]], ...] = (
    (
        "articles",
        "Articles per hour by edition",
        "New and updated articles exported, per hour, for each edition. A line that falls to zero "
        "while the site publishes means the crawl stopped finding that edition's articles.",
        articles_by_edition,
    ),
    (
        "sections",
        "Articles per section",
        "Exported articles in the period by section (the article's category). A section missing "
        "here that the site still publishes in has gone silent for the crawler.",
        articles_by_section,
    ),
    (
        "field-sources",
        "Where each field came from",
        "For each Article field, the share of articles that took it from each source, over time. "
        "Blues and greens are the site profile and structured data; orange and red are the generic "
        "layers, grey is missing. When the site changes its markup, a panel turns from blue to orange.",
        field_sources,
    ),
    (
        "errors",
        "Errors by kind",
        "Failed fetches and spider errors per bucket, by kind (HTTP status, timeout, DNS, ...).",
        errors_by_kind,
    ),
    (
        "requests",
        "Requests per new article and per run",
        "What the crawl costs the site: requests sent for each new article, and per run. A planned "
        "run where nothing changed costs about 5 requests.",
        request_costs,
    ),
    (
        "not-modified",
        "304 share",
        "Share of requests answered 304 Not Modified (remembered feeds and sitemaps unchanged): high "
        "between publications, which is what keeps frequent runs cheap.",
        not_modified_share,
    ),
    (
        "runs",
        "Run durations and verdicts",
        "Each run's duration, failed runs marked with a red cross; below, runs per bucket, failed ones in red.",
        durations_and_verdicts,
    ),
)


def draw_charts(series: Series) -> list[Chart]:
    """Every chart of the report, drawn from the series."""
    charts = []
    with matplotlib.rc_context(SVG_RC):
        for name, title, guide, draw in CHARTS:
            with matplotlib.rc_context({"svg.hashsalt": name}):
                charts.append(Chart(name, title, guide, to_svg(draw(series), name)))
    return charts


def format_time(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M UTC")
