"""The mirror's silent edits and deletions (issue 14): a site told the sizes it grew through
rewrites a few older bodies without a new modified_at and deletes a few older articles."""

from __future__ import annotations

import re
import urllib.error
import urllib.request
from functools import cache
from pathlib import Path

import pytest

from bmkz_crawler.mirror import cli
from bmkz_crawler.mirror.app import MirrorApp
from bmkz_crawler.mirror.model import MirrorSite
from bmkz_crawler.mirror.testing import running_mirror
from bmkz_crawler.mirror.truth import changes_report, iter_truth

BASE = "http://127.0.0.1:8765/"
SMALL, GROWN = 400, 437
_MODIFIED = re.compile(r'article:modified_time" content="([^"]+)"|"dateModified":\s*"([^"]+)"')
_LASTMOD = r"<loc>{url}</loc>\s*<lastmod>([^<]+)</lastmod>"


@cache
def site(articles: int, grown_from: tuple[int, ...] = (), silent_edits: int = 3, deletions: int = 2) -> MirrorSite:
    return MirrorSite(1, articles, grown_from=grown_from, silent_edits=silent_edits, deletions=deletions)


@cache
def truth(articles: int, grown_from: tuple[int, ...] = ()) -> dict[str, dict]:
    return {record["url"]: record for record in iter_truth(site(articles, grown_from), BASE)}


def page(model: MirrorSite, path: str, theme: str = "smartmag") -> tuple[int, str]:
    reply = MirrorApp(model, BASE, theme=theme).respond("GET", path)
    return reply.status, reply.body.decode("utf-8")


def test_a_site_not_told_its_history_neither_edits_silently_nor_deletes() -> None:
    plain = site(GROWN)
    assert plain.steps == [] and not any(meta.deleted or meta.silent_edit for meta in plain.articles)
    report = changes_report(plain, BASE)
    assert (report["grown_from"], report["silent_edits"], report["deleted"]) == ([], [], [])


def test_a_growth_step_edits_three_older_articles_silently_and_deletes_two() -> None:
    (step,) = site(GROWN, (SMALL,)).steps
    assert (step.grown_from, step.size, len(step.silent_edits), len(step.deleted)) == (SMALL, GROWN, 3, 2)
    assert all(i < SMALL for i in (*step.silent_edits, *step.deleted, *step.edited))
    assert not set(step.silent_edits) & set(step.deleted) and not set(step.edited) & {*step.silent_edits, *step.deleted}
    assert site(GROWN, (SMALL,)).steps == MirrorSite(1, GROWN, grown_from=[SMALL]).steps  # deterministic


def test_silent_edit_changes_the_body_but_no_date_anywhere() -> None:
    before, after = truth(SMALL), truth(GROWN, (SMALL,))
    grown = site(GROWN, (SMALL,))
    report = changes_report(grown, BASE)
    assert len(report["silent_edits"]) == 3
    for entry in report["silent_edits"]:
        old, new = before[entry["url"]], after[entry["url"]]
        assert {field for field in new if new[field] != old[field]} == {"body", "word_count", "content_hash"}
        assert (entry["modified_at"], entry["content_hash"]) == (new["modified_at"], new["content_hash"])
        for theme in ("smartmag", "newsroom"):
            _, old_page = page(site(SMALL), entry["path"], theme)
            status, new_page = page(grown, entry["path"], theme)
            assert status == 200 and _MODIFIED.findall(new_page) == _MODIFIED.findall(old_page)
        edition = "kz/" if entry["language"] == "kk" else ""
        lastmod = re.compile(_LASTMOD.format(url=re.escape(entry["url"])))
        assert lastmod.findall(page(grown, f"/{edition}post-sitemap.xml")[1]) == lastmod.findall(
            page(site(SMALL), f"/{edition}post-sitemap.xml")[1]
        )


def test_silent_edit_changes_only_its_own_page() -> None:
    """No listing, feed or sitemap betrays a silent edit (its lead, which cards show, stays)."""
    quiet, plain = MirrorApp(site(GROWN, (SMALL,), 3, 0), BASE), MirrorApp(site(GROWN), BASE)
    edited = {entry["path"] for entry in changes_report(quiet.site, BASE)["silent_edits"]}
    differing = {path for path in plain.page_paths() if quiet.respond("GET", path) != plain.respond("GET", path)}
    assert differing == edited | {f"{path}amp/" for path in edited}


@pytest.mark.parametrize("theme", ["smartmag", "newsroom"])
def test_deleted_article_answers_404_and_nothing_lists_or_links_it(theme: str) -> None:
    grown = site(GROWN, (SMALL,))
    report = changes_report(grown, BASE)
    assert report["deleted_status"] == 404 and len(report["deleted"]) == 2
    app = MirrorApp(grown, BASE, theme=theme)
    for entry in report["deleted"]:
        assert entry["url"] in truth(SMALL) and entry["url"] not in truth(GROWN, (SMALL,))
        for target in (entry["path"], f"{entry['path']}amp/", f"/?p={entry['post_id']}"):
            assert app.respond("GET", target).status == 404
    gone = [entry["path"].encode() for entry in report["deleted"]]
    paths = list(app.page_paths())
    assert not {entry["path"] for entry in report["deleted"]} & set(paths)
    for path in paths:
        reply = app.respond("GET", path)
        assert reply.status == 200, path
        assert not any(dead in reply.body for dead in gone), f"{path} still links a deleted article"


def test_deletion_changes_no_other_article_but_its_lost_links() -> None:
    after, plain = truth(GROWN, (SMALL,)), truth(GROWN)
    silent = {entry["url"] for entry in changes_report(site(GROWN, (SMALL,)), BASE)["silent_edits"]}
    changed = {
        field
        for url, record in after.items()
        if url not in silent
        for field in record
        if record[field] != plain[url][field]
    }
    assert changed == {"related_urls"}


def test_a_longer_history_keeps_the_earlier_steps() -> None:
    two_steps = site(340, (300, 320))
    first, second = two_steps.steps
    assert first == site(320, (300,)).steps[0]
    assert (second.grown_from, second.size) == (320, 340)
    assert not {*first.silent_edits, *first.deleted} & {*second.silent_edits, *second.deleted}
    assert all(two_steps.articles[i].deleted for i in (*first.deleted, *second.deleted))
    report = changes_report(two_steps, BASE)
    assert len(report["deleted"]) == 4 and len(report["silent_edits"]) == 6
    # a silent edit of the first step is still the body the 320-site showed
    earlier = truth(320, (300,))
    assert all(
        truth(340, (300, 320))[e["url"]]["body"] == earlier[e["url"]]["body"]
        for e in report["steps"][0]["silent_edits"]
    )


def test_counts_per_step_are_switches() -> None:
    (step,) = site(GROWN, (SMALL,), 0, 5).steps
    assert (len(step.silent_edits), len(step.deleted)) == (0, 5)


@pytest.mark.parametrize(
    "argv",
    [
        ["--articles", "300", "--grown-from", "300"],
        ["--articles", "300", "--grown-from", "200", "100"],
        ["--articles", "300", "--grown-from", "0"],
        ["--articles", "300", "--grown-from", "200", "--deletions", "-1"],
    ],
)
def test_cli_refuses_an_impossible_history(argv: list[str]) -> None:
    with pytest.raises(SystemExit):
        cli.parse_args(argv)


def test_running_mirror_reports_its_changes(tmp_path: Path) -> None:
    with running_mirror(tmp_path, articles=120, grown_from=[100], silent_edits=2, deletions=1) as mirror:
        truth_urls = {record["url"] for record in mirror.truth()}
        assert len(mirror.silently_edited()) == 2 and mirror.silently_edited() <= truth_urls
        (deleted,) = mirror.deleted()
        assert deleted.startswith(mirror.base_url) and deleted not in truth_urls
        with pytest.raises(urllib.error.HTTPError) as answer:
            urllib.request.urlopen(deleted, timeout=10)
        assert answer.value.code == 404
        assert mirror.changes()["grown_from"] == [100]
