"""The crawler against a hostile site (tests/hostile_site.py): every trap ends within its bound,
nothing leaves the site's scheme-host-port, and every bad input is answered with a count or one line.
"""

from __future__ import annotations

import csv
import subprocess
from pathlib import Path

import pytest
from scrapy.settings import Settings

from bmkz_crawler import settings as project_settings
from bmkz_crawler.commands.crawl import keep_only_command_line_feeds, nothing_fetched
from bmkz_crawler.config import SettingsError, check_settings
from bmkz_crawler.processors import on_site, same_site
from tests.crawl import CrawlResult, collect, crawl_command
from tests.hostile_site import (
    CP1251_ARTICLE,
    GOOD_ARTICLES,
    NUL_ARTICLE,
    VALID_NEIGHBOUR,
    HostileSite,
    running_hostile_site,
)
from tests.servers import free_port

ARCHIVE_MAX_PAGES = 25
SITEMAP_MAX_DEPTH = 3


@pytest.fixture(scope="module")
def hostile() -> HostileSite:
    with running_hostile_site() as site:
        yield site


@pytest.fixture(scope="module")
def hostile_crawl(hostile: HostileSite, tmp_path_factory: pytest.TempPathFactory) -> CrawlResult:
    workdir = tmp_path_factory.mktemp("hostile")
    argv, env = crawl_command(
        hostile.base_url,
        workdir,
        args={"mode": "full"},
        settings={"BMKZ_ARCHIVE_MAX_PAGES": str(ARCHIVE_MAX_PAGES), "BMKZ_SITEMAP_MAX_DEPTH": str(SITEMAP_MAX_DEPTH)},
    )
    argv += ["-O", str(workdir / "items.csv")]
    completed = subprocess.run(
        argv, cwd=Path(__file__).parents[1], env=env, capture_output=True, text=True, timeout=120
    )
    result = collect(workdir, completed.returncode, completed.stdout + completed.stderr, "items.jsonl")
    result.outputs["csv"] = workdir / "items.csv"
    return result


def test_every_real_article_is_delivered_once_and_nothing_else(
    hostile_crawl: CrawlResult, hostile: HostileSite
) -> None:
    assert hostile_crawl.returncode == 0, hostile_crawl.log[-3000:]
    urls = sorted(item["url"] for item in hostile_crawl.items)
    expected = sorted(
        hostile.base_url + path.lstrip("/") for path in (*GOOD_ARTICLES, VALID_NEIGHBOUR, CP1251_ARTICLE, NUL_ARTICLE)
    )
    assert urls == expected


def test_no_request_leaves_the_sites_scheme_host_port(hostile_crawl: CrawlResult, hostile: HostileSite) -> None:
    assert hostile.other_requests.paths == []  # the same host on another port: never asked
    assert "/politika/drugoe-imya/" not in hostile.requests.paths  # `localhost`, another host name
    assert hostile_crawl.stat("bmkz/filtered/offsite") >= 1  # the redirect (off-site cards are never listed)


def test_endless_pagination_ends_by_the_stale_rule_and_the_backstop(
    hostile_crawl: CrawlResult, hostile: HostileSite
) -> None:
    loop_pages = [p for p in hostile.requests.paths if p.startswith("/category/loop/")]
    endless_pages = [p for p in hostile.requests.paths if p.startswith("/category/endless/")]
    # the repeating archive: page 1 is stale already (home listed its cards), so pages 1-3
    assert len(loop_pages) == 3
    assert hostile_crawl.stat("bmkz/bounds/archive_stale") == 1
    # the archive of ever-new (404) cards: the backstop, with its loud warning in mode=full
    assert len(endless_pages) == ARCHIVE_MAX_PAGES
    assert hostile_crawl.stat("bmkz/bounds/archive_max_pages") == 1
    assert "a full backfill may be incomplete" in hostile_crawl.log


def test_endless_sitemap_index_chain_ends_at_its_depth(hostile_crawl: CrawlResult, hostile: HostileSite) -> None:
    chain = [p for p in hostile.requests.paths if p.startswith("/chain/")]
    assert len(chain) == SITEMAP_MAX_DEPTH  # /chain/1 is depth 1 below the index
    assert hostile_crawl.stat("bmkz/bounds/sitemap_depth") == 1
    assert hostile_crawl.log.count("counted as bmkz/bounds/sitemap_depth") == 1


def test_billion_laughs_sitemap_costs_its_doctype_not_its_valid_entry(
    hostile_crawl: CrawlResult, hostile: HostileSite
) -> None:
    assert hostile_crawl.stat("bmkz/sitemap/doctype_removed") == 1
    assert VALID_NEIGHBOUR in hostile.requests.paths


def test_redirect_loops_are_counted_as_such(hostile_crawl: CrawlResult) -> None:
    assert hostile_crawl.stat("bmkz/errors/redirect_loop") == 2  # ever-new hops, and a two-page cycle
    assert not hostile_crawl.stats_with_prefix("bmkz/errors/download/")


def test_cp1251_declared_utf8_is_redetected_and_counted(hostile_crawl: CrawlResult, hostile: HostileSite) -> None:
    item = next(i for i in hostile_crawl.items if i["url"].endswith(CP1251_ARTICLE))
    assert item["body"].startswith("Астана. 7 ноября. BM.KZ – Глава государства")
    assert "\ufffd" not in item["body"] + item["title"]
    assert hostile_crawl.stat("bmkz/charset_redetected") == 1


def test_nul_is_removed_so_csv_neutralizes_the_formula(hostile_crawl: CrawlResult) -> None:
    item = next(i for i in hostile_crawl.items if i["url"].endswith(NUL_ARTICLE))
    assert item["title"].startswith("=cmd") and "\u0000" not in item["title"]
    with hostile_crawl.outputs["csv"].open(encoding="utf-8", newline="") as feed:
        rows = {row["url"]: row for row in csv.DictReader(feed)}
    assert rows[item["url"]]["title"].startswith("'=cmd")


def test_command_line_outputs_replace_the_default_feeds(hostile_crawl: CrawlResult) -> None:
    # -O items.jsonl and -O items.csv: those two feeds and no feeds/news-*.jsonl|csv beside them
    assert sum(hostile_crawl.stats_with_prefix("feedexport/success_count/").values()) == 2
    settings = Settings({"FEEDS": project_settings.FEEDS}, priority="project")
    settings.set("FEEDS", {"out.jsonl": {"format": "jsonlines"}}, priority="cmdline")
    keep_only_command_line_feeds(settings, {"out.jsonl": {"format": "jsonlines"}})
    assert list(settings.getdict("FEEDS")) == ["out.jsonl"]


# --- the one origin rule ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "site", "same"),
    [
        ("https://bm.kz/a/", "https://bm.kz/", True),
        ("https://www.bm.kz/a/", "https://bm.kz/", True),
        ("https://kz.bm.kz/a/", "https://bm.kz/", True),
        ("https://bm.kz/a/", "https://kz.bm.kz/", False),  # never the parent domain
        ("https://kz/a/", "https://bm.kz/", False),
        ("https://m.kz/a/", "https://bm.kz/", False),
        ("https://evilbm.kz/a/", "https://bm.kz/", False),
        ("http://0.0.1/a/", "http://127.0.0.1/", False),  # no subdomain rule for IP addresses
        ("http://1.127.0.0.1/a/", "http://127.0.0.1/", False),
        ("http://127.0.0.1:8001/a/", "http://127.0.0.1:8000/", False),  # the same port
        ("http://127.0.0.1:80/a/", "http://127.0.0.1/", True),
        ("http://bm.kz/a/", "https://bm.kz/", True),  # one site; on_site upgrades it
        ("https://bm.kz:8443/a/", "https://bm.kz/", False),
        ("ftp://bm.kz/a/", "https://bm.kz/", False),
        ("https://bm.kz:99999/a/", "https://bm.kz/", False),
    ],
)
def test_one_origin_rule(url: str, site: str, same: bool) -> None:
    assert same_site(url, site) is same


def test_a_same_host_http_link_on_an_https_site_is_upgraded() -> None:
    assert on_site("http://bm.kz/a/", ["https://bm.kz/"]) == "https://bm.kz/a/"
    assert on_site("https://www.bm.kz/a/", ["https://bm.kz/"]) == "https://bm.kz/a/"  # www. an alias: one URL
    assert on_site("http://bm.kz:80/a/?x=1", ["https://www.bm.kz/"]) == "https://www.bm.kz/a/?x=1"
    assert on_site("http://bm.kz/a/", ["http://bm.kz/"]) == "http://bm.kz/a/"
    assert on_site("http://other.kz/a/", ["https://bm.kz/"]) is None


# --- bad settings and a site that cannot be reached: one line each ----------------------------------


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("BMKZ_BASE_URL", "notaurl", "BMKZ_BASE_URL='notaurl' is not accepted"),
        ("BMKZ_STATE_URI", "postgres://x", "no state store for postgres:"),
        ("BMKZ_SWEEP_HOURS", "abc", "BMKZ_SWEEP_HOURS='abc' is not accepted: use a number"),
        ("BMKZ_MAX_ERROR_RATE", "abc", "BMKZ_MAX_ERROR_RATE='abc'"),
        ("BMKZ_MAX_ERROR_RATE", "1.5", "use a number in [0, 1]"),
        ("BMKZ_PROGRESS_INTERVAL", "-5", "BMKZ_PROGRESS_INTERVAL=-5.0 is not accepted"),
        ("BMKZ_PROFILE", "bogus", "BMKZ_PROFILE='bogus' is not accepted"),
        ("BMKZ_ARCHIVE_MAX_PAGES", "0", "BMKZ_ARCHIVE_MAX_PAGES=0 is not accepted"),
        ("BMKZ_REDIS_URL", "http://x", "BMKZ_REDIS_URL='http://x' is not accepted"),
    ],
)
def test_bad_settings_are_refused_in_one_line(name: str, value: str, message: str, tmp_path: Path) -> None:
    settings = Settings({"BMKZ_STATE_URI": str(tmp_path / "state.sqlite3"), "FEEDS": {}})
    settings.setmodule(project_settings, priority="default")
    settings.set("BMKZ_STATE_URI", str(tmp_path / "state.sqlite3"), priority="cmdline")
    settings.set("FEEDS", {str(tmp_path / "x.jsonl"): {"format": "jsonlines"}}, priority="cmdline")
    check_settings(settings)  # the defaults pass
    settings.set(name, value, priority="cmdline")
    with pytest.raises(SettingsError, match=message.replace("[", r"\[").replace("(", r"\(")) as raised:
        check_settings(settings)
    assert "\n" not in str(raised.value)


def test_an_unreadable_state_file_and_an_unwritable_feed_folder_are_named(tmp_path: Path) -> None:
    settings = Settings()
    settings.setmodule(project_settings, priority="default")
    corrupt = tmp_path / "state.sqlite3"
    corrupt.write_bytes(b"this is not a database" * 100)
    settings.set("BMKZ_STATE_URI", str(corrupt), priority="cmdline")
    settings.set("FEEDS", {}, priority="cmdline")
    with pytest.raises(SettingsError, match=f"state file {corrupt} cannot be opened: file is not a database"):
        check_settings(settings)
    settings.set("BMKZ_STATE_URI", str(tmp_path / "fresh.sqlite3"), priority="cmdline")
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("x")
    settings.set("FEEDS", {f"{blocker}/feeds/%(name)s.jsonl": {"format": "jsonlines"}}, priority="cmdline")
    with pytest.raises(SettingsError, match="is not a folder"):
        check_settings(settings)


def run_scrapy(
    args: list[str], tmp_path: Path, base_url: str = "http://127.0.0.1:1/"
) -> subprocess.CompletedProcess[str]:
    argv, env = crawl_command(base_url, tmp_path, output=None)
    argv += args
    return subprocess.run(argv, cwd=Path(__file__).parents[1], env=env, capture_output=True, text=True, timeout=120)


def test_bad_setting_and_unknown_argument_exit_2_with_one_line(tmp_path: Path) -> None:
    for extra, message in (
        (["-s", "BMKZ_SWEEP_HOURS=abc"], "error: BMKZ_SWEEP_HOURS='abc' is not accepted: use a number"),
        (["-a", "max_article=5"], "error: unknown argument max_article: accepted are lang, max_articles,"),
    ):
        completed = run_scrapy(extra, tmp_path)
        assert completed.returncode == 2, completed.stderr[-2000:]
        assert completed.stderr.strip().splitlines() == [completed.stderr.strip()]  # one line
        assert completed.stderr.startswith(message)


def test_a_site_that_cannot_be_reached_exits_1_naming_the_cause(tmp_path: Path) -> None:
    closed = f"http://127.0.0.1:{free_port()}/"
    completed = run_scrapy(["-s", "RETRY_TIMES=0", "-O", str(tmp_path / "a.jsonl")], tmp_path, closed)
    assert completed.returncode == 1
    assert completed.stderr.strip() == f"error: no page of {closed} was fetched: DownloadConnectionRefusedError ×1"


def test_nothing_fetched_names_robots_and_http_causes() -> None:
    assert nothing_fetched({"bmkz/site_pages": 3}, "https://bm.kz/") is None
    line = nothing_fetched({"robotstxt/forbidden": 2, "bmkz/errors/http/503": 4}, "https://bm.kz/")
    assert (
        line == "error: no page of https://bm.kz/ was fetched: robots.txt forbids it (2 requests refused); HTTP 503 ×4"
    )
