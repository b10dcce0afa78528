"""The project on scrapyd: deployed with scrapyd-deploy, scheduled through schedule.json, run
against the mirror until listjobs.json says finished; its feed lands in the job's working
directory (scrapyd's own), under feeds/.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

from tests.crawl import FAST_SETTINGS, PROJECT, read_jsonl

DEPLOY = Path(sys.executable).with_name("scrapyd-deploy")


def call(url: str, data: dict[str, Any] | list[tuple[str, str]] | None = None) -> dict[str, Any]:
    body = urllib.parse.urlencode(data).encode() if data is not None else None
    with urllib.request.urlopen(url, data=body, timeout=30) as answer:
        return json.loads(answer.read())


def deployable_copy(target: Path, scrapyd_url: str) -> Path:
    """The project as scrapyd-deploy sees it, with the [deploy] url pointed at the test's scrapyd.
    A copy, because building the egg writes build/ and *.egg-info next to setup.py."""
    for name in ("setup.py", "pyproject.toml", "README.md"):
        shutil.copy(PROJECT / name, target / name)
    shutil.copytree(PROJECT / "bmkz_crawler", target / "bmkz_crawler", ignore=shutil.ignore_patterns("__pycache__"))
    config = (PROJECT / "scrapy.cfg").read_text(encoding="utf-8")
    assert "url = http://localhost:6800/" in config
    (target / "scrapy.cfg").write_text(config.replace("http://localhost:6800/", scrapyd_url), encoding="utf-8")
    return target


def test_deploy_schedule_and_run_on_scrapyd(scrapyd_server, mirror300, tmp_path: Path) -> None:
    url, scrapyd_dir = scrapyd_server
    project = deployable_copy(tmp_path, url)
    deployed = subprocess.run([str(DEPLOY)], cwd=project, capture_output=True, text=True, timeout=120)
    assert deployed.returncode == 0, deployed.stdout + deployed.stderr
    assert json.loads(deployed.stdout)["status"] == "ok", deployed.stdout
    assert call(url + "listspiders.json?project=bmkz_crawler")["spiders"] == ["news"]

    state = tmp_path / "state.sqlite3"
    settings = {**FAST_SETTINGS, "BMKZ_BASE_URL": mirror300.base_url, "BMKZ_STATE_URI": str(state)}
    form = [("project", "bmkz_crawler"), ("spider", "news")]
    form += [("setting", f"{name}={value}") for name, value in settings.items()]
    job = call(url + "schedule.json", form)
    assert job["status"] == "ok", job

    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        jobs = call(url + "listjobs.json?project=bmkz_crawler")
        if any(j["id"] == job["jobid"] for j in jobs["finished"]):
            break
        time.sleep(0.3)
    else:
        raise AssertionError(f"job {job['jobid']} did not finish: {jobs}")

    log = next((scrapyd_dir / "logs" / "bmkz_crawler" / "news").glob(f"{job['jobid']}.log")).read_text()
    assert "'finish_reason': 'finished'" in log, log[-3000:]
    feeds = sorted((scrapyd_dir / "feeds").glob("news-*.jsonl"))
    assert len(feeds) == 1, feeds
    assert {item["url"] for item in read_jsonl(feeds[0])} == {t["url"] for t in mirror300.truth()}
