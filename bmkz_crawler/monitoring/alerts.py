"""Alerts: tell people once when a monitor starts failing, once when it passes again.

`AlertAction` is the last of the monitor suite's finished actions: it reads the run's verdict
(`run_verdict(crawler)`) and calls `alert_on_verdict`, which compares it with what each channel
was last told and sends at most two short plain-text messages per channel — the monitors that
started failing, and those that recovered. A cron run every 15 minutes with the same failure
sends nothing more; a monitor still failing with another reason is not news either.

Channels (`BMKZ_ALERT_CHANNELS`, off by default): `email` (smtplib), `telegram` (Bot API
`sendMessage`), `slack` (an incoming webhook) — standard library only. Secrets come only from
the environment (`SECRET_ENV`): a `-s` value shows in `ps` and in scrapyd's logs, so
`config.check_settings` refuses one given as a setting.

What each channel was told is kept in the state store's memory: key `alerts` holds the failing
monitors with the time each started failing, and `alerts/<channel>` what that channel last
accepted. A channel's record is written only after it accepted the message, so a failed send
(one log line, stat `bmkz/alerts/failed`) is retried at the next run, on that channel only:
a broken Telegram token does not make the e-mail repeat itself every 15 minutes.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import logging
import os
import smtplib
import socket
import ssl
import urllib.error
import urllib.request
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from typing import Any, Protocol

from scrapy.settings import BaseSettings
from scrapy.statscollectors import StatsCollector
from spidermon.core.actions import Action

from bmkz_crawler.monitoring import run_verdict
from bmkz_crawler.state import open_state_store
from bmkz_crawler.state.base import StateStore

logger = logging.getLogger(__name__)

ALERT_CHANNELS: tuple[str, ...] = ("email", "telegram", "slack")
# Secrets are read from the environment only; each is refused as a setting (config.py).
SECRET_ENV: tuple[str, ...] = (
    "BMKZ_SMTP_USER",
    "BMKZ_SMTP_PASSWORD",
    "BMKZ_TELEGRAM_BOT_TOKEN",
    "BMKZ_SLACK_WEBHOOK_URL",
)
STATE_KEY = "alerts"  # {monitor name: failing since (ISO UTC)}
CRAWL_STARTED = "Crawl started"  # the pseudo-monitor of a cron run that never reached its monitors
LAST_FAILED_KEY = "alerts/last_failed"  # {monitor name: when a run last judged it failing (ISO UTC)}
SENT_STAT = "bmkz/alerts/sent"
FAILED_STAT = "bmkz/alerts/failed"
SEND_TIMEOUT_S = 15.0
# Telegram refuses messages over 4,096 characters; Slack cuts long ones. A summary fits well below.
MAX_MESSAGE_CHARS = 3500


class AlertSendError(Exception):
    """A channel did not accept a message; the text is one line and never holds a secret."""


class AlertChannel(Protocol):
    name: str

    def send(self, subject: str, text: str) -> None:
        """Deliver the message or raise AlertSendError."""
        ...


@dataclass
class Alert:
    """One message: `kind` is "failing", "recovered" or "test"; `sent` the channels that
    accepted it, `errors` the others with the reason."""

    kind: str
    subject: str
    text: str
    monitors: list[str]
    sent: list[str] = field(default_factory=list)
    errors: dict[str, str] = field(default_factory=dict)


# --- configuration ----------------------------------------------------------------------------


def configured_channel_names(settings: BaseSettings) -> list[str]:
    """The names in BMKZ_ALERT_CHANNELS, lower-cased, in order, without duplicates."""
    raw = settings.get("BMKZ_ALERT_CHANNELS") or ""
    names = raw if isinstance(raw, list | tuple) else str(raw).split(",")
    return list(dict.fromkeys(str(name).strip().lower() for name in names if str(name).strip()))


def alert_settings_problem(settings: BaseSettings, environ: Mapping[str, str] | None = None) -> str | None:
    """One line saying what is wrong with the alert configuration, or None (config.py refuses it)."""
    env = os.environ if environ is None else environ
    for name in SECRET_ENV:
        if settings.get(name) not in (None, ""):
            return (
                f"{name} is a secret and is not accepted as a setting (it would show in ps and logs): "
                f"export {name}=... in the environment instead"
            )
    names = configured_channel_names(settings)
    for name in names:
        if name not in ALERT_CHANNELS:
            return (
                f"BMKZ_ALERT_CHANNELS={settings.get('BMKZ_ALERT_CHANNELS')!r} is not accepted: "
                f"{name!r} is no channel (use {', '.join(ALERT_CHANNELS)})"
            )
    problems = {"email": _email_problem, "telegram": _telegram_problem, "slack": _slack_problem}
    for name in names:
        problem = problems[name](settings, env)
        if problem:
            return problem
    return None


def _email_problem(settings: BaseSettings, env: Mapping[str, str]) -> str | None:
    lacking = "BMKZ_ALERT_CHANNELS has email but"
    if not _email_recipients(settings):
        return f"{lacking} BMKZ_ALERT_EMAIL_TO is empty: set the recipients (comma-separated)"
    if not str(settings.get("BMKZ_SMTP_HOST") or "").strip():
        return f"{lacking} BMKZ_SMTP_HOST is empty: set the SMTP server"
    try:
        port = settings.getint("BMKZ_SMTP_PORT")
    except ValueError:
        port = -1
    if not 0 < port < 65536:
        return f"BMKZ_SMTP_PORT={settings.get('BMKZ_SMTP_PORT')!r} is not accepted: use a port such as 25, 465 or 587"
    try:
        settings.getbool("BMKZ_SMTP_STARTTLS")
    except ValueError:
        return f"BMKZ_SMTP_STARTTLS={settings.get('BMKZ_SMTP_STARTTLS')!r} is not accepted: use True or False"
    if env.get("BMKZ_SMTP_USER") and not env.get("BMKZ_SMTP_PASSWORD"):
        return "BMKZ_SMTP_USER is set but BMKZ_SMTP_PASSWORD is not: export both in the environment, or neither"
    return None


def _telegram_problem(settings: BaseSettings, env: Mapping[str, str]) -> str | None:
    lacking = "BMKZ_ALERT_CHANNELS has telegram but"
    if not env.get("BMKZ_TELEGRAM_BOT_TOKEN"):
        return f"{lacking} the environment has no BMKZ_TELEGRAM_BOT_TOKEN: export it (the token @BotFather gave)"
    if not str(settings.get("BMKZ_TELEGRAM_CHAT_ID") or "").strip():
        return f"{lacking} BMKZ_TELEGRAM_CHAT_ID is empty: set the chat's id (or @channelname)"
    api = settings.get("BMKZ_TELEGRAM_API_URL")
    if not _is_http_url(api):
        return f"BMKZ_TELEGRAM_API_URL={api!r} is not accepted: use an http(s) URL such as https://api.telegram.org"
    return None


def _slack_problem(settings: BaseSettings, env: Mapping[str, str]) -> str | None:
    if not _is_http_url(env.get("BMKZ_SLACK_WEBHOOK_URL")):
        return (
            "BMKZ_ALERT_CHANNELS has slack but the environment's BMKZ_SLACK_WEBHOOK_URL is not an http(s) URL: "
            "export the incoming webhook's URL"
        )
    return None


def _is_http_url(value: Any) -> bool:
    text = str(value or "")
    return text.startswith(("http://", "https://")) and len(text) > len("https://")


def _email_recipients(settings: BaseSettings) -> list[str]:
    return [address.strip() for address in str(settings.get("BMKZ_ALERT_EMAIL_TO") or "").split(",") if address.strip()]


def alert_channels(settings: BaseSettings, environ: Mapping[str, str] | None = None) -> list[AlertChannel]:
    """The configured channels, ready to send (settings already checked by config.py)."""
    env = os.environ if environ is None else environ
    builders: dict[str, Callable[[], AlertChannel]] = {
        "email": lambda: EmailChannel(
            host=str(settings.get("BMKZ_SMTP_HOST")).strip(),
            port=settings.getint("BMKZ_SMTP_PORT"),
            starttls=settings.getbool("BMKZ_SMTP_STARTTLS"),
            sender=str(settings.get("BMKZ_ALERT_EMAIL_FROM") or "") or f"bmkz-crawler@{socket.getfqdn()}",
            recipients=_email_recipients(settings),
            user=env.get("BMKZ_SMTP_USER") or None,
            password=env.get("BMKZ_SMTP_PASSWORD") or None,
        ),
        "telegram": lambda: TelegramChannel(
            api_url=str(settings.get("BMKZ_TELEGRAM_API_URL")),
            token=env.get("BMKZ_TELEGRAM_BOT_TOKEN", ""),
            chat_id=str(settings.get("BMKZ_TELEGRAM_CHAT_ID")).strip(),
        ),
        "slack": lambda: SlackChannel(webhook_url=env.get("BMKZ_SLACK_WEBHOOK_URL", "")),
    }
    return [builders[name]() for name in configured_channel_names(settings) if name in builders]


# --- the channels ------------------------------------------------------------------------------


@dataclass
class EmailChannel:
    """SMTP: STARTTLS when asked, implicit TLS on port 465, login when a user is in the environment."""

    host: str
    port: int
    starttls: bool
    sender: str
    recipients: list[str]
    user: str | None = None
    password: str | None = field(default=None, repr=False)
    name: str = "email"

    def send(self, subject: str, text: str) -> None:
        message = EmailMessage()
        message["Subject"] = subject
        message["From"] = self.sender
        message["To"] = ", ".join(self.recipients)
        message["Date"] = formatdate(usegmt=True)
        message["Message-ID"] = make_msgid(domain=self.sender.rpartition("@")[2] or None)
        message.set_content(text)
        try:
            if self.port == 465:
                client: smtplib.SMTP = smtplib.SMTP_SSL(self.host, self.port, timeout=SEND_TIMEOUT_S)
            else:
                client = smtplib.SMTP(self.host, self.port, timeout=SEND_TIMEOUT_S)
            with client:
                if self.starttls:
                    client.starttls(context=ssl.create_default_context())
                if self.user:
                    client.login(self.user, self.password or "")
                client.send_message(message)
        except smtplib.SMTPResponseException as error:
            reason = (
                error.smtp_error.decode("utf-8", "replace") if isinstance(error.smtp_error, bytes) else error.smtp_error
            )
            raise AlertSendError(f"SMTP {self.host}:{self.port} answered {error.smtp_code} {reason}") from None
        except (smtplib.SMTPException, OSError) as error:
            raise AlertSendError(f"SMTP {self.host}:{self.port}: {_one_line(error)}") from None


@dataclass
class TelegramChannel:
    """Bot API: POST {api_url}/bot{token}/sendMessage with chat_id and text."""

    api_url: str
    token: str = field(repr=False)
    chat_id: str
    name: str = "telegram"

    def send(self, subject: str, text: str) -> None:
        url = f"{self.api_url.rstrip('/')}/bot{self.token}/sendMessage"
        answer = _post_json(url, {"chat_id": self.chat_id, "text": text}, what="Telegram", secret=self.token)
        try:
            accepted = json.loads(answer).get("ok") is True
        except (ValueError, AttributeError):
            accepted = False
        if not accepted:
            raise AlertSendError(f"Telegram did not accept the message: {_one_line(answer)[:200]}")


@dataclass
class SlackChannel:
    """An incoming webhook: POST {"text": ...}; the webhook's URL is the secret and the channel."""

    webhook_url: str = field(repr=False)
    name: str = "slack"

    def send(self, subject: str, text: str) -> None:
        _post_json(self.webhook_url, {"text": text}, what="Slack", secret=self.webhook_url)


def _post_json(url: str, payload: Mapping[str, Any], *, what: str, secret: str) -> str:
    """POST JSON; the answer's body on 2xx, else AlertSendError (the URL, which holds the secret, never shown)."""
    request = urllib.request.Request(
        url,
        data=json.dumps(payload, ensure_ascii=False).encode(),
        headers={"Content-Type": "application/json; charset=utf-8"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=SEND_TIMEOUT_S) as response:
            return response.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as error:
        body = error.read().decode("utf-8", "replace")
        raise AlertSendError(f"{what} answered HTTP {error.code}: {_one_line(body)[:200]}") from None
    except (urllib.error.URLError, OSError, ValueError, http.client.HTTPException) as error:
        # HTTPException: a truncated or malformed answer (IncompleteRead, BadStatusLine)
        raise AlertSendError(f"{what} could not be reached: {_one_line(error).replace(secret, '***')}") from None


def _one_line(value: object) -> str:
    return " ".join(str(value).split())


# --- deciding what to say ----------------------------------------------------------------------


# Longest a Redis-mode worker waits for another's alerting (sending is bounded by each channel's timeout).
ALERT_LOCK_SECONDS = 120


def alert_on_verdict(
    settings: BaseSettings,
    failed: Mapping[str, str],
    passed: Iterable[str],
    *,
    run_label: str,
    store: StateStore | None = None,
    stats: StatsCollector | None = None,
    channels: list[AlertChannel] | None = None,
    now: datetime | None = None,
    run_started: datetime | None = None,
) -> list[Alert]:
    """Send what changed since each channel was last told; the messages sent (or tried).

    `run_started`: a monitor passing in a run that started before the last run that judged it
    failing ended (Redis-mode workers of one crawl) is not taken as recovered.

    `failed` maps monitor name to its one-line reason, `passed` names the monitors that passed;
    a monitor in neither (not run this time) keeps its state. Nothing is read or written when
    no channel is configured. `store` defaults to the configured state store (opened and closed here).
    """
    channels = alert_channels(settings) if channels is None else channels
    if not channels:
        return []
    now = now or datetime.now(UTC)
    own_store = store is None
    if store is None:
        store = open_state_store(settings.get("BMKZ_STATE_URI"))
    try:
        with _one_alerter(store):
            return _alert(store, channels, settings, dict(failed), set(passed), run_label, stats, now, run_started)
    finally:
        if own_store:
            store.close()


@contextlib.contextmanager
def _one_alerter(store: StateStore) -> Iterator[None]:
    """Redis mode: the workers of one crawl stop together and share the alert state, so one at a
    time reads it, sends and saves — the next sees what was told and sends nothing twice. (A
    SQLite state is one crawl at a time already: the state lock.)"""
    client = getattr(store, "client", None) if hasattr(store, "prefix") else None
    if client is None:
        yield
        return
    lock = client.lock(f"{store.prefix}alerts:lock", timeout=ALERT_LOCK_SECONDS, blocking_timeout=ALERT_LOCK_SECONDS)
    acquired = lock.acquire()
    try:
        yield  # not acquired within the timeout (a worker stuck sending): alert anyway, rather than never
    finally:
        if acquired:
            with contextlib.suppress(Exception):
                lock.release()


def _alert(
    store: StateStore,
    channels: list[AlertChannel],
    settings: BaseSettings,
    failed: dict[str, str],
    passed: set[str],
    run_label: str,
    stats: StatsCollector | None,
    now: datetime,
    run_started: datetime | None = None,
) -> list[Alert]:
    memory = store.load_memory()
    known = _load(memory.get(STATE_KEY))
    # A pass clears only failures judged before this run started: in Redis mode a worker whose run
    # overlapped a failing worker's does not announce "recovered" for the same crawl.
    last_failed = _load(memory.get(LAST_FAILED_KEY))
    if run_started is not None:
        passed = {name for name in passed if not _after(last_failed.get(name), run_started)}
    if failed:
        last_failed.update({name: now.isoformat(timespec="seconds") for name in failed})
        store.save_memory({LAST_FAILED_KEY: json.dumps(last_failed, sort_keys=True, ensure_ascii=False)})
    failing_since = {name: known.get(name) or now.isoformat(timespec="seconds") for name in failed}
    failing_since.update({name: since for name, since in known.items() if name not in failed and name not in passed})
    store.save_memory({STATE_KEY: json.dumps(failing_since, sort_keys=True, ensure_ascii=False)})

    site = str(settings.get("BMKZ_BASE_URL") or "")
    alerts: dict[str, Alert] = {}  # by message text: channels told the same thing share one Alert
    for channel in channels:
        channel_key = f"{STATE_KEY}/{channel.name}"
        told = _load(memory.get(channel_key))
        started = {name: reason for name, reason in failed.items() if name not in told}
        recovered = {name: since for name, since in told.items() if name in passed and name not in failed}
        messages = []
        if started:
            messages.append(failing_message(site, run_label, started, failing_since))
        if recovered:
            messages.append(recovered_message(site, run_label, recovered))
        for kind, subject, text, monitors in messages:
            alert = alerts.setdefault(text, Alert(kind, subject, text, monitors))
            try:
                channel.send(subject, text)
            except Exception as error:  # AlertSendError, or anything a channel did not foresee
                if not isinstance(error, AlertSendError):
                    error = AlertSendError(f"{channel.name}: {type(error).__name__}: {_one_line(error)[:200]}")
                alert.errors[channel.name] = str(error)
                logger.error("Alert not sent on %s (retried next run): %s", channel.name, error)
                if stats is not None:
                    stats.inc_value(FAILED_STAT)
                break  # this channel's record stays as it was: the next run tells it again
            alert.sent.append(channel.name)
            if stats is not None:
                stats.inc_value(SENT_STAT)
            if kind == "failing":
                told.update({name: failing_since[name] for name in monitors})
            else:
                for name in monitors:
                    told.pop(name, None)
            store.save_memory({channel_key: json.dumps(told, sort_keys=True, ensure_ascii=False)})
    for alert in alerts.values():
        if alert.sent:
            logger.info("Alert %r sent on %s", alert.subject, ", ".join(alert.sent))
    return list(alerts.values())


def _load(text: str | None) -> dict[str, str]:
    try:
        value = json.loads(text or "{}")
    except ValueError:
        return {}
    return {str(k): str(v) for k, v in value.items()} if isinstance(value, dict) else {}


def failing_message(
    site: str, run_label: str, started: Mapping[str, str], failing_since: Mapping[str, str]
) -> tuple[str, str, str, list[str]]:
    names = sorted(started)
    subject = f"bmkz_crawler FAILING on {site}: {', '.join(names)}"
    lines = [f"bmkz_crawler on {site}: {_monitors(len(names))} started failing", f"Run: {run_label}", ""]
    lines += [f"- {name}: {_one_line(started[name])}" for name in names]
    lines += ["", "Nothing more is sent while they keep failing; a message follows when they pass again."]
    return "failing", subject, _clip("\n".join(lines)), names


def recovered_message(site: str, run_label: str, recovered: Mapping[str, str]) -> tuple[str, str, str, list[str]]:
    names = sorted(recovered)
    subject = f"bmkz_crawler recovered on {site}: {', '.join(names)}"
    lines = [f"bmkz_crawler on {site}: {_monitors(len(names))} passing again", f"Run: {run_label}", ""]
    lines += [f"- {name}: passes (failing since {_short_time(recovered[name])})" for name in names]
    return "recovered", subject, _clip("\n".join(lines)), names


def test_message(site: str, channel_names: Iterable[str], now: datetime) -> tuple[str, str]:
    subject = f"bmkz_crawler test alert for {site}"
    text = (
        f"bmkz_crawler on {site}: a test message from `scrapy alert-test` at {_short_time(now.isoformat())}.\n"
        f"Channels configured: {', '.join(channel_names)}.\n"
        "Alerts come when a monitor starts failing and when it passes again."
    )
    return subject, text


test_message.__test__ = False  # type: ignore[attr-defined]  # not a pytest test despite its name


def _monitors(count: int) -> str:
    return "1 monitor" if count == 1 else f"{count} monitors"


def _short_time(iso: str) -> str:
    try:
        return datetime.fromisoformat(iso).astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")
    except ValueError:
        return iso


def _clip(text: str) -> str:
    return text if len(text) <= MAX_MESSAGE_CHARS else text[: MAX_MESSAGE_CHARS - 1] + "…"


def send_test_alert(settings: BaseSettings, *, now: datetime | None = None) -> Alert:
    """`scrapy alert-test`: one message on every configured channel; the state is not touched."""
    channels = alert_channels(settings)
    subject, text = test_message(
        str(settings.get("BMKZ_BASE_URL") or ""), [c.name for c in channels], now or datetime.now(UTC)
    )
    alert = Alert("test", subject, text, [])
    for channel in channels:
        try:
            channel.send(subject, text)
        except AlertSendError as error:
            alert.errors[channel.name] = str(error)
        else:
            alert.sent.append(channel.name)
    return alert


# --- the spidermon action ----------------------------------------------------------------------


class AlertAction(Action):
    """Last of the monitor suite's finished actions: alert on what changed in the run's verdict."""

    def run_action(self) -> None:
        crawler = self.data.crawler
        settings = crawler.settings
        if not configured_channel_names(settings):
            return
        verdict = run_verdict(crawler)
        if verdict is None:
            logger.warning("No run verdict to alert on: VerdictAction must run before AlertAction")
            return
        alert_on_verdict(
            settings,
            verdict.failed,
            [*verdict.passed, CRAWL_STARTED],  # it ran: a "could not start" alert recovers
            run_label=run_label(crawler),
            stats=crawler.stats,
            run_started=run_start(crawler),
        )


def alert_not_started(settings: BaseSettings, reason: str) -> None:
    """A cron run that never reached its monitors (its spider could not start: a state store or
    archive that cannot be opened, a broken setting met late) is alerted as the monitor
    `Crawl started` failing — through the alert state when the state store opens, so once; when it
    does not, straight to every channel (nothing remembers that it was told: each such run tells)."""
    channels = alert_channels(settings) if configured_channel_names(settings) else []
    if not channels:
        return
    label = f"cron, {datetime.now(UTC):%Y-%m-%d %H:%M} UTC"
    try:
        alert_on_verdict(settings, {CRAWL_STARTED: reason}, [], run_label=label, channels=channels)
        return
    except Exception as error:  # the state store itself is what failed
        logger.warning("Alert state not readable (%s): telling every channel", _one_line(error))
    site = str(settings.get("BMKZ_BASE_URL") or "")
    _kind, subject, text, _monitors = failing_message(site, label, {CRAWL_STARTED: reason}, {})
    text = text.replace(
        "Nothing more is sent while they keep failing; a message follows when they pass again.",
        "The alert state could not be read either: every run that cannot start sends this again.",
    )
    for channel in channels:
        try:
            channel.send(subject, text)
        except Exception as error:
            logger.error("Alert not sent on %s: %s", channel.name, _one_line(error))


def run_start(crawler: Any) -> datetime | None:
    started = crawler.stats.get_value("start_time") if crawler.stats else None
    if isinstance(started, datetime):
        return started if started.tzinfo else started.replace(tzinfo=UTC)
    return None


def _after(moment: str | None, start: datetime) -> bool:
    """`moment` (ISO) is at or after `start`."""
    if not moment:
        return False
    try:
        parsed = datetime.fromisoformat(moment)
    except ValueError:
        return False
    return (parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)) >= start


def run_label(crawler: Any) -> str:
    """ "news, started 2026-12-06 16:00 UTC": the spider and its start time, for the message."""
    spider = getattr(crawler, "spider", None)
    name = getattr(spider, "name", None) or "crawl"
    started = run_start(crawler)
    return f"{name}, started {_short_time(started.isoformat())}" if started is not None else name
