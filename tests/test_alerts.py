"""Alerts: one message when monitors start failing, one when they recover, retries of a failed
send, settings refused in one line, and `scrapy alert-test` — against real servers on loopback
(tests/alert_stubs.py: aiosmtpd for e-mail, HTTP stubs for Telegram's Bot API and Slack's webhook)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from scrapy.settings import Settings
from scrapy.statscollectors import MemoryStatsCollector
from scrapy.utils.test import get_crawler

from bmkz_crawler.config import SettingsError, check_settings
from bmkz_crawler.monitoring.alerts import FAILED_STAT, SENT_STAT, STATE_KEY, alert_on_verdict
from bmkz_crawler.state import open_state_store
from bmkz_crawler.state.base import StateStore
from tests.alert_stubs import HttpInbox, SmtpInbox, running_http_stub, running_smtp

PROJECT = Path(__file__).resolve().parents[1]
TOKEN = "123456:TEST-token-never-shown"
T0 = datetime(2026, 12, 6, 10, 0, tzinfo=UTC)


class Stubs:
    def __init__(self, smtp: SmtpInbox, telegram: HttpInbox, slack: HttpInbox) -> None:
        self.smtp, self.telegram, self.slack = smtp, telegram, slack

    def settings(self, **overrides: Any) -> Settings:
        settings = Settings()
        settings.setmodule("bmkz_crawler.settings", priority="project")
        settings.setdict(
            {
                "BMKZ_BASE_URL": "https://bm.kz/",
                "BMKZ_ALERT_CHANNELS": "email,telegram,slack",
                "BMKZ_ALERT_EMAIL_TO": "ops@example.org, editor@example.org",
                "BMKZ_ALERT_EMAIL_FROM": "crawler@example.org",
                "BMKZ_SMTP_HOST": self.smtp.host,
                "BMKZ_SMTP_PORT": self.smtp.port,
                "BMKZ_TELEGRAM_API_URL": self.telegram.url,
                "BMKZ_TELEGRAM_CHAT_ID": "-1001234",
                **overrides,
            },
            priority="cmdline",
        )
        return settings

    def environ(self) -> dict[str, str]:
        return {"BMKZ_TELEGRAM_BOT_TOKEN": TOKEN, "BMKZ_SLACK_WEBHOOK_URL": f"{self.slack.url}/services/T0/B0/XYZ"}

    def counts(self) -> tuple[int, int, int]:
        return len(self.smtp.messages), len(self.telegram.posts), len(self.slack.posts)


@pytest.fixture
def stubs(monkeypatch: pytest.MonkeyPatch) -> Iterator[Stubs]:
    with running_smtp() as smtp, running_http_stub("telegram") as telegram, running_http_stub("slack") as slack:
        found = Stubs(smtp, telegram, slack)
        for name, value in found.environ().items():
            monkeypatch.setenv(name, value)
        yield found


@pytest.fixture(params=["sqlite", "redis"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[StateStore]:
    """The alert state in either store: Redis-mode workers share it as they share the crawl state."""
    uri = str(tmp_path / "state.sqlite3") if request.param == "sqlite" else request.getfixturevalue("redis_state_uri")
    opened = open_state_store(uri)
    yield opened
    opened.close()


ERROR_RATE = "Error rate"
SECTIONS = "Silent sections"
ALL_MONITORS = [ERROR_RATE, SECTIONS, "Finish reason", "Pages fetched"]


def run(
    stubs: Stubs, store: StateStore, failed: dict[str, str], hour: int, stats: MemoryStatsCollector | None = None
) -> list[Any]:
    passed = [name for name in ALL_MONITORS if name not in failed]
    return alert_on_verdict(
        stubs.settings(),
        failed,
        passed,
        run_label=f"news, started {T0 + timedelta(hours=hour):%Y-%m-%d %H:%M} UTC",
        store=store,
        stats=stats,
        now=T0 + timedelta(hours=hour),
    )


# --- transitions ----------------------------------------------------------------------------------


def test_fail_still_failing_recovered_sends_exactly_two_messages_per_channel(stubs: Stubs, store: StateStore) -> None:
    first = run(stubs, store, {ERROR_RATE: "23% of 400 fetches failed (max 10%)", SECTIONS: "politika: 0 articles"}, 0)
    assert [alert.kind for alert in first] == ["failing"]
    assert sorted(first[0].sent) == ["email", "slack", "telegram"]
    assert stubs.counts() == (1, 1, 1)

    # Still failing, one reason changed: not news.
    assert (
        run(stubs, store, {ERROR_RATE: "31% of 380 fetches failed (max 10%)", SECTIONS: "politika: 0 articles"}, 1)
        == []
    )
    assert stubs.counts() == (1, 1, 1)

    recovered = run(stubs, store, {}, 2)
    assert [alert.kind for alert in recovered] == ["recovered"]
    assert stubs.counts() == (2, 2, 2)
    assert run(stubs, store, {}, 3) == []
    assert stubs.counts() == (2, 2, 2)

    failing_text, recovered_text = stubs.slack.texts()
    assert stubs.telegram.texts() == [failing_text, recovered_text]
    assert [text.strip() for text in stubs.smtp.texts()] == [failing_text, recovered_text]
    assert "- Error rate: 23% of 400 fetches failed (max 10%)" in failing_text
    assert "- Silent sections: politika: 0 articles" in failing_text
    assert "https://bm.kz/" in failing_text and "news, started 2026-12-06 10:00 UTC" in failing_text
    assert "- Error rate: passes (failing since 2026-12-06 10:00 UTC)" in recovered_text

    path, body = stubs.telegram.posts[0]
    assert path == f"/bot{TOKEN}/sendMessage" and body["chat_id"] == "-1001234"
    assert stubs.slack.posts[0][0] == "/services/T0/B0/XYZ"
    mail = stubs.smtp.messages[0]
    assert mail["To"] == "ops@example.org, editor@example.org" and mail["From"] == "crawler@example.org"
    assert mail["Subject"] == "bmkz_crawler FAILING on https://bm.kz/: Error rate, Silent sections"


def test_one_monitor_recovering_while_another_starts_failing_sends_both_messages(
    stubs: Stubs, store: StateStore
) -> None:
    run(stubs, store, {ERROR_RATE: "high"}, 0)
    alerts = run(stubs, store, {SECTIONS: "kk/sayasat: 0 articles"}, 1)
    assert [(alert.kind, alert.monitors) for alert in alerts] == [("failing", [SECTIONS]), ("recovered", [ERROR_RATE])]
    assert stubs.counts() == (3, 3, 3)


def test_a_monitor_that_did_not_run_keeps_its_state(stubs: Stubs, store: StateStore) -> None:
    run(stubs, store, {SECTIONS: "politika: 0 articles"}, 0)
    # A planned run does not judge sections: neither failed nor passed, no "recovered".
    assert alert_on_verdict(stubs.settings(), {}, [ERROR_RATE], run_label="planned", store=store) == []
    assert json.loads(store.load_memory()[STATE_KEY]) == {SECTIONS: "2026-12-06T10:00:00+00:00"}


# --- failed sends -----------------------------------------------------------------------------------


def test_a_failed_send_is_counted_and_retried_next_run_on_that_channel_only(
    stubs: Stubs, store: StateStore, caplog: pytest.LogCaptureFixture
) -> None:
    stats = MemoryStatsCollector(get_crawler())
    stubs.slack.status = 500
    stubs.smtp.refuse = True
    alerts = run(stubs, store, {ERROR_RATE: "high"}, 0, stats)
    assert alerts[0].sent == ["telegram"]
    assert set(alerts[0].errors) == {"email", "slack"}
    assert "Slack answered HTTP 500: internal_error" in alerts[0].errors["slack"]
    assert "answered 554 5.7.1 Message refused" in alerts[0].errors["email"]
    assert stats.get_value(FAILED_STAT) == 2 and stats.get_value(SENT_STAT) == 1
    assert "Alert not sent on slack (retried next run)" in caplog.text

    stubs.slack.status = 200
    stubs.smtp.refuse = False
    again = run(stubs, store, {ERROR_RATE: "high"}, 1, stats)
    assert sorted(again[0].sent) == ["email", "slack"]
    assert stubs.counts() == (1, 1, 1)  # Telegram, told at the first run, is not told twice
    assert "news, started 2026-12-06 10:00" not in stubs.slack.texts()[0]  # the retry says which run saw it
    assert "failing" in stubs.slack.texts()[0]


def test_an_unreachable_channel_is_one_line_without_the_secret(stubs: Stubs, store: StateStore) -> None:
    settings = stubs.settings(BMKZ_ALERT_CHANNELS="telegram", BMKZ_TELEGRAM_API_URL="http://127.0.0.1:9")
    alerts = alert_on_verdict(settings, {ERROR_RATE: "high"}, [], run_label="news", store=store)
    error = alerts[0].errors["telegram"]
    assert error.startswith("Telegram could not be reached:") and "\n" not in error
    assert TOKEN not in error and TOKEN not in store.load_memory().get(f"{STATE_KEY}/telegram", "")


def test_no_channel_configured_sends_and_stores_nothing(stubs: Stubs, store: StateStore) -> None:
    settings = stubs.settings(BMKZ_ALERT_CHANNELS="")
    assert alert_on_verdict(settings, {ERROR_RATE: "high"}, [], run_label="news", store=store) == []
    assert store.load_memory() == {}
    assert stubs.counts() == (0, 0, 0)


# --- settings ----------------------------------------------------------------------------------------


def project_settings(**values: Any) -> Settings:
    settings = Settings()
    settings.setmodule("bmkz_crawler.settings", priority="project")
    settings.setdict(values, priority="cmdline")
    return settings


@pytest.mark.parametrize(
    ("values", "environ", "message"),
    [
        ({"BMKZ_ALERT_CHANNELS": "email,pager"}, {}, "'pager' is no channel (use email, telegram, slack)"),
        ({"BMKZ_ALERT_CHANNELS": "email"}, {}, "BMKZ_ALERT_EMAIL_TO is empty"),
        (
            {"BMKZ_ALERT_CHANNELS": "email", "BMKZ_ALERT_EMAIL_TO": "a@b.c", "BMKZ_SMTP_PORT": "x"},
            {},
            "BMKZ_SMTP_PORT='x'",
        ),
        (
            {"BMKZ_ALERT_CHANNELS": "email", "BMKZ_ALERT_EMAIL_TO": "a@b.c"},
            {"BMKZ_SMTP_USER": "u"},
            "BMKZ_SMTP_PASSWORD is not",
        ),
        (
            {"BMKZ_ALERT_CHANNELS": "telegram", "BMKZ_TELEGRAM_CHAT_ID": "1"},
            {},
            "environment has no BMKZ_TELEGRAM_BOT_TOKEN",
        ),
        ({"BMKZ_ALERT_CHANNELS": "telegram"}, {"BMKZ_TELEGRAM_BOT_TOKEN": "t"}, "BMKZ_TELEGRAM_CHAT_ID is empty"),
        ({"BMKZ_ALERT_CHANNELS": "slack"}, {}, "BMKZ_SLACK_WEBHOOK_URL is not an http(s) URL"),
        (
            {"BMKZ_TELEGRAM_BOT_TOKEN": TOKEN},
            {},
            "BMKZ_TELEGRAM_BOT_TOKEN is a secret and is not accepted as a setting",
        ),
        ({"BMKZ_SMTP_PASSWORD": "hunter2"}, {}, "export BMKZ_SMTP_PASSWORD=... in the environment instead"),
        ({"BMKZ_SLACK_WEBHOOK_URL": "https://hooks.slack.com/x"}, {}, "BMKZ_SLACK_WEBHOOK_URL is a secret"),
    ],
)
def test_bad_alert_settings_are_refused_in_one_line(
    values: dict[str, str], environ: dict[str, str], message: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("BMKZ_SMTP_USER", "BMKZ_SMTP_PASSWORD", "BMKZ_TELEGRAM_BOT_TOKEN", "BMKZ_SLACK_WEBHOOK_URL"):
        monkeypatch.delenv(name, raising=False)
    for name, value in environ.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(SettingsError) as refused:
        check_settings(project_settings(**values))
    assert message in str(refused.value) and "\n" not in str(refused.value)


def test_alerts_are_off_by_default_and_a_full_configuration_passes(monkeypatch: pytest.MonkeyPatch) -> None:
    check_settings(project_settings())
    monkeypatch.setenv("BMKZ_TELEGRAM_BOT_TOKEN", TOKEN)
    monkeypatch.setenv("BMKZ_SLACK_WEBHOOK_URL", "https://hooks.slack.com/services/T0/B0/XYZ")
    check_settings(
        project_settings(
            BMKZ_ALERT_CHANNELS="Email, telegram,slack",
            BMKZ_ALERT_EMAIL_TO="ops@example.org",
            BMKZ_TELEGRAM_CHAT_ID="@bmkz_alerts",
        )
    )


# --- scrapy alert-test ----------------------------------------------------------------------------------


def alert_test(
    stubs: Stubs, tmp_path: Path, *settings: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    argv = [sys.executable, "-m", "scrapy", "alert-test"]
    for name, value in {
        "BMKZ_ALERT_CHANNELS": "email,telegram,slack",
        "BMKZ_ALERT_EMAIL_TO": "ops@example.org",
        "BMKZ_SMTP_HOST": "127.0.0.1",
        "BMKZ_SMTP_PORT": str(stubs.smtp.port),
        "BMKZ_TELEGRAM_API_URL": stubs.telegram.url,
        "BMKZ_TELEGRAM_CHAT_ID": "-1001234",
        "BMKZ_STATE_URI": str(tmp_path / "state.sqlite3"),
    }.items():
        argv += ["-s", f"{name}={value}"]
    for setting in settings:
        argv += ["-s", setting]
    environ = {**os.environ, "PYTHONPATH": str(PROJECT), **stubs.environ(), **(env or {})}
    return subprocess.run(argv, cwd=PROJECT, env=environ, capture_output=True, text=True, timeout=60)


def test_alert_test_sends_on_every_channel_with_secrets_from_the_environment(stubs: Stubs, tmp_path: Path) -> None:
    done = alert_test(stubs, tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == ["email: sent", "telegram: sent", "slack: sent"]
    assert stubs.counts() == (1, 1, 1)
    assert stubs.slack.texts()[0].startswith("bmkz_crawler on https://bm.kz/: a test message from `scrapy alert-test`")
    assert stubs.smtp.messages[0]["Subject"] == "bmkz_crawler test alert for https://bm.kz/"


def test_alert_test_exits_1_naming_the_channel_that_failed(stubs: Stubs, tmp_path: Path) -> None:
    stubs.slack.status = 500
    done = alert_test(stubs, tmp_path)
    assert done.returncode == 1
    assert "slack: NOT sent: Slack answered HTTP 500: internal_error" in done.stdout
    assert stubs.counts() == (1, 1, 0)


def test_alert_test_refuses_a_secret_given_with_s(stubs: Stubs, tmp_path: Path) -> None:
    done = alert_test(stubs, tmp_path, f"BMKZ_TELEGRAM_BOT_TOKEN={TOKEN}")
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [
        "error: BMKZ_TELEGRAM_BOT_TOKEN is a secret and is not accepted as a setting (it would show in ps and logs): "
        "export BMKZ_TELEGRAM_BOT_TOKEN=... in the environment instead"
    ]
    assert stubs.counts() == (0, 0, 0)


# --- a real crawl: spidermon's finished actions call AlertAction --------------------------------------


def test_crawls_alert_when_the_site_is_unreachable_and_again_when_it_is_back(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from bmkz_crawler.mirror.testing import running_mirror
    from tests.crawl import run_crawl
    from tests.servers import free_port

    settings = {"BMKZ_ALERT_CHANNELS": "slack", "RETRY_TIMES": "0", "BMKZ_STATE_URI": str(tmp_path / "state.sqlite3")}
    with (
        running_http_stub("slack") as slack,
        running_mirror(tmp_path / "mirror", articles=30, write_truth=False) as mirror,
    ):
        monkeypatch.setenv("BMKZ_SLACK_WEBHOOK_URL", f"{slack.url}/services/T0/B0/XYZ")
        down = run_crawl(f"http://127.0.0.1:{free_port()}/", tmp_path / "down", settings=settings, output=None)
        assert down.returncode != 0
        assert len(slack.posts) == 1, down.log[-3000:]
        run_crawl(mirror.base_url, tmp_path / "up", settings=settings, output=None)
    failing, recovered = slack.texts()
    assert "1 monitor started failing" in failing and "- Pages fetched: " in failing
    assert "- Pages fetched: passes (failing since" in recovered
    print(failing, recovered, sep="\n\n")


def test_redis_mode_workers_stopping_together_alert_once(stubs: Stubs, redis_state_uri: str) -> None:
    """Every Redis-mode worker runs the monitors when it stops: the alert state is shared and one
    worker at a time reads it, sends and saves, so a transition is told once, not once per worker."""
    import threading

    workers = [open_state_store(redis_state_uri) for _ in range(4)]
    start = threading.Barrier(len(workers))

    def worker(store: StateStore) -> None:
        start.wait()
        run(stubs, store, {ERROR_RATE: "23% of 400 fetches failed (max 10%)"}, 0)

    threads = [threading.Thread(target=worker, args=(store,)) for store in workers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    for store in workers:
        store.close()
    assert stubs.counts() == (1, 1, 1)


def test_a_pass_from_a_run_that_overlapped_the_failing_one_is_not_a_recovery(stubs: Stubs, store: StateStore) -> None:
    """Redis-mode workers of one crawl judge their own shares: one failing and one passing within
    seconds must not make "started failing" and "recovered" of the same crawl."""
    settings, failing = stubs.settings(), {ERROR_RATE: "23% of 400 fetches failed (max 10%)"}
    passed = [name for name in ALL_MONITORS if name not in failing]
    alert_on_verdict(
        settings, failing, passed, run_label="a", store=store, now=T0, run_started=T0 - timedelta(minutes=5)
    )
    overlapping = alert_on_verdict(settings, {}, ALL_MONITORS, run_label="b", store=store,
                                   now=T0 + timedelta(seconds=3), run_started=T0 - timedelta(minutes=4))  # fmt: skip
    assert overlapping == [] and stubs.counts() == (1, 1, 1)
    later = alert_on_verdict(settings, {}, ALL_MONITORS, run_label="c", store=store,
                             now=T0 + timedelta(minutes=20), run_started=T0 + timedelta(minutes=15))  # fmt: skip
    assert [alert.kind for alert in later] == ["recovered"] and stubs.counts() == (2, 2, 2)


def test_a_channel_failing_in_an_unforeseen_way_is_counted_and_the_others_still_told(
    stubs: Stubs, store: StateStore
) -> None:
    import http.client

    from bmkz_crawler.monitoring.alerts import alert_channels

    class Truncating:
        name = "broken"

        def send(self, subject: str, text: str) -> None:
            raise http.client.IncompleteRead(b"partial")

    stats = MemoryStatsCollector(get_crawler())
    settings = stubs.settings()
    channels = [Truncating(), *alert_channels(settings)]
    [alert] = alert_on_verdict(settings, {ERROR_RATE: "x"}, [], run_label="a", store=store, stats=stats,
                               channels=channels, now=T0)  # type: ignore[list-item]  # fmt: skip
    assert sorted(alert.sent) == ["email", "slack", "telegram"] and "IncompleteRead" in alert.errors["broken"]
    assert stats.get_value(FAILED_STAT) == 1


def test_a_cron_run_that_cannot_start_still_alerts(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No monitor runs when the spider cannot start (here: its Redis state is down); the run says
    so through the channels, straight, since the alert state is in that store too."""
    from tests.crawl import run_crawl
    from tests.servers import free_port

    settings = {"BMKZ_ALERT_CHANNELS": "slack", "BMKZ_STATE_URI": f"redis://127.0.0.1:{free_port()}/0"}
    with running_http_stub("slack") as slack:
        monkeypatch.setenv("BMKZ_SLACK_WEBHOOK_URL", f"{slack.url}/services/T0/B0/XYZ")
        result = run_crawl("http://127.0.0.1:9/", tmp_path / "run", settings=settings, output=None, command="cron")
    assert result.returncode != 0
    [text] = slack.texts()
    assert "- Crawl started: news could not start" in text, result.log[-2000:]
    assert "every run that cannot start sends this again" in text


def test_a_run_stuck_holding_the_cron_lock_is_alerted_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every later cron run exits 75 while a hung run holds the lock: past BMKZ_STUCK_RUN_MINUTES
    the first of them alerts `Crawl started` failing, the next ones say nothing more."""
    from bmkz_crawler.state.lock import RunLock
    from tests.crawl import run_crawl

    run = tmp_path / "run"
    settings = {"BMKZ_ALERT_CHANNELS": "slack", "BMKZ_STUCK_RUN_MINUTES": "30"}
    with running_http_stub("slack") as slack, RunLock(run / "crawl.lock"):
        monkeypatch.setenv("BMKZ_SLACK_WEBHOOK_URL", f"{slack.url}/services/T0/B0/XYZ")
        two_hours_ago = datetime.now(UTC).timestamp() - 7200
        os.utime(run / "crawl.lock", (two_hours_ago, two_hours_ago))
        for _ in range(2):
            locked = run_crawl("http://127.0.0.1:9/", run, settings=settings, output=None, command="cron")
            assert locked.returncode == 75, locked.log[-2000:]
    [text] = slack.texts()
    assert "- Crawl started: another crawl (pid " in text and "for 2 h 00 min" in text
