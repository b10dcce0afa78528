"""One SQLite file as the project's stores use it (the state store and the archive).

`connect` opens it the same way for both: WAL, autocommit (`isolation_level=None`, so that a
transaction is exactly a `transaction()` block), a busy timeout, the schema and its version;
`transaction` is the one `BEGIN IMMEDIATE` ... `COMMIT`, rolled back on any failure.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

MEMORY = ":memory:"
BUSY_TIMEOUT_SECONDS = 30.0


def connect(
    path: str,
    *,
    schema: str,
    schema_version: int,
    synchronous: str = "NORMAL",
    functions: dict[str, Callable[..., Any]] | None = None,
) -> sqlite3.Connection:
    """An open connection to `path` (or `:memory:`), its folder made, schema applied."""
    if path != MEMORY:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
    connection = sqlite3.connect(path, timeout=BUSY_TIMEOUT_SECONDS, isolation_level=None)
    try:
        connection.row_factory = sqlite3.Row
        connection.execute("PRAGMA journal_mode=WAL")
        connection.execute(f"PRAGMA synchronous={synchronous}")
        connection.execute(f"PRAGMA busy_timeout={int(BUSY_TIMEOUT_SECONDS * 1000)}")
        for name, function in (functions or {}).items():
            connection.create_function(name, 1, function, deterministic=True)
        connection.executescript(schema)
        connection.execute(f"PRAGMA user_version={schema_version}")
    except Exception:
        connection.close()
        raise
    return connection


@contextmanager
def transaction(connection: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """`BEGIN IMMEDIATE` ... `COMMIT`; any failure, the commit's included, rolls back and raises."""
    connection.execute("BEGIN IMMEDIATE")
    try:
        yield connection
        connection.execute("COMMIT")
    except BaseException:
        if connection.in_transaction:
            connection.execute("ROLLBACK")
        raise
