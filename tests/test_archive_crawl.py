"""The archive end to end, on SQLite and on PostgreSQL: real `scrapy crawl news` runs against a
mirror that grows, edits visibly, edits silently and deletes (issue 14). What the archive holds
afterwards is compared with what the mirror says it did (`MirrorHandle.changes()`)."""

from __future__ import annotations

from pathlib import Path

import pytest

from bmkz_crawler import stats_keys as keys
from bmkz_crawler.archive import open_archive
from bmkz_crawler.archive.base import ArchiveStore, SearchQuery
from bmkz_crawler.archive.changes import edits
from bmkz_crawler.mirror.testing import running_mirror
from bmkz_crawler.policy import GONE_CHECK_ASKED
from bmkz_crawler.state.base import state_key
from tests.crawl import run_crawl
from tests.servers import free_port

SMALL, GROWN = 60, 72


@pytest.mark.parametrize(
    ("store", "deleted_redirect"), [("sqlite", False), ("postgresql", False), ("sqlite", True)]
)
def test_versions_silent_edits_and_deletions_from_two_crawls_of_a_growing_site(
    store: str, deleted_redirect: bool, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    """With `deleted_redirect` the site answers a deleted article with a 301 to its edition's
    home page, as a redirection plugin does, instead of 404: still a deletion."""
    archive_uri = (
        str(tmp_path / "archive.sqlite3") if store == "sqlite" else request.getfixturevalue("postgres_database")
    )
    settings = {"BMKZ_STATE_URI": str(tmp_path / "state.sqlite3"), "BMKZ_ARCHIVE_URI": archive_uri}

    port = ["--port", str(free_port())]  # one site: the second mirror serves the same origin
    with running_mirror(tmp_path / "small", articles=SMALL, extra_args=port) as small:
        first = run_crawl(small.base_url, tmp_path / "run1", settings=settings)
        truth_before = {state_key(row["url"]): row for row in small.truth()}
    assert first.returncode == 0, first.log[-3000:]
    assert first.stat(keys.ARCHIVED) == SMALL == len(first.items)

    # The site grows by 12 articles; meanwhile some older ones were edited (visibly or silently)
    # or deleted. A mode=full run reads every sitemap, so it fetches every article again and asks
    # the archived ones no sitemap lists any more.
    grown_args = [*port, *(["--deleted-redirect"] if deleted_redirect else [])]
    with running_mirror(tmp_path / "grown", articles=GROWN, grown_from=[SMALL], extra_args=grown_args) as grown:
        second = run_crawl(grown.base_url, tmp_path / "run2", settings=settings, args={"mode": "full"})
        changes, truth_after = grown.changes(), {state_key(row["url"]): row for row in grown.truth()}
        asked_deleted = [r for r in grown.requests() if r.path in {e["path"] for e in changes["deleted"]}]
    assert second.returncode == 0, second.log[-3000:]
    silent = {state_key(entry["url"]) for entry in changes["silent_edits"]}
    deleted = {state_key(entry["url"]) for entry in changes["deleted"]}
    visible = {url for url, row in truth_after.items() if url in truth_before and row["content_hash"] != truth_before[url]["content_hash"]} - silent  # fmt: skip
    assert len(silent) == 3 and len(deleted) == 2 and visible
    gone_status = 301 if deleted_redirect else 404
    assert second.stat(GONE_CHECK_ASKED) == 2 and {r.status for r in asked_deleted} == {gone_status}

    archive: ArchiveStore | None = open_archive(archive_uri)
    assert archive is not None
    try:
        stats = archive.stats()
        assert (stats.articles, stats.gone) == (GROWN, 2)
        assert stats.versions == GROWN + len(silent) + len(visible)  # mode=full re-exports add nothing
        found = {state_key(edit.version["url"]): edit for edit in edits(archive.edited())}
        assert set(found) == silent | visible
        assert {url for url, edit in found.items() if edit.silent} == silent  # every silent edit, no false one
        for url in silent:
            history = archive.history(url)
            assert [v["content_hash"] for v in history] == [
                truth_before[url]["content_hash"],
                truth_after[url]["content_hash"],
            ]
            assert history[0]["modified_at"] == history[1]["modified_at"]
            assert "body" in found[url].fields and found[url].words_added["body"] > 0  # related links may go too
        assert {state_key(g.url) for g in archive.gone()} == deleted
        assert all(g.status == gone_status and g.last_version["url"] for g in archive.gone())
        # search in both editions finds an article by a word of its title
        for language in ("ru", "kk"):
            row = next(r for r in truth_after.values() if r["language"] == language)
            word = max(row["title"].split(), key=len).strip(".,:;«»\"'()!?")
            hits = archive.search(SearchQuery(word, language=language, limit=50))
            assert state_key(row["url"]) in {state_key(hit.version["url"]) for hit in hits}, (language, word)
    finally:
        archive.close()
