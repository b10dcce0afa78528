"""Run records (see `bmkz_crawler.monitoring.history.run_record`) folded into the report's series.

Pure functions, no plotting: the period is cut into equal buckets (an hour for a week, six hours
for a month, minutes for a short demo) so that a month of 15-minute runs draws as ~120 points per
line, not 2,880 — that is what keeps the page small. A bucket with no run is a zero (or a gap for
a ratio), so a day without runs shows as one.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

# Bucket sizes (minutes) tried in order: the first that cuts the period into at most MAX_BUCKETS.
BUCKET_MINUTES = (1, 5, 15, 30, 60, 120, 180, 360, 720, 1440)
MAX_BUCKETS = 192
# Field sources are shares drawn as stacked areas in many small panels: coarser buckets.
MAX_SOURCE_BUCKETS = 48


def parse_time(text: str) -> datetime:
    """An ISO 8601 time of a run record, as an aware UTC datetime."""
    moment = datetime.fromisoformat(text)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def bucket_minutes_for(days: float, max_buckets: int = MAX_BUCKETS) -> int:
    for minutes in BUCKET_MINUTES:
        if days * 1440 / minutes <= max_buckets:
            return minutes
    return BUCKET_MINUTES[-1]


def duration_label(minutes: float) -> str:
    """`5 min`, `6 h`, `7 days`: a bucket's or a period's length in words."""
    if minutes < 60:
        return f"{_rounded(minutes)} min"
    if minutes < 2 * 1440 and minutes != 1440:
        return f"{_rounded(minutes / 60)} h"
    return f"{_rounded(minutes / 1440)} day" + ("s" if minutes != 1440 else "")


def _rounded(value: float) -> str:
    return f"{value:.3g}" if value < 10 else f"{round(value)}"


@dataclass(frozen=True)
class Period:
    """The report's window [start, end], cut into buckets of `bucket_minutes` from `first`."""

    start: datetime
    end: datetime
    first: datetime  # start of the first bucket, a multiple of the bucket size since the epoch
    bucket_minutes: int

    @classmethod
    def ending(cls, now: datetime, days: float, max_buckets: int = MAX_BUCKETS) -> Period:
        end = now.astimezone(UTC)
        start = end - timedelta(days=days)
        minutes = bucket_minutes_for(days, max_buckets)
        # Buckets aligned on the epoch (whole hours, UTC midnights): the same from run to run.
        step = minutes * 60
        first = datetime.fromtimestamp(start.timestamp() // step * step, UTC)
        return cls(start=start, end=end, first=first, bucket_minutes=minutes)

    @property
    def bucket_hours(self) -> float:
        return self.bucket_minutes / 60

    @property
    def rate_label(self) -> str:
        """What a rate of this period is per: an hour, or the bucket when it is shorter."""
        return "hour" if self.bucket_minutes >= 60 else self.bucket_label

    @property
    def bucket_label(self) -> str:
        return duration_label(self.bucket_minutes)

    @property
    def bucket_starts(self) -> list[datetime]:
        step = timedelta(minutes=self.bucket_minutes)
        count = int((self.end - self.first) / step) + 1
        return [self.first + step * index for index in range(count)]

    def bucket_of(self, moment: datetime) -> int:
        """The index of the moment's bucket, clamped to the period's buckets."""
        index = int((moment - self.first).total_seconds() // (self.bucket_minutes * 60))
        return min(max(index, 0), len(self.bucket_starts) - 1)

    def coarser(self, max_buckets: int) -> Period:
        """The same period in at most `max_buckets` buckets."""
        return Period.ending(self.end, (self.end - self.start) / timedelta(days=1), max_buckets)


@dataclass
class Series:
    """Everything the charts draw, per bucket (lists aligned with `times`) or per period."""

    period: Period
    times: list[datetime]
    runs: list[int]
    failed_runs: list[int]
    articles_per_hour: dict[str, list[float]]  # edition -> exported articles per hour (per bucket if shorter)
    errors: dict[str, list[int]]  # error kind -> errors in the bucket
    requests_per_run: list[float | None]
    requests_per_new_article: list[float | None]
    not_modified_share: list[float | None]
    source_period: Period  # field sources are counted in these coarser buckets
    field_sources: dict[str, dict[str, list[int]]]  # field -> source -> count in the source bucket
    sections: Counter[str] = field(default_factory=Counter)  # section -> exported articles in the period
    run_times: list[datetime] = field(default_factory=list)  # every run, for the durations line
    durations: list[float] = field(default_factory=list)
    failed_times: list[datetime] = field(default_factory=list)
    failed_durations: list[float] = field(default_factory=list)


def runs_in_period(runs: Iterable[Mapping[str, Any]], period: Period) -> list[Mapping[str, Any]]:
    """The runs that started in the period, oldest first; a record without a readable start is skipped."""
    kept = []
    for run in runs:
        try:
            started = parse_time(str(run["started_at"]))
        except (KeyError, ValueError):
            continue
        if period.start <= started <= period.end:
            kept.append((started, run))
    kept.sort(key=lambda pair: pair[0])
    return [run for _, run in kept]


def _ratio(numerator: int, denominator: int) -> float | None:
    return numerator / denominator if denominator else None


def number(value: Any, kind: type = int) -> Any:
    """A count or duration from a record; 0 for what is not a number (a record written by another
    version, or edited by hand, must not stop the report)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        try:
            value = float(str(value))
        except ValueError:
            return kind(0)
    return kind(value) if value == value else kind(0)  # NaN -> 0


def _counts(run: Mapping[str, Any], key: str) -> Mapping[str, int]:
    value = run.get(key)
    return value if isinstance(value, Mapping) else {}


def build_series(runs: Sequence[Mapping[str, Any]], period: Period) -> Series:
    """Fold the period's runs into per-bucket series (runs outside the period are ignored)."""
    times = period.bucket_starts
    size = len(times)
    zeros: list[int] = [0] * size

    def int_list() -> list[int]:
        return list(zeros)

    runs_per_bucket, failed, requests, new, not_modified = int_list(), int_list(), int_list(), int_list(), int_list()
    articles: dict[str, list[int]] = {}
    errors: dict[str, list[int]] = {}
    sources: dict[str, dict[str, list[int]]] = {}
    source_period = period.coarser(MAX_SOURCE_BUCKETS)
    source_buckets = len(source_period.bucket_starts)
    series = Series(period, times, runs_per_bucket, failed, {}, errors, [], [], [], source_period, sources)
    for run in runs_in_period(runs, period):
        started = parse_time(str(run["started_at"]))
        index = period.bucket_of(started)
        source_index = source_period.bucket_of(started)
        ok = run.get("verdict") == "ok"
        runs_per_bucket[index] += 1
        failed[index] += not ok
        requests[index] += number(run.get("requests"))
        new[index] += number(run.get("new"))
        not_modified[index] += number(run.get("not_modified"))
        for edition, count in _counts(run, "articles").items():
            articles.setdefault(edition, int_list())[index] += number(count)
        for kind, count in _counts(run, "errors").items():
            errors.setdefault(kind, int_list())[index] += number(count)
        for section, count in _counts(run, "sections").items():
            series.sections[section] += number(count)
        for field_name, by_source in _counts(run, "field_sources").items():
            per_source = sources.setdefault(field_name, {})
            for source, count in (by_source if isinstance(by_source, Mapping) else {}).items():
                per_source.setdefault(source, [0] * source_buckets)[source_index] += number(count)
        duration = float(number(run.get("duration_s"), float))
        series.run_times.append(started)
        series.durations.append(duration)
        if not ok:
            series.failed_times.append(started)
            series.failed_durations.append(duration)
    per_hour = max(period.bucket_hours, 1.0)  # a minute bucket's count is not scaled up to an hour
    series.articles_per_hour = {
        edition: [count / per_hour for count in counts] for edition, counts in sorted(articles.items())
    }
    series.requests_per_run = [_ratio(r, n) for r, n in zip(requests, runs_per_bucket, strict=True)]
    series.requests_per_new_article = [_ratio(r, n) for r, n in zip(requests, new, strict=True)]
    series.not_modified_share = [_ratio(m, r) for m, r in zip(not_modified, requests, strict=True)]
    return series


def failed_monitor_counts(runs: Iterable[Mapping[str, Any]]) -> Counter[str]:
    """How many runs each monitor failed in."""
    counts: Counter[str] = Counter()
    for run in runs:
        counts.update(str(name) for name in run.get("failed_monitors") or ())
    return counts
