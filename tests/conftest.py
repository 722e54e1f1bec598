"""Shared fixtures: every database test runs once per backend (SQLite, and PostgreSQL when reachable)."""

from __future__ import annotations

import os
import warnings
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine

from server.db import make_engine
from server.migrate import upgrade
from server.models import metadata
from server.settings import Settings
from tests.backends import create_database, postgres_reachable, selected_backends

warnings.filterwarnings("ignore", message=".*httpx.*", category=DeprecationWarning)
warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")

BACKENDS = selected_backends()


def pytest_configure(config: pytest.Config) -> None:
    if os.environ.get("KENESH_REQUIRE_POSTGRES") == "1" and "postgresql" not in BACKENDS:
        reason = postgres_reachable() or "not selected"
        raise pytest.UsageError(
            f"KENESH_REQUIRE_POSTGRES=1 but PostgreSQL is unavailable: {reason}"
        )


def pytest_report_header(config: pytest.Config) -> str:
    return f"kenesh database backends: {', '.join(BACKENDS)}"


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    terminalreporter.write_line(f"kenesh database backends that ran: {', '.join(BACKENDS)}")


@pytest.fixture(scope="session", params=BACKENDS)
def migrated_database(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    """One migrated database per backend for the whole session."""
    db = create_database(request.param, tmp_path_factory.mktemp(request.param))
    engine = make_engine(db.url, pool_size=5)
    upgrade(engine)
    yield db, engine
    engine.dispose()
    db.drop()


def _empty_all_tables(engine: Engine) -> None:
    with engine.begin() as conn:
        for table in reversed(metadata.sorted_tables):
            if table.name == "change_counter":  # a single counter row; it only ever grows
                continue
            conn.execute(text(f'DELETE FROM "{table.name}"'))


@pytest.fixture
def engine(migrated_database) -> Iterator[Engine]:  # type: ignore[no-untyped-def]
    """The backend's engine, with every table emptied after the test."""
    _db, eng = migrated_database
    yield eng
    _empty_all_tables(eng)


@pytest.fixture
def backend(migrated_database) -> str:  # type: ignore[no-untyped-def]
    return migrated_database[0].backend  # type: ignore[no-any-return]


@pytest.fixture
def settings(migrated_database, tmp_path: Path) -> Settings:  # type: ignore[no-untyped-def]
    return Settings(
        database_url=migrated_database[0].url,
        secret_key="test-secret-key-not-for-production-0123456789",
        data_dir=tmp_path / "data",
        public_url="http://testserver",
    )


@pytest.fixture
def app(settings: Settings, engine: Engine):  # type: ignore[no-untyped-def]
    from server.app import create_app

    return create_app(settings, engine=engine)


@pytest.fixture
def client(app):  # type: ignore[no-untyped-def]
    from fastapi.testclient import TestClient

    with TestClient(app, raise_server_exceptions=False) as c:
        yield c
