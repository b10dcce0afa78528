"""The mirror's truth is an independent oracle: it never runs the crawler's own rules.

`bmkz_crawler.mirror.oracle` re-implements the contract's normalization, word count, hash
and Almaty dates on purpose. These tests keep it independent (no mirror module imports the
crawler's processors or extraction, and the mirror works with them unimportable), and check
that the two implementations agree on the inputs where a slip is likeliest: agreement means
something only because neither is derived from the other.
"""

from __future__ import annotations

import ast
import subprocess
import sys
import unicodedata
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bmkz_crawler import processors
from bmkz_crawler.mirror import oracle

MIRROR = Path(oracle.__file__).parent
FORBIDDEN = ("bmkz_crawler.processors", "bmkz_crawler.extraction")


def _imported_modules(path: Path) -> set[str]:
    """Absolute names of the modules (and `from` names) a source file imports, anywhere in it."""
    package = "bmkz_crawler.mirror"
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parent = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                base = f"{parent}.{base}" if base else parent
            names.add(base)
            names.update(f"{base}.{alias.name}" for alias in node.names)
    return names


def test_no_mirror_module_imports_the_crawlers_processors_or_extraction() -> None:
    offenders = {
        f"{path.name}: {name}"
        for path in sorted(MIRROR.glob("*.py"))
        for name in _imported_modules(path)
        if any(name == module or name.startswith(module + ".") for module in FORBIDDEN)
    }
    assert offenders == set()


def test_no_mirror_module_imports_any_crawler_module_outside_the_mirror() -> None:
    """Stricter than needed, and cheap to keep: the mirror is its own program."""
    outside = {
        f"{path.name}: {name}"
        for path in sorted(MIRROR.glob("*.py"))
        for name in _imported_modules(path)
        if name.startswith("bmkz_crawler.") and not name.startswith("bmkz_crawler.mirror")
    }
    assert outside == set()


def test_import_check_sees_relative_and_package_imports(tmp_path: Path) -> None:
    source = tmp_path / "sample.py"
    source.write_text("from .. import processors\nfrom bmkz_crawler import extraction\nimport os\n")
    names = _imported_modules(source)
    assert {"bmkz_crawler.processors", "bmkz_crawler.extraction", "os"} <= names


def test_mirror_serves_and_states_truth_with_processors_and_extraction_unimportable() -> None:
    script = (
        "import sys\n"
        "for name in ('bmkz_crawler.processors', 'bmkz_crawler.extraction'):\n"
        "    sys.modules[name] = None  # any import of them raises ImportError\n"
        "from bmkz_crawler.mirror.app import MirrorApp\n"
        "from bmkz_crawler.mirror.model import MirrorSite\n"
        "from bmkz_crawler.mirror.truth import iter_truth\n"
        "site = MirrorSite(3, 60)\n"
        "base = 'http://127.0.0.1:8765/'\n"
        "records = list(iter_truth(site, base))\n"
        "for theme in ('smartmag', 'newsroom'):\n"
        "    app = MirrorApp(site, base, theme=theme)\n"
        "    for path in app.page_paths():\n"
        "        assert app.respond('GET', path).status == 200, path\n"
        "print(len(records))\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip() == "60"


# --- the two implementations agree ---------------------------------------------------------

TRICKY_TEXTS = [
    "Астана\u00a0–\u00a0BM.KZ",  # no-break spaces around a dash
    "16\u00a0июня в\u00a0столице",
    "Ал\u00adматы",  # soft hyphen
    "&shy;Ал&shy;маты",  # soft hyphen as an entity
    "a\x00b\x01c\x1fd\x7fe",  # NUL, other C0 controls, DEL
    "line\tone\r\nline\u2028two\x85three",  # tab, CR LF, line separator, NEL: spaces
    "AT&amp;T &lt;b&gt; &quot;x&quot; &#1179;&#x4E9;",  # named, decimal, hexadecimal entities
    "&nbsp;&nbsp;padded&#160;",
    "Қазақстан, Өскемен, Үкімет, Ұлттық, Һ, Ғ, Ң, І, ә",  # Kazakh letters
    "\u0438\u0306\u0435\u0308 \u0439\u0451",  # й and ё decomposed, then composed: NFC
    "zero\u200bwidth\u200c\u200djoin\u2060\ufeffBOM\u180e",
    "thin\u2009narrow\u202fideographic\u3000em\u2003space",
    "  many    spaces  ",
    "\u00ad\u200b \x00",  # nothing left
    "",
]


@pytest.mark.parametrize("text", TRICKY_TEXTS)
def test_oracle_normalizes_text_as_the_processors_do(text: str) -> None:
    assert oracle.contract_text(text) == processors.normalize_text(text)


def test_oracle_text_is_nfc_and_plain_spaced() -> None:
    assert oracle.contract_text("Ал\u00adматы\u00a0\x00 –\u00a0BM.KZ") == "Алматы – BM.KZ"
    assert oracle.contract_text("AT&amp;T&#160;&#1179;") == "AT&T қ"
    assert oracle.contract_text(None) is None
    assert oracle.contract_text("\u00ad\u200b \x7f") is None


def test_text_stays_nfc_when_an_invisible_separated_a_letter_from_its_mark() -> None:
    text = "\u0438\u00ad\u0306"  # и, soft hyphen, combining breve: й once the hyphen goes
    assert oracle.contract_text(text) == "\u0439"
    result = processors.normalize_text(text) or ""
    assert unicodedata.is_normalized("NFC", result)


def test_oracle_body_words_and_hash_agree_with_the_processors() -> None:
    blocks = [
        "Астана. 7 ноября. BM.KZ\u00a0–\u00a0Прогноз на 2024-2025 годы: 4,5%.",
        "",
        "<не тег> Қазақстан'ның ел-жұрты\u00adмыз, snake_case, it’s -- ok -x- '",
        "\x00\u200b",
        "Last line\twith\ttabs",
    ]
    body = oracle.contract_body(blocks)
    joined = processors.join_blocks([b for b in map(processors.normalize_text, blocks) if b])
    assert body == processors.normalize_body(joined)
    assert body.count("\n\n") == 2
    assert oracle.words_in(body) == processors.count_words(body)
    title = "Заголовок\u00a0с\u00adмягким переносом"
    normalized = oracle.contract_text(title) or ""
    assert oracle.text_hash(normalized, body) == processors.content_hash(title, body)


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("Алматы-2025 — это қазақ'тың it’s", 4),
        ("a--b a- -b _ a_b", 6),
        ("12 345,6 ‐‐", 3),
        ("", 0),
    ],
)
def test_oracle_word_count_agrees_with_the_processors(text: str, words: int) -> None:
    assert oracle.words_in(text) == words == processors.count_words(text)


def test_oracle_hash_is_sha256_of_title_line_feed_body() -> None:
    # sha256("T\nB"), computed once by hand with `printf 'T\nB' | sha256sum`
    assert oracle.text_hash("T", "B") == "e1725446192b97dc9f6faa7e5c3ebe3960b960b7947a6c0981f69aa6f6af6ce6"
    assert oracle.text_hash("T", "B") == processors.content_hash("T", "B")


@pytest.mark.parametrize(
    ("utc", "expected"),
    [
        (datetime(2023, 1, 10, 3, 0, tzinfo=UTC), "2023-01-10T09:00:00+06:00"),
        (datetime(2024, 2, 29, 17, 59, 59, tzinfo=UTC), "2024-02-29T23:59:59+06:00"),
        # at 2024-03-01 00:00 local the clocks went back to 23:00, now UTC+5
        (datetime(2024, 2, 29, 18, 0, 0, tzinfo=UTC), "2024-02-29T23:00:00+05:00"),
        (datetime(2024, 2, 29, 19, 0, 0, tzinfo=UTC), "2024-03-01T00:00:00+05:00"),
        (datetime(2025, 11, 7, 5, 15, tzinfo=UTC), "2025-11-07T10:15:00+05:00"),
    ],
)
def test_almaty_offset_changes_on_2024_03_01_in_both(utc: datetime, expected: str) -> None:
    timestamp = int(utc.timestamp())
    assert oracle.almaty_iso(timestamp) == expected
    assert processors.format_almaty(utc) == expected
