"""`scrapy alert-test`: send a test message on every configured alert channel.

    BMKZ_TELEGRAM_BOT_TOKEN=... scrapy alert-test -s BMKZ_ALERT_CHANNELS=telegram -s BMKZ_TELEGRAM_CHAT_ID=...

Prints one line per channel (sent, or why not) and exits 0 when every channel accepted the
message, 1 when one did not, 2 when the alert settings are refused (no channel configured, a
channel without its settings or secret, a secret given with -s) — the line says which.
The alert state is not touched: a test message is not an alert.

The module's name is the command's: Scrapy names a COMMANDS_MODULE command after its module
(`cmdline._get_commands_from_module`), and importlib loads a file named `alert-test.py` as any
other; an `alert_test.py` would have made the command `scrapy alert_test`.
"""

from __future__ import annotations

import argparse
import sys

from scrapy.commands import ScrapyCommand

from bmkz_crawler.config import SettingsError, check_settings
from bmkz_crawler.monitoring.alerts import configured_channel_names, send_test_alert

EXIT_FAILED = 1
EXIT_BAD_SETTINGS = 2


class Command(ScrapyCommand):
    requires_project = True
    requires_crawler_process = False  # sends and prints, crawls nothing: no Scrapy log banner

    def syntax(self) -> str:
        return "[-s BMKZ_ALERT_CHANNELS=email,telegram,slack ...]"

    def short_desc(self) -> str:
        return "Send a test alert on every configured channel (BMKZ_ALERT_CHANNELS)"

    def run(self, args: list[str], opts: argparse.Namespace) -> None:
        assert self.settings is not None
        try:
            check_settings(self.settings)
        except SettingsError as error:
            print(f"error: {error}", file=sys.stderr)
            self.exitcode = EXIT_BAD_SETTINGS
            return
        if not configured_channel_names(self.settings):
            print(
                "error: no alert channel configured: set BMKZ_ALERT_CHANNELS (email, telegram, slack)", file=sys.stderr
            )
            self.exitcode = EXIT_BAD_SETTINGS
            return
        alert = send_test_alert(self.settings)
        for name in alert.sent:
            print(f"{name}: sent")
        for name, reason in alert.errors.items():
            print(f"{name}: NOT sent: {reason}")
        if alert.errors:
            self.exitcode = EXIT_FAILED
