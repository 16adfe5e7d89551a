"""Shared fixtures: a real PostgreSQL server, store URLs for both back ends,
the shared benign corpus (when present) and synthetic images."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tutela.config import shared_data_dir
from tutela.testing.postgres import PostgresServer, start_postgres


@pytest.fixture(scope="session")
def pg_server() -> Iterator[PostgresServer]:
    server = start_postgres()
    yield server
    server.stop()


@pytest.fixture
def pg_url(pg_server: PostgresServer) -> str:
    """A fresh, empty PostgreSQL database for one test."""
    return pg_server.create_database()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Run a store test against SQLite and against the real PostgreSQL server."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'tutela.db'}"
    server: PostgresServer = request.getfixturevalue("pg_server")
    return server.create_database()


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """``../shared/data`` via TUTELA_SHARED_DATA; tests needing it say so when it is missing."""
    found = shared_data_dir()
    if found is None:
        pytest.skip(
            "shared benign corpus not available: set TUTELA_SHARED_DATA to ../shared/data "
            f"(currently {os.environ.get('TUTELA_SHARED_DATA')!r})"
        )
    return found


# Subprocesses (``python -m tutela ...``) must import this checkout's code.
_SRC = str(Path(__file__).resolve().parents[1] / "src")
os.environ["PYTHONPATH"] = os.pathsep.join(
    [_SRC, *[p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p and p != _SRC]]
)
