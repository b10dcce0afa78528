"""The real-pages part of the bench: its scoring rules, and the figure on a folder built here.

The folder under test is made from the project's own golden pages (gzipped, with a manifest in
the real folder's layout), so no test needs `../shared/real-pages` or the network. The golden
pages' expected JSON is the truth: ours should score full marks on it, and a wrong expectation
must cost exactly the point it is wrong on (so a broken scorer cannot pass).
"""

from __future__ import annotations

import gzip
import json
import unicodedata
from pathlib import Path
from typing import Any

import pytest

from bmkz_crawler.bench import real_pages
from bmkz_crawler.bench.real_pages import (
    DictStats,
    authors_ok,
    body_f1,
    date_ok,
    expected_precision,
    real_pages_figure,
    real_pages_table,
    snippet_counts,
    title_ok,
)

FIXTURES = Path(__file__).parent / "fixtures"
ARTICLES = ("seed_ru", "dom_only_ru", "kazakh_kk")  # two of them with authors
NEGATIVE = "static_page_not_article"


# --- scoring helpers -----------------------------------------------------------------------------


def test_precision_of_an_expectation() -> None:
    assert expected_precision("2025-10-23 15:50:00+00:00") == "minute"
    assert expected_precision("2025-05-07 13:42:21+00:00") == "second"
    assert expected_precision("2021-02-21 00:00:00") == "day"  # a time without offset names no instant
    assert expected_precision("2016-08-15") == "day"


def test_published_to_the_minute_when_the_expectation_has_zero_seconds() -> None:
    expected = "2025-10-23 15:50:00+00:00"
    assert date_ok("2025-10-23T20:50:00+05:00", expected)  # the same instant in Almaty time
    assert date_ok("2025-10-23T20:50:37+05:00", expected)  # the suite states no seconds
    assert not date_ok("2025-10-23T20:51:00+05:00", expected)
    assert not date_ok("2025-10-23T15:50:00+05:00", expected)  # same wall clock, another instant
    assert not date_ok("2025-10-23", expected)  # a day is not an instant
    assert not date_ok("2025-10-23T15:50:00", expected)  # nor is a time without offset


def test_published_to_the_second_when_the_expectation_has_seconds() -> None:
    expected = "2025-05-07 13:42:21+00:00"
    assert date_ok("2025-05-07T18:42:21+05:00", expected)
    assert not date_ok("2025-05-07T18:42:22+05:00", expected)


def test_published_on_the_day_when_the_expectation_is_a_day() -> None:
    assert date_ok("2021-02-21T23:00:00+05:00", "2021-02-21 00:00:00")
    assert not date_ok("2021-02-22T01:00:00+05:00", "2021-02-21 00:00:00")
    assert date_ok("2016-08-15T09:00:00+03:00", "2016-08-15")
    assert date_ok("2016-08-15", "2016-08-15")
    assert not date_ok(None, "2016-08-15")
    assert not date_ok("not a date", "2016-08-15")


def test_day_only_extractor_is_judged_on_the_day_of_an_instant() -> None:
    # trafilatura gives a day: on an expectation with a time its figure is day-level.
    assert date_ok("2025-10-23", "2025-10-23 15:50:00+00:00", day_only=True)
    assert not date_ok("2025-10-24", "2025-10-23 15:50:00+00:00", day_only=True)


def test_body_f1_takes_the_better_of_body_and_lead_plus_body() -> None:
    body, lead = "Second paragraph here.\n\nThird one, longer than that.", "A lead stated apart."
    printed_with_lead = lead + "\n\n" + body
    assert body_f1(printed_with_lead, body) < 1.0
    assert body_f1(printed_with_lead, body, lead) == pytest.approx(1.0)
    assert body_f1(body, body, lead) == pytest.approx(1.0)  # a site may not print the lead
    assert body_f1("Third One second paragraph HERE longer than that", body) == pytest.approx(1.0)  # bag, lowercased
    assert body_f1(None, body) == 0.0


def test_title_is_compared_after_nfc_and_whitespace() -> None:
    decomposed = unicodedata.normalize("NFD", "Қостанайда  жаңа\tмектеп ")
    assert title_ok(decomposed, "Қостанайда жаңа мектеп")
    assert not title_ok("Қостанайда жаңа мектеп ашылды", "Қостанайда жаңа мектеп")
    assert not title_ok(None, "x")


def test_authors_are_a_case_folded_set() -> None:
    assert authors_ok(["JOHN  Smith", "ana Lee"], ["Ana Lee", "John Smith"])
    assert authors_ok(["Straße"], ["STRASSE"])  # casefold, not lower
    assert not authors_ok(["John Smith"], ["John Smith", "Ana Lee"])
    assert not authors_ok([], ["John Smith"])
    assert authors_ok([], [])


def test_snippets_present_and_absent() -> None:
    body = "First  paragraph.\n\nSecond paragraph with a quote."
    assert snippet_counts(body, ["First paragraph.", "with a quote", "missing"], present=True) == 2
    assert snippet_counts(body, ["Share this", "Second paragraph"], present=False) == 1
    assert snippet_counts(None, ["anything"], present=False) == 1


def test_dict_stats_counts_like_scrapys_collector() -> None:
    stats = DictStats()
    stats.inc_value("a")
    stats.inc_value("a", 2)
    stats.inc_value("b", start=10)
    stats.set_value("c", "https://example.invalid/")
    assert stats.get_value("a") == 3 and stats.get_value("b") == 11 and stats.get_value("missing", 0) == 0
    assert stats.get_stats()["c"] == "https://example.invalid/"


# --- the figure on a folder built from the golden pages ------------------------------------------


def expectation(name: str) -> dict[str, Any]:
    article = json.loads((FIXTURES / "expected" / f"{name}.json").read_text(encoding="utf-8"))["article"]
    if article is None:
        return {"is_article": False}
    return {
        "title": article["title"],
        "published": article["published_at"],
        "body": article["body"],
        **({"authors": article["authors"]} if article["authors"] else {}),
    }


def make_folder(directory: Path, changes: dict[str, dict[str, Any]] | None = None) -> Path:
    """The golden pages in the real folder's layout; `changes` overrides expectations per page."""
    directory.mkdir()
    lines = []
    for name in (*ARTICLES, NEGATIVE):
        page = (FIXTURES / "pages" / f"{name}.html").read_bytes()
        (directory / f"{name}.html.gz").write_bytes(gzip.compress(page))
        record: dict[str, Any] = {
            "file": f"{name}.html.gz",
            "kind": "negative" if name == NEGATIVE else "smartmag",
            "expected": expectation(name) | (changes or {}).get(name, {}),
        }
        if name != NEGATIVE:  # the negative goes without a URL, as some suites give none
            record["url"] = (FIXTURES / "pages" / f"{name}.url").read_text(encoding="utf-8").strip()
        lines.append(json.dumps(record, ensure_ascii=False))
    (directory / "manifest.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return directory


@pytest.fixture(scope="module")
def right(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    pytest.importorskip("trafilatura", reason="the bench extra is not installed: pip install -e '.[bench]'")
    return real_pages_figure(make_folder(tmp_path_factory.mktemp("real") / "right"))


def test_figure_counts_the_golden_pages(right: dict[str, Any]) -> None:
    ours = right["ours"]
    assert (right["pages"], right["articles"], right["negatives"]) == (4, 3, 1)
    assert ours["recognised"] == {"count": 3, "of": 3, "share": 1.0}
    assert ours["negatives_refused"] == {"count": 1, "of": 1, "share": 1.0}
    assert ours["title"]["count"] == ours["title"]["of"] == 3
    assert ours["published"]["count"] == ours["published"]["of"] == 3
    assert ours["authors"]["count"] == ours["authors"]["of"] == 2
    assert ours["body_f1"] == {"mean": 1.0, "pages": 3}
    assert ours["snippets_with"]["of"] == 0 and ours["snippets_with"]["share"] is None
    assert right["trafilatura"]["negatives_refused"]["count"] == 0  # trafilatura never refuses a page
    assert right["trafilatura"]["recognised"]["of"] == 3
    assert ours["ms_per_page"] > 0 and right["trafilatura"]["ms_per_page"] > 0
    assert right["sources"]["title"] and sum(right["sources"]["title"].values()) == 3
    assert [page["file"] for page in right["details"]] == [f"{n}.html.gz" for n in (*ARTICLES, NEGATIVE)]
    assert all(not page["misses"] for page in right["details"])
    goals = right["goals"]
    assert goals["all_articles_recognised"] and goals["all_non_articles_refused"] and goals["date_all_right"]
    json.dumps(right)  # the JSON output of the run


def test_wrong_expectations_cost_their_points(tmp_path: Path, right: dict[str, Any]) -> None:
    body = expectation("kazakh_kk")["body"]
    changes = {
        "seed_ru": {"title": "Another title", "published": "2025-11-08"},
        "dom_only_ru": {"authors": ["Someone Else"]},
        "kazakh_kk": {"body": body + "\n\n" + " ".join(f"word{i}" for i in range(200))},
        NEGATIVE: {"is_article": True, "title": "О нас"},  # now an article ours refuses
    }
    wrong = real_pages_figure(make_folder(tmp_path / "wrong", changes))
    ours = wrong["ours"]
    assert ours["title"]["count"] == 2 and ours["title"]["of"] == 4  # seed wrong, the refused page scores 0
    assert ours["published"]["count"] == 2 and ours["published"]["of"] == 3
    assert ours["authors"]["count"] == 1
    assert ours["body_f1"]["mean"] < right["ours"]["body_f1"]["mean"]
    assert ours["recognised"] == {"count": 3, "of": 4, "share": 0.75}
    assert ours["negatives_refused"]["of"] == 0
    goals = wrong["goals"]
    assert not goals["all_articles_recognised"] and not goals["date_all_right"]
    details = {page["file"]: page for page in wrong["details"]}
    assert details["seed_ru.html.gz"]["misses"]["title"]["expected"] == "Another title"
    assert details["seed_ru.html.gz"]["misses"]["published"]["rule"] == "day"
    assert details["dom_only_ru.html.gz"]["misses"]["authors"]["expected"] == ["Someone Else"]
    assert details["kazakh_kk.html.gz"]["misses"]["body"]["f1"] < 0.97
    assert details[f"{NEGATIVE}.html.gz"]["misses"]["recognised"] == {"got": False, "expected": True}
    assert "NO" in real_pages_table(wrong)


def test_table_prints_every_figure(right: dict[str, Any]) -> None:
    text = real_pages_table(right)
    header, rule, *rows = text.splitlines()
    assert [cell.strip() for cell in header.split("|")] == ["figure", "ours", "trafilatura", "goal", "holds"]
    assert set(rule) <= {"-", "+"}
    for label in ("recognised", "non-articles refused", "title exact", "published", "body token F1", "authors"):
        assert any(label in row for row in rows), label
    assert "3/3 (100.0%)" in text and "0/1 (0.0%)" in text
    assert "misses ≤ 1 (≥ 2/3)" in text
    assert "day only" in text  # trafilatura's date figure is labelled day-level
    assert "no misses" in real_pages.details_text(right)


def test_cli_prints_the_table_and_writes_json(
    tmp_path: Path, right: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    folder = make_folder(tmp_path / "folder")
    out = tmp_path / "real.json"
    assert real_pages.main([str(folder), "--json", str(out), "--details"]) == 0
    printed = capsys.readouterr().out
    assert printed.startswith("figure") and "no misses" in printed
    assert json.loads(out.read_text(encoding="utf-8"))["ours"]["recognised"]["count"] == 3


def test_bench_runs_the_real_pages_part_alone(
    tmp_path: Path, right: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    from bmkz_crawler.bench import runner

    folder = make_folder(tmp_path / "folder")
    out = tmp_path / "bench.json"
    assert runner.main(["--real-pages", str(folder), "--only", "real-pages", "--json", str(out)]) == 0
    header = capsys.readouterr().out.splitlines()[0]
    # The real-pages table alone: the main table's header is `figure | measured | ...`.
    assert [cell.strip() for cell in header.split("|")][:2] == ["figure", "ours"]
    figures = json.loads(out.read_text(encoding="utf-8"))
    assert set(figures) == {"machine", "real_pages"}
    with pytest.raises(SystemExit):
        runner.main(["--only", "real-pages"])  # needs a folder
