"""Every BMKZ_* setting checked before a crawl starts: one line naming the setting, never a traceback.

`check_settings(settings)` raises `SettingsError` with a one-line message for the first bad
value: a number that is not one or is out of range, a base URL that is not an absolute http(s)
URL, a state URI no store handles, a feed folder or state file that cannot be written or
opened. `scrapy crawl` and `scrapy cron` call it before anything starts and exit with code 2
(as for a bad `-a`), so a typo is found in a second, not after the whole crawl.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from scrapy.settings import BaseSettings

from bmkz_crawler.processors import site_origin


class SettingsError(ValueError):
    """A setting that would make the crawl fail or misbehave; its message is one line."""


def _number(settings: BaseSettings, name: str, kind: Callable[[Any], Any] = float) -> Any:
    raw = settings.get(name)
    try:
        if isinstance(raw, bool):
            raise ValueError
        return kind(raw)
    except (TypeError, ValueError):
        what = "a whole number" if kind is int else "a number"
        raise SettingsError(f"{name}={raw!r} is not accepted: use {what}") from None


def _at_least(settings: BaseSettings, name: str, low: float, kind: Callable[[Any], Any] = float) -> None:
    value = _number(settings, name, kind)
    if value < low:
        raise SettingsError(f"{name}={value!r} is not accepted: use a value of at least {low:g}")


def _between(settings: BaseSettings, name: str, low: float, high: float, *, low_open: bool = False) -> None:
    value = _number(settings, name)
    if value > high or value < low or (low_open and value == low):
        bracket = "(" if low_open else "["
        raise SettingsError(f"{name}={value!r} is not accepted: use a number in {bracket}{low:g}, {high:g}]")


def check_settings(settings: BaseSettings) -> None:
    """Raise SettingsError for the first BMKZ_* setting (or feed/state location) that would fail."""
    base = settings.get("BMKZ_BASE_URL")
    if site_origin(str(base or "")) is None or not urlsplit(str(base)).netloc:
        raise SettingsError(
            f"BMKZ_BASE_URL={base!r} is not accepted: use an absolute http(s) URL such as https://bm.kz/"
        )
    _at_least(settings, "BMKZ_PROGRESS_INTERVAL", 0)
    _at_least(settings, "BMKZ_SWEEP_HOURS", 0)
    _check_recheck_hours(settings)
    _at_least(settings, "BMKZ_RETRY_BACKOFF_BASE", 0)
    _at_least(settings, "BMKZ_RETRY_BACKOFF_MAX", 0)
    _at_least(settings, "BMKZ_MAX_CRAWL_DELAY", 0)
    _at_least(settings, "BMKZ_MAX_REQUESTS", 0, int)
    _at_least(settings, "BMKZ_GONE_CHECK_MAX", 0, int)
    _at_least(settings, "BMKZ_STUCK_RUN_MINUTES", 0)
    _at_least(settings, "BMKZ_REDIS_WORKER_TTL", 1)
    _between(settings, "BMKZ_MAX_ERROR_RATE", 0, 1)
    _between(settings, "BMKZ_MARKUP_DRIFT_SHARE", 0, 1, low_open=True)
    _check_monitoring(settings)
    for name in (
        "BMKZ_ARCHIVE_STALE_PAGES",
        "BMKZ_ARCHIVE_MAX_PAGES",
        "BMKZ_SITEMAP_MAX_DEPTH",
        "BMKZ_SITEMAP_MAX_FILES",
    ):
        _at_least(settings, name, 1, int)
    _check_bool(settings, "BMKZ_CSV_BOM")
    _check_bool(settings, "BMKZ_TRACE")
    _check_profile(settings)
    _check_redis_url(settings)
    _check_state(settings)
    _check_archive(settings)
    _check_report(settings)
    _check_feed_folders(settings)
    _check_alerts(settings)


def _check_monitoring(settings: BaseSettings) -> None:
    _check_bool(settings, "SPIDERMON_ENABLED")
    _at_least(settings, "BMKZ_MONITOR_NO_NEW_HOURS", 0)
    _at_least(settings, "BMKZ_MONITOR_SILENT_EXPECTED", 1)
    _at_least(settings, "BMKZ_RUN_HISTORY_DAYS", 1)
    _check_bool(settings, "SPIDERMON_VALIDATION_ADD_ERRORS_TO_ITEMS")
    if settings.getbool("SPIDERMON_VALIDATION_ADD_ERRORS_TO_ITEMS"):
        raise SettingsError(
            "SPIDERMON_VALIDATION_ADD_ERRORS_TO_ITEMS=True is not accepted: an Article has no `_validation`"
            " field; the errors are counted per field in the stats"
        )


def _check_recheck_hours(settings: BaseSettings) -> None:
    from bmkz_crawler.memory import parse_ages

    raw = settings.get("BMKZ_RECHECK_HOURS")
    try:
        parse_ages(raw)
    except ValueError:
        raise SettingsError(
            f"BMKZ_RECHECK_HOURS={raw!r} is not accepted: use hours after publication, e.g. 1,6,24,48"
        ) from None


def _check_bool(settings: BaseSettings, name: str) -> None:
    try:
        settings.getbool(name)
    except ValueError:
        raise SettingsError(f"{name}={settings.get(name)!r} is not accepted: use True or False") from None


def _check_report(settings: BaseSettings) -> None:
    """BMKZ_REPORT is empty, a folder, or an .html path whose only placeholder is {date}, in a writable folder."""
    from bmkz_crawler.report import report_path

    _at_least(settings, "BMKZ_REPORT_KEEP_DAYS", 0)
    template = (settings.get("BMKZ_REPORT") or "").strip()
    if not template:
        return
    usage = f"BMKZ_REPORT={template!r} is not accepted: use a folder such as reports/ or reports/report-{{date}}.html"
    try:
        path = report_path(template, datetime.now(UTC))
    except (KeyError, IndexError, ValueError):
        raise SettingsError(usage) from None
    if path.is_dir() or path.suffix.lower() not in {".html", ".htm"}:
        raise SettingsError(usage)
    _check_writable_folder(path.parent, f"report {path}")


def _check_profile(settings: BaseSettings) -> None:
    from bmkz_crawler.extraction.article import PROFILES

    choices = ("auto", "none", *PROFILES)
    profile = settings.get("BMKZ_PROFILE") or "auto"
    if profile not in choices:
        raise SettingsError(f"BMKZ_PROFILE={profile!r} is not accepted: use one of {', '.join(choices)}")


def _check_redis_url(settings: BaseSettings) -> None:
    url = (settings.get("BMKZ_REDIS_URL") or "").strip()
    if url and urlsplit(url).scheme not in {"redis", "rediss", "unix"}:
        raise SettingsError(f"BMKZ_REDIS_URL={url!r} is not accepted: use redis://host:6379/0 (or rediss://, unix://)")


def _check_state(settings: BaseSettings) -> None:
    from bmkz_crawler.state import STORE_CLASSES, state_store_uri

    setting = settings.get("BMKZ_STATE_URI")
    uri = state_store_uri(setting)
    scheme = "memory" if uri.startswith("memory:") else urlsplit(uri).scheme
    if scheme not in STORE_CLASSES:
        known = ", ".join(f"{name}:" for name in STORE_CLASSES)
        raise SettingsError(f"BMKZ_STATE_URI={setting!r} is not accepted: no state store for {scheme}: (use {known})")
    if scheme != "sqlite":
        return
    path = Path(uri.removeprefix("sqlite://"))
    if path.exists():
        if path.is_dir():
            raise SettingsError(f"state file {path} is a directory")
        if not os.access(path, os.R_OK | os.W_OK):
            raise SettingsError(f"state file {path} cannot be opened: not readable and writable by this user")
        try:
            connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=5)
            try:
                connection.execute("SELECT count(*) FROM sqlite_master").fetchone()
            finally:
                connection.close()
        except sqlite3.Error as error:
            raise SettingsError(f"state file {path} cannot be opened: {error}") from None
    else:
        _check_writable_folder(path.parent, f"state file {path}")


def _check_archive(settings: BaseSettings) -> None:
    from bmkz_crawler.archive import ARCHIVE_CLASSES, archive_scheme, archive_uri

    setting = settings.get("BMKZ_ARCHIVE_URI")
    uri = archive_uri(setting, settings.get("BMKZ_STATE_URI"))
    if uri is None:
        return
    scheme = archive_scheme(uri)
    if scheme not in ARCHIVE_CLASSES:
        known = ", ".join(f"{name}:" for name in ARCHIVE_CLASSES)
        raise SettingsError(
            f"BMKZ_ARCHIVE_URI={setting!r} is not accepted: no archive for {scheme}: (use {known}, a path, none)"
        )
    if scheme == "sqlite":
        path = Path(uri.removeprefix("sqlite://"))
        if path.is_dir():
            raise SettingsError(f"archive file {path} is a directory")
        _check_writable_folder(path.parent, f"archive file {path}")
    elif scheme in {"postgresql", "postgres"}:
        _check_postgres(uri)


def _check_postgres(uri: str) -> None:
    """The client library is installed and the server answers (a crawl would only find out at
    its end, when it archives what it exported)."""
    from bmkz_crawler.archive.postgres import PostgresArchive

    where = PostgresArchive(uri).location
    try:
        import psycopg
    except ImportError:
        raise SettingsError(
            f"BMKZ_ARCHIVE_URI={where!r} needs psycopg: pip install 'bmkz-crawler[postgres]'"
        ) from None
    try:
        with psycopg.connect(uri, connect_timeout=5) as connection:
            connection.execute("SELECT 1")
    except psycopg.Error as error:
        reason = " ".join(str(error).split()) or type(error).__name__
        raise SettingsError(f"BMKZ_ARCHIVE_URI={where!r}: cannot connect to PostgreSQL: {reason}") from None


def _check_feed_folders(settings: BaseSettings) -> None:
    """Each local feed's folder (the part of its path before any `%(...)s`) can be written."""
    for uri in settings.getdict("FEEDS"):
        text = str(uri)
        parts = urlsplit(text)
        if parts.scheme not in {"", "file"} and len(parts.scheme) > 1:  # s3://, ftp://, a Windows drive is local
            continue
        path = parts.path if parts.scheme == "file" else text
        fixed = path.split("%(", 1)[0]
        folder = Path(fixed).parent if not fixed.endswith(("/", os.sep)) else Path(fixed)
        _check_writable_folder(folder if str(folder) else Path("."), f"feed {text}")


def _check_writable_folder(folder: Path, what: str) -> None:
    """The folder exists and is writable, or the nearest existing ancestor lets us create it."""
    existing = folder.absolute()
    while not existing.exists():
        existing = existing.parent
    if not existing.is_dir():
        raise SettingsError(f"{what}: {existing} is not a folder")
    if not os.access(existing, os.W_OK | os.X_OK):
        raise SettingsError(f"{what}: folder {existing} is not writable by this user")


def _check_alerts(settings: BaseSettings) -> None:
    """Channel names, each channel's settings and environment secret, and no secret given as a setting."""
    from bmkz_crawler.monitoring.alerts import alert_settings_problem

    problem = alert_settings_problem(settings)
    if problem:
        raise SettingsError(problem)
