"""The report: run records folded into per-bucket series, drawn as one small self-contained HTML page;
`scrapy report`, BMKZ_REPORT after a cron run, and the retention of old reports."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from scrapy.settings import Settings

from bmkz_crawler import settings as project_settings
from bmkz_crawler.config import SettingsError, check_settings
from bmkz_crawler.mirror.testing import MirrorHandle
from bmkz_crawler.report import prune_reports, report_after_run, report_path, write_report
from bmkz_crawler.report.charts import CHARTS, GENERIC_SOURCE_COLORS, MISSING_COLOR, _source_colors
from bmkz_crawler.report.history import Period, build_series
from bmkz_crawler.report.sample import sample_history, sample_run

PROJECT = Path(__file__).resolve().parents[1]
NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
CHART_NAMES = [name for name, *_ in CHARTS]


@pytest.fixture(scope="module")
def week_report(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A week of 15-minute runs; the site's markup changes a day before the end."""
    runs = sample_history(now=NOW, days=7, drift_at=NOW - timedelta(days=1), silent_section="Спорт")
    path = write_report(runs, tmp_path_factory.mktemp("report") / "report.html", days=7, now=NOW)
    return path.read_text(encoding="utf-8")


def chart_svg(html: str, name: str) -> str:
    match = re.search(rf'<figure class="chart" id="{name}">.*?(<svg.*?</svg>)', html, re.DOTALL)
    assert match, f"no chart {name}"
    return match.group(1)


def test_every_chart_is_drawn_as_inline_svg(week_report: str) -> None:
    for name in CHART_NAMES:
        svg = chart_svg(week_report, name)
        assert svg.count("<path") > 5, name
    assert week_report.count("<svg") == len(CHARTS)


def test_page_needs_no_network_and_runs_no_script(week_report: str) -> None:
    assert "<script" not in week_report and "<link" not in week_report and "<img" not in week_report
    assert not re.search(r"\bsrc=", week_report)
    # The only URLs are XML namespace names, which no browser fetches.
    urls = set(re.findall(r'"(https?://[^"]*)"', week_report))
    assert urls <= {"http://www.w3.org/2000/svg", "http://www.w3.org/1999/xlink"}, urls


def test_text_stays_text_and_ids_never_collide_between_charts(week_report: str) -> None:
    assert "<text" in chart_svg(week_report, "sections")
    assert "Экономика" in week_report  # a Cyrillic section label as text, not glyph paths
    ids = Counter(re.findall(r'\bid="([^"]+)"', week_report))
    assert [name for name, count in ids.items() if count > 1] == []
    for reference in re.findall(r'(?:url\(#|href="#)([^")]+)', week_report):
        assert reference in ids


def test_header_gives_period_runs_failed_runs_and_the_last_failures(week_report: str) -> None:
    assert "2026-11-23 12:00 UTC — 2026-11-30 12:00 UTC" in week_report
    runs = sample_history(now=NOW, days=7, drift_at=NOW - timedelta(days=1), silent_section="Спорт")
    failed = sum(run["verdict"] == "failed" for run in runs)
    assert f'runs<b class="">{len(runs):,}</b>' in week_report
    assert f'failed runs<b class="failed">{failed:,}</b>' in week_report
    last = runs[-1]
    assert last["verdict"] == "failed"  # the sample's last run is on the changed markup
    assert '<b class="failed">FAILED</b>' in week_report
    assert f'<ul class="failures"><li>{last["failures"][0]}</li></ul>' in week_report


def test_header_of_a_passing_last_run_says_ok_and_lists_nothing(tmp_path: Path) -> None:
    runs = sample_history(now=NOW, days=0.5, every_minutes=60)
    assert runs[-1]["verdict"] == "ok"
    html = write_report(runs, tmp_path / "ok.html", days=0.5, now=NOW).read_text(encoding="utf-8")
    assert '<b class="ok">OK</b>' in html and '<ul class="failures">' not in html


def test_markup_drift_shows_as_generic_sources_in_warm_colours(week_report: str) -> None:
    colors = _source_colors(["markup", "jsonld", "main_text", "generic_byline", "missing"])
    assert colors["main_text"] in GENERIC_SOURCE_COLORS and colors["generic_byline"] in GENERIC_SOURCE_COLORS
    assert colors["markup"] not in GENERIC_SOURCE_COLORS and colors["missing"] == MISSING_COLOR
    panel = chart_svg(week_report, "field-sources")
    assert "main_text" in panel and GENERIC_SOURCE_COLORS[0] in panel


def test_a_silent_section_is_absent_from_the_section_chart(week_report: str) -> None:
    sections = chart_svg(week_report, "sections")
    assert "Экономика" in sections and "Спорт" not in sections


def test_thirty_days_of_15_minute_runs_is_well_under_one_megabyte(tmp_path: Path) -> None:
    runs = sample_history(now=NOW, days=30, every_minutes=15, drift_at=NOW - timedelta(days=3))
    assert len(runs) == 2880
    path = write_report(runs, tmp_path / "month.html", days=30, now=NOW)
    size = path.stat().st_size
    assert size < 600_000, f"{size:,} bytes"


def test_same_history_gives_the_same_bytes(week_report: str, tmp_path: Path) -> None:
    runs = sample_history(now=NOW, days=7, drift_at=NOW - timedelta(days=1), silent_section="Спорт")
    again = write_report(runs, tmp_path / "again.html", days=7, now=NOW).read_text(encoding="utf-8")
    assert again == week_report


def test_empty_history_gives_a_page_saying_so(tmp_path: Path) -> None:
    html = write_report([], tmp_path / "empty.html", days=7, now=NOW).read_text(encoding="utf-8")
    assert "No run recorded in this period" in html and "<svg" not in html


def test_runs_outside_the_period_are_left_out(tmp_path: Path) -> None:
    old = sample_history(now=NOW - timedelta(days=20), days=1)
    html = write_report(old, tmp_path / "old.html", days=7, now=NOW).read_text(encoding="utf-8")
    assert "No run recorded in this period" in html


def test_series_are_summed_per_bucket_and_ratios_left_empty_without_data() -> None:
    period = Period.ending(NOW, 1, max_buckets=24)
    assert period.bucket_minutes == 60 and len(period.bucket_starts) == 25
    run = sample_run(
        NOW - timedelta(minutes=30), rng=__import__("random").Random(1), sweep=False, drifted=False, silent_section=None
    )
    run.update(
        requests=10, new=2, not_modified=4, articles={"ru": 2, "kk": 1}, errors={"http_503": 3}, verdict="failed"
    )
    twin = dict(run, started_at=(NOW - timedelta(minutes=20)).isoformat())
    series = build_series([run, twin], period)
    index = period.bucket_of(NOW - timedelta(minutes=30))
    assert series.runs[index] == 2 and series.failed_runs[index] == 2 and sum(series.runs) == 2
    assert series.articles_per_hour == {
        "kk": [2.0 if i == index else 0.0 for i in range(25)],
        "ru": [4.0 if i == index else 0.0 for i in range(25)],
    }
    assert series.errors["http_503"][index] == 6
    assert series.requests_per_new_article[index] == 5.0 and series.requests_per_run[index] == 10.0
    assert series.not_modified_share[index] == 0.4
    assert series.requests_per_run[0] is None and series.not_modified_share[0] is None  # no run: a gap, not a zero


def test_days_without_runs_are_zero_buckets_and_still_drawn(tmp_path: Path) -> None:
    gap = (NOW - timedelta(days=4), NOW - timedelta(days=2))
    runs = sample_history(now=NOW, days=7, gap=gap)
    period = Period.ending(NOW, 7)
    series = build_series(runs, period)
    inside = [i for i, start in enumerate(series.times) if gap[0] <= start and start + timedelta(hours=1) <= gap[1]]
    assert len(inside) == 48 and all(series.runs[i] == 0 for i in inside)
    html = write_report(runs, tmp_path / "gap.html", days=7, now=NOW).read_text(encoding="utf-8")
    assert html.count("<svg") == len(CHARTS)


def test_a_month_is_drawn_in_coarser_buckets_and_a_short_demo_in_minutes() -> None:
    assert Period.ending(NOW, 7).bucket_label == "1 h"
    assert Period.ending(NOW, 30).bucket_label == "6 h"
    assert Period.ending(NOW, 30).coarser(48).bucket_label == "1 day"
    assert Period.ending(NOW, 0.01).bucket_label == "1 min"


def test_report_path_from_a_folder_or_a_template(tmp_path: Path) -> None:
    assert report_path("reports/", NOW) == Path("reports/report-2026-11-30.html")
    assert report_path(str(tmp_path), NOW) == tmp_path / "report-2026-11-30.html"
    assert report_path("out/crawl-{date}.html", NOW) == Path("out/crawl-2026-11-30.html")
    assert report_path("out/latest.html", NOW) == Path("out/latest.html")


def test_prune_removes_only_old_report_files(tmp_path: Path) -> None:
    old, new, other = tmp_path / "report-2026-10-01.html", tmp_path / "report-2026-11-29.html", tmp_path / "notes.html"
    for path in (old, new, other):
        path.write_text("x")
    week_ago = time.time() - 40 * 86400
    os.utime(old, (week_ago, week_ago))
    os.utime(other, (week_ago, week_ago))
    assert prune_reports(tmp_path, 30) == [old]
    assert not old.exists() and new.exists() and other.exists()
    os.utime(new, (week_ago, week_ago))
    assert prune_reports(tmp_path, 0) == [] and new.exists()  # 0 keeps every report


def _settings(**values: object) -> Settings:
    settings = Settings()
    settings.setmodule(project_settings)
    settings.setdict(values)
    return settings


@pytest.mark.parametrize(
    "value",
    ["reports/report-{day}.html", "reports/report-{0}.html", "reports/report.txt", "reports/{date"],
)
def test_a_bad_report_setting_is_refused_in_one_line(value: str) -> None:
    with pytest.raises(SettingsError) as refused:
        check_settings(_settings(BMKZ_REPORT=value, BMKZ_STATE_URI="memory:"))
    assert str(refused.value).startswith(f"BMKZ_REPORT={value!r} is not accepted") and "\n" not in str(refused.value)


def test_a_negative_retention_is_refused() -> None:
    with pytest.raises(SettingsError, match="BMKZ_REPORT_KEEP_DAYS"):
        check_settings(_settings(BMKZ_REPORT_KEEP_DAYS=-1, BMKZ_STATE_URI="memory:"))


def test_report_after_run_writes_todays_report_from_the_state_and_prunes(tmp_path: Path) -> None:
    from bmkz_crawler.state import open_state_store

    state = tmp_path / "state.sqlite3"
    store = open_state_store(str(state))
    now = datetime.now(UTC)
    for run in sample_history(now=now, days=1, every_minutes=60):
        store.record_run(run)
    store.close()
    folder = tmp_path / "reports"
    folder.mkdir()
    stale = folder / "report-2000-01-01.html"
    stale.write_text("old")
    os.utime(stale, (0, 0))
    settings = _settings(BMKZ_REPORT=f"{folder}/", BMKZ_STATE_URI=str(state))
    check_settings(settings)
    path = report_after_run(settings)
    assert path == folder / f"report-{now:%Y-%m-%d}.html"
    assert path.read_text(encoding="utf-8").count("<svg") == len(CHARTS)
    assert not stale.exists()
    assert report_after_run(_settings(BMKZ_REPORT="", BMKZ_STATE_URI=str(state))) is None


def _scrapy_report(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "SCRAPY_SETTINGS_MODULE": "bmkz_crawler.settings", "PYTHONPATH": str(PROJECT)}
    return subprocess.run(
        [sys.executable, "-m", "scrapy", "report", *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=60
    )


def test_scrapy_report_writes_the_default_path_and_prints_it(tmp_path: Path) -> None:
    from bmkz_crawler.state import open_state_store

    state = tmp_path / "state.sqlite3"
    store = open_state_store(str(state))
    for run in sample_history(now=datetime.now(UTC), days=2, every_minutes=60):
        store.record_run(run)
    store.close()
    done = _scrapy_report(tmp_path, "--days", "3", "-s", f"BMKZ_STATE_URI={state}")
    assert done.returncode == 0, done.stderr
    written = Path(done.stdout.strip())
    assert written == Path(f"reports/report-{datetime.now(UTC):%Y-%m-%d}.html")
    assert (tmp_path / written).read_text(encoding="utf-8").count("<svg") == len(CHARTS)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--days", "week"], "error: --days='week' is not accepted: use a number of days, e.g. 7"),
        (["-o", "report.pdf"], "error: -o report.pdf: use a file name ending in .html"),
    ],
)
def test_scrapy_report_refuses_bad_arguments_in_one_line(tmp_path: Path, args: list[str], message: str) -> None:
    done = _scrapy_report(tmp_path, *args)
    assert done.returncode == 2 and done.stderr.strip() == message


def test_a_cron_run_of_the_mirror_writes_its_report(mirror300: MirrorHandle, tmp_path: Path) -> None:
    from tests.crawl import run_crawl

    reports = tmp_path / "reports"
    result = run_crawl(
        mirror300.base_url,
        tmp_path,
        command="cron",
        output=None,
        args={"max_articles": "30"},
        settings={"BMKZ_REPORT": f"{reports}/"},
    )
    assert result.returncode == 0, result.log[-2000:]
    written = reports / f"report-{datetime.now(UTC):%Y-%m-%d}.html"
    assert f"report          {written}" in result.log
    html = written.read_text(encoding="utf-8")
    assert '<div class="card">runs<b class="">1</b></div>' in html and '<b class="ok">OK</b>' in html
    assert html.count("<svg") == len(CHARTS)
    sections = chart_svg(html, "sections")
    assert any(label in sections for label in ("Новости", "Экономика", "Политика", "Жаңалықтар"))


def test_site_text_and_odd_records_never_stop_the_report(tmp_path: Path) -> None:
    """Section names come from the site (`$` is not maths), sources may be many, and a record
    written by another version or edited by hand may hold anything where a number belongs."""
    from bmkz_crawler.report.sample import sample_history

    now = datetime(2026, 12, 6, 12, 0, tzinfo=UTC)
    runs = sample_history(now=now, days=1, every_minutes=60)
    runs[-1] = {
        **runs[-1],
        "sections": {"Акции $#$": 3, "a $_$ b": 2, "$^$ test": 1},
        "field_sources": {
            "title": 5,
            "body": {f"generic_{n}": 1 for n in range(40)} | {f"src{n}": 1 for n in range(60)},
        },
        "requests": "many",
        "duration_s": None,
        "errors": {"http/500": "x"},
    }
    page = write_report(runs, tmp_path / "r.html", days=1, now=now).read_text(encoding="utf-8")
    assert "Акции $#$" in page
