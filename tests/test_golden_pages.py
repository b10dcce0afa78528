"""Every golden page, every field: the extractor against the reviewed expected JSON."""

from __future__ import annotations

import json

import pytest

from tests.fixtures.make_expected import FIXTURES, extracted, page_names

NAMES = page_names()


def test_there_are_enough_golden_pages() -> None:
    assert len([n for n in NAMES if json.loads((FIXTURES / "expected" / f"{n}.json").read_text())["article"]]) >= 10


@pytest.mark.parametrize("name", NAMES)
def test_golden_page_matches_expected_field_by_field(name: str) -> None:
    expected = json.loads((FIXTURES / "expected" / f"{name}.json").read_text(encoding="utf-8"))["article"]
    actual = extracted(name)
    if expected is None:
        assert actual is None
        return
    assert actual is not None
    assert list(actual) == list(expected), "fields differ from the contract"
    for field, value in expected.items():
        assert actual[field] == value, f"{name}: field {field!r}"


def test_expected_files_are_complete() -> None:
    """No empty placeholders: every article's required fields are filled in the expected files."""
    for name in NAMES:
        article = json.loads((FIXTURES / "expected" / f"{name}.json").read_text(encoding="utf-8"))["article"]
        if article is None:
            continue
        for field in ("url", "title", "body", "published_at", "language", "content_hash"):
            assert article[field], f"{name}: {field} is empty"
        assert article["word_count"] > 0


def test_pages_cover_the_variants_the_contract_names() -> None:
    articles = {
        name: json.loads((FIXTURES / "expected" / f"{name}.json").read_text(encoding="utf-8"))["article"]
        for name in NAMES
    }
    present = {k: v for k, v in articles.items() if v}
    assert any(a["language"] == "kk" for a in present.values())
    assert any(a["published_at"].endswith("+06:00") for a in present.values())
    assert any(a["modified_at"] for a in present.values())
    assert any(not a["image_url"] and not a["tags"] and not a["authors"] for a in present.values())
    assert "Читайте также" not in present["mixed_body_ru"]["body"]
    assert "Видео: организаторы забега" in present["mixed_body_ru"]["body"]
    assert "<" not in present["mixed_body_ru"]["body"]
    assert articles["static_page_not_article"] is None
