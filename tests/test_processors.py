"""Each text, date, number and URL rule of the contract, alone."""

from __future__ import annotations

import pytest

from bmkz_crawler.processors import (
    KK_MONTHS,
    RU_MONTHS,
    canonicalize_url,
    content_hash,
    count_words,
    dateline_city,
    language_code,
    normalize_body,
    normalize_text,
    parse_views,
    strip_site_suffix,
    to_almaty_iso,
)


def test_normalize_text_applies_every_schema_rule() -> None:
    raw = "  Е&#769;&nbsp;Астана\u00a0—\u2009город\u00adа\u200b  &laquo;BM.KZ&raquo;\t\n "
    assert normalize_text(raw) == "Е́ Астана — города «BM.KZ»"


def test_normalize_text_composes_to_nfc() -> None:
    assert normalize_text("и\u0306") == "й"
    assert normalize_text("е\u0308ж") == "ёж"


def test_normalize_text_returns_none_for_blank() -> None:
    assert normalize_text(" \u00a0\u200b ") is None
    assert normalize_text(None) is None


def test_normalize_text_keeps_quirks_and_unknown_entities() -> None:
    assert normalize_text("критиковали все пять") == "критиковали все пять"
    assert normalize_text("a &unknownentity; b") == "a &unknownentity; b"


def test_normalize_body_keeps_blank_line_between_blocks() -> None:
    assert normalize_body(" a \n\n\n b\u00a0c \n\n") == "a\n\nb c"


@pytest.mark.parametrize(("month", "number"), list(RU_MONTHS.items()))
def test_every_russian_genitive_month(month: str, number: int) -> None:
    assert to_almaty_iso(f"5 {month}, 2025") == f"2025-{number:02d}-05T00:00+05:00"


@pytest.mark.parametrize(("month", "number"), list(KK_MONTHS.items()))
def test_every_kazakh_month(month: str, number: int) -> None:
    assert to_almaty_iso(f"5 {month}, 2023") == f"2023-{number:02d}-05T00:00+06:00"


def test_kazakh_month_with_case_suffix() -> None:
    assert to_almaty_iso("12 қарашада, 2025") == "2025-11-12T00:00+05:00"


def test_printed_date_with_time() -> None:
    assert to_almaty_iso("7 ноября, 2025 10:15") == "2025-11-07T10:15+05:00"
    assert to_almaty_iso("07.11.2025, 10:15:30") == "2025-11-07T10:15:30+05:00"


def test_date_before_2024_03_01_is_utc_plus_6() -> None:
    assert to_almaty_iso("2024-02-29T17:00:00+00:00") == "2024-02-29T23:00:00+06:00"
    assert to_almaty_iso("2024-02-29T17:59:59+00:00") == "2024-02-29T23:59:59+06:00"


def test_date_from_2024_03_01_is_utc_plus_5() -> None:
    assert to_almaty_iso("2024-03-01T12:00:00+00:00") == "2024-03-01T17:00:00+05:00"


def test_kazakh_date_before_2024_is_utc_plus_6() -> None:
    assert to_almaty_iso("1 қыркүйек, 2023") == "2023-09-01T00:00+06:00"


def test_iso_utc_and_local_of_the_same_instant_agree() -> None:
    assert to_almaty_iso("2025-11-07T05:15:00+00:00") == to_almaty_iso("2025-11-07T10:15:00+05:00")
    assert to_almaty_iso("2025-11-07T05:15:00Z") == "2025-11-07T10:15:00+05:00"


def test_seconds_are_kept_only_when_the_page_has_them() -> None:
    assert to_almaty_iso("2025-11-07T10:15+05:00") == "2025-11-07T10:15+05:00"
    assert to_almaty_iso("2025-11-07T10:15:07+05:00") == "2025-11-07T10:15:07+05:00"


def test_naive_iso_is_almaty_local() -> None:
    assert to_almaty_iso("2023-06-15T14:30:00") == "2023-06-15T14:30:00+06:00"


@pytest.mark.parametrize("bad", ["", "завтра", "32 ноября, 2025", "2025-13-01T00:00:00", "7 брюмера, 2025"])
def test_bad_dates_give_none(bad: str) -> None:
    assert to_almaty_iso(bad) is None


@pytest.mark.parametrize(
    ("printed", "count"),
    [
        ("4\u00a0518 просмотра", 4518),
        ("1 просмотр", 1),
        ("12 345 просмотров", 12345),
        ("1\u00a0204 рет қаралды", 1204),
        ("987", 987),
        ("12K", 12000),
        ("нет", None),
    ],
)
def test_views(printed: str, count: int | None) -> None:
    assert parse_views(printed) == count


@pytest.mark.parametrize(
    ("paragraph", "city"),
    [
        ("Астана. 7 ноября. BM.KZ – Одной из главных причин", "Астана"),
        ("Усть-Каменогорск. 1 марта. BM.KZ – Текст", "Усть-Каменогорск"),
        ("Алматинская область. 3 мая. BM.KZ - Текст", "Алматинская область"),
        ("Астана. 12 қараша. BM.KZ – Елордада", "Астана"),
        ("Геологи предупреждают о сокращении запасов.", None),
        ("В 2023 году. 5 человек пострадали", None),
    ],
)
def test_dateline_city(paragraph: str, city: str | None) -> None:
    assert dateline_city(paragraph) == city


@pytest.mark.parametrize(
    ("url", "canonical"),
    [
        ("https://bm.kz/a/?utm_source=tg&utm_medium=x", "https://bm.kz/a/"),
        ("https://bm.kz/a/#comments", "https://bm.kz/a/"),
        ("https://bm.kz/a/?fbclid=1&gclid=2&yclid=3&_ga=4", "https://bm.kz/a/"),
        ("https://BM.KZ/?p=123&utm_campaign=c", "https://bm.kz/?p=123"),
        ("https://bm.kz/a/?page=2", "https://bm.kz/a/?page=2"),
        ("mailto:info@bm.kz", None),
    ],
)
def test_canonicalize_url(url: str, canonical: str | None) -> None:
    assert canonicalize_url(url) == canonical


def test_language_codes() -> None:
    assert [language_code(v) for v in ("ru-RU", "ru_RU", "kk-KZ", "kk", "kz", "en-US", None)] == [
        "ru", "ru", "kk", "kk", "kk", None, None,
    ]  # fmt: skip


def test_site_suffix_is_stripped_from_seo_titles() -> None:
    assert strip_site_suffix("Курс тенге - BM.KZ") == "Курс тенге"
    assert strip_site_suffix("Курс тенге | BM.KZ") == "Курс тенге"
    assert strip_site_suffix("BM.KZ") == "BM.KZ"


def test_word_count_treats_hyphenated_names_as_one_word() -> None:
    assert count_words("Касым-Жомарт Токаев — 35 млрд.\n\nІле") == 5


def test_content_hash_ignores_whitespace_differences_only() -> None:
    assert content_hash("Заголовок", "a\u00a0b\n\nc") == content_hash(" Заголовок ", "a b\n\n\nc")
    assert content_hash("Заголовок", "a b") != content_hash("Заголовок", "a b.")
