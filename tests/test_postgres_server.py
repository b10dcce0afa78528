"""The PostgreSQL the archive tests run against: started on loopback, UTF-8 full-text search in both languages.

A cluster created in the C locale would run, but its text search parser would take every
Cyrillic letter for a non-letter and find nothing: this guards the fixture's `--locale=C.UTF-8`.
"""

from __future__ import annotations

import time
from pathlib import Path

import psycopg

from tests.servers import running_postgres


def test_postgres_finds_russian_stems_and_kazakh_words(tmp_path: Path) -> None:
    started = time.monotonic()
    with running_postgres(tmp_path) as url, psycopg.connect(url, autocommit=True) as connection:
        assert url.startswith("postgresql://postgres@127.0.0.1:")
        connection.execute(
            "CREATE TABLE article (id int PRIMARY KEY, lang text, body text, search tsvector GENERATED ALWAYS AS "
            "(to_tsvector(CASE WHEN lang = 'ru' THEN 'russian'::regconfig ELSE 'simple'::regconfig END, body)) STORED)"
        )
        connection.execute(
            "INSERT INTO article VALUES (1, 'ru', 'Условия лизинга для фермеров смягчат'), "
            "(2, 'kk', 'ӘКІМДІК Тоқаев қабылдады'), (3, 'ru', 'Курс тенге укрепился')"
        )

        def found(config: str, query: str) -> list[int]:
            rows = connection.execute(
                "SELECT id FROM article WHERE search @@ to_tsquery(%s::regconfig, %s) ORDER BY id", (config, query)
            )
            return [row[0] for row in rows]

        stemmed = connection.execute("SELECT to_tsvector('russian', 'лизинга') @@ to_tsquery('russian', 'лизинг')")
        assert stemmed.fetchone() == (True,)
        assert found("russian", "лизинг") == [1]
        assert found("simple", "тоқаев") == [2]
        assert found("simple", "әкімдік") == [2]  # lower-cased by the simple configuration, ә and і included
        assert found("simple", "қабылдады & тоқаев") == [2]
        with connection.cursor() as cursor:
            cursor.execute("SHOW server_encoding")
            assert cursor.fetchone() == ("UTF8",)
    assert time.monotonic() - started < 8
    assert (tmp_path / "postgres.log").exists()  # the cluster is gone, its log kept for a failing test
