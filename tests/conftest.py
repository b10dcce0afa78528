"""Shared fixtures: mirrors of the site on 127.0.0.1, started once per test session."""

from __future__ import annotations

from collections.abc import Iterator

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
