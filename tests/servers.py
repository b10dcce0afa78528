"""Real servers for tests, started on free 127.0.0.1 ports and stopped afterwards: Redis, scrapyd,
PostgreSQL.

CI installs the Debian `redis-server` and `postgresql` packages (.ci/run); on a machine without
them, the Redis and PostgreSQL tests fail with a message saying how to install them, rather than
being skipped unnoticed.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
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


POSTGRES_ROOT = Path("/usr/lib/postgresql")  # Debian: /usr/lib/postgresql/<major>/bin
POSTGRES_DATABASE = "bmkz"


def postgres_bin() -> Path:
    """The bin folder of the newest PostgreSQL installed the Debian way."""
    found = sorted(POSTGRES_ROOT.glob("*/bin/initdb"), key=lambda path: int(path.parent.parent.name))
    if not found:
        pytest.fail(f"PostgreSQL is not installed (no {POSTGRES_ROOT}/<version>/bin/initdb): "
                    "`apt-get install -y postgresql` (.ci/run does this)")  # fmt: skip
    return found[-1].parent


@contextmanager
def running_postgres(workdir: Path) -> Iterator[str]:
    """A throw-away PostgreSQL cluster on a free port; yields `postgresql://postgres@127.0.0.1:PORT/bmkz`.

    initdb and the server refuse to run as root, so under root (as in CI) they run as the
    `postgres` user on a folder made for it. That folder is a fresh one under the system temp
    directory, not `workdir`: pytest's own temp tree is private to root (0700), which `postgres`
    cannot enter. The cluster is UTF8 with the C.UTF-8 locale (in the plain C locale the text
    search parser takes Cyrillic for non-letters and finds nothing), trusts local connections,
    does not fsync, and listens on 127.0.0.1 and a socket in its own folder only. It is stopped
    (`pg_ctl stop -m fast`) and deleted afterwards; its log is copied to `workdir/postgres.log`.
    """
    bin_dir = postgres_bin()
    as_postgres: list[str] = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
    workdir.mkdir(parents=True, exist_ok=True)
    root = Path(tempfile.mkdtemp(prefix="bmkz-postgres-"))
    data, log = root / "data", root / "postgres.log"
    if as_postgres:
        shutil.chown(root, "postgres", "postgres")
    port = free_port()

    def run(*command: str, what: str) -> None:
        done = subprocess.run([*as_postgres, *command], capture_output=True, text=True, cwd=root, check=False)
        if done.returncode != 0:
            server_log = log.read_text(encoding="utf-8", errors="replace") if log.exists() else ""
            raise RuntimeError(f"{what} failed ({done.returncode}): {done.stdout}{done.stderr}{server_log}"[-3000:])

    started = False
    try:
        run(str(bin_dir / "initdb"), "-D", str(data), "-U", "postgres", "-E", "UTF8", "--locale=C.UTF-8",
            "--auth=trust", "--no-sync", what="initdb")  # fmt: skip
        options = (
            f"-p {port} -k {root} -c listen_addresses=127.0.0.1 "
            "-c fsync=off -c synchronous_commit=off -c full_page_writes=off"
        )
        started = True  # from here on a half-started server is stopped too
        run(str(bin_dir / "pg_ctl"), "-D", str(data), "-l", str(log), "-o", options, "-w", "-t", "30", "start",
            what="pg_ctl start")  # fmt: skip
        # -w waits until the server accepts connections; createdb then connects over TCP as a client
        run(str(bin_dir / "createdb"), "-h", "127.0.0.1", "-p", str(port), "-U", "postgres", POSTGRES_DATABASE,
            what="createdb")  # fmt: skip
        yield f"postgresql://postgres@127.0.0.1:{port}/{POSTGRES_DATABASE}"
    finally:
        try:
            if started:
                subprocess.run([*as_postgres, str(bin_dir / "pg_ctl"), "-D", str(data), "-m", "fast", "-w", "stop"],
                               capture_output=True, cwd=root, check=False)  # fmt: skip
        finally:
            if log.exists():
                shutil.copyfile(log, workdir / "postgres.log")
            shutil.rmtree(root, ignore_errors=True)
