"""Real servers for tests, started on free 127.0.0.1 ports and stopped afterwards: Redis, scrapyd.

CI installs the Debian `redis-server` package (.ci/run); on a machine without it, the Redis tests
fail with a message saying how to install it, rather than being skipped unnoticed.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from bmkz_crawler.mirror.testing import stop_process

SCRAPYD = Path(sys.executable).with_name("scrapyd")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _wait(check: object, process: subprocess.Popen[bytes], what: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{what} exited with {process.returncode} before it was ready")
        try:
            if check():  # type: ignore[operator]
                return
        except OSError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"{what} not ready within {timeout}s")


@contextmanager
def running_redis(workdir: Path) -> Iterator[str]:
    """A throw-away redis-server (no persistence) on a free port; yields its redis:// URL."""
    binary = shutil.which("redis-server")
    if binary is None:
        pytest.fail("redis-server is not installed: `apt-get install -y redis-server` (.ci/run does this)")
    port = free_port()
    workdir.mkdir(parents=True, exist_ok=True)
    command = [binary, "--save", "", "--appendonly", "no", "--port", str(port), "--bind", "127.0.0.1",
               "--dir", str(workdir), "--logfile", str(workdir / "redis.log")]  # fmt: skip
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:

        def ping() -> bool:
            with socket.create_connection(("127.0.0.1", port), timeout=1) as connection:
                connection.sendall(b"PING\r\n")
                return connection.recv(16).startswith(b"+PONG")

        _wait(ping, process, "redis-server")
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        stop_process(process)


@contextmanager
def running_scrapyd(workdir: Path) -> Iterator[str]:
    """scrapyd with its own config file and directories under workdir; yields its base URL.
    Jobs run with workdir as their working directory."""
    port = free_port()
    workdir.mkdir(parents=True, exist_ok=True)
    (workdir / "scrapyd.conf").write_text(
        "[scrapyd]\n"
        f"bind_address = 127.0.0.1\nhttp_port = {port}\n"
        "eggs_dir = eggs\nlogs_dir = logs\ndbs_dir = dbs\nitems_dir =\n"
        "poll_interval = 0.2\nmax_proc = 2\n",
        encoding="utf-8",
    )
    log = (workdir / "scrapyd.out").open("wb")
    process = subprocess.Popen([str(SCRAPYD)], cwd=workdir, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}/"
    try:

        def status() -> bool:
            with urllib.request.urlopen(url + "daemonstatus.json", timeout=2) as answer:
                return answer.status == 200

        _wait(status, process, "scrapyd")
        yield url
    finally:
        stop_process(process)
        log.close()
