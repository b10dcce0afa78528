"""Shared fixtures: mirrors of the site, a Redis, a scrapyd and a PostgreSQL on 127.0.0.1, started once per test session."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from bmkz_crawler.mirror.testing import MirrorHandle, running_mirror


@pytest.fixture(scope="session")
def mirror300(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MirrorHandle]:
    with running_mirror(tmp_path_factory.mktemp("mirror300"), articles=300, seed=7) as mirror:
        yield mirror


@pytest.fixture(scope="session")
def faulty_mirror(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MirrorHandle]:
    with running_mirror(tmp_path_factory.mktemp("faulty"), articles=300, seed=11, faults=True) as mirror:
        yield mirror


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The redis:// URL of a redis-server started for this test session."""
    from tests.servers import running_redis

    with running_redis(tmp_path_factory.mktemp("redis")) as url:
        yield url


@pytest.fixture
def redis_state_uri(redis_server: str) -> str:
    """A RedisStateStore URI with a key prefix of its own, so each test starts empty."""
    return f"{redis_server}?prefix=test-{uuid.uuid4().hex[:12]}"


@pytest.fixture(scope="session")
def scrapyd_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    """(base URL, working directory) of a scrapyd started for this test session."""
    from tests.servers import running_scrapyd

    workdir = tmp_path_factory.mktemp("scrapyd")
    with running_scrapyd(workdir) as url:
        yield url, workdir


@pytest.fixture(scope="session")
def postgres_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The postgresql:// URL of a database in a PostgreSQL cluster started for this test session."""
    from tests.servers import running_postgres

    with running_postgres(tmp_path_factory.mktemp("postgres")) as url:
        yield url


@pytest.fixture
def postgres_database(postgres_server: str, request: pytest.FixtureRequest) -> Iterator[str]:
    """The URL of a new, empty database on the session's PostgreSQL, dropped after the test."""
    import re

    import psycopg

    name = "t_" + re.sub(r"\W", "_", request.node.name.lower())[:50] + f"_{id(request) % 100000}"
    with psycopg.connect(postgres_server, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield postgres_server.rsplit("/", 1)[0] + "/" + name
    finally:
        with psycopg.connect(postgres_server, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
