"""Which database backends the suite runs on, and throwaway databases on each."""

from __future__ import annotations

import os
import uuid
from dataclasses import dataclass
from pathlib import Path

import psycopg

DEFAULT_PG_URL = "postgresql://postgres@127.0.0.1:5432/test"


def postgres_admin_url() -> str:
    return os.environ.get("KENESH_TEST_POSTGRES_URL", DEFAULT_PG_URL)


def postgres_reachable() -> str | None:
    """None when PostgreSQL answers, else why not."""
    try:
        with psycopg.connect(postgres_admin_url(), connect_timeout=3) as conn:
            conn.execute("SELECT 1")
        return None
    except psycopg.Error as exc:
        return str(exc).strip().splitlines()[0]


def selected_backends() -> list[str]:
    """Backends for this run: KENESH_TEST_BACKENDS, else SQLite plus PostgreSQL if reachable."""
    chosen = os.environ.get("KENESH_TEST_BACKENDS")
    if chosen:
        return [b.strip() for b in chosen.split(",") if b.strip()]
    return ["sqlite"] + ([] if postgres_reachable() else ["postgresql"])


@dataclass
class TestDatabase:
    backend: str
    url: str
    _pg_name: str | None = None

    def drop(self) -> None:
        if self._pg_name:
            with psycopg.connect(postgres_admin_url(), autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{self._pg_name}" WITH (FORCE)')


def create_database(backend: str, folder: Path) -> TestDatabase:
    """A new, empty database of this backend."""
    if backend == "sqlite":
        return TestDatabase(backend, f"sqlite:///{folder / f'kenesh-{uuid.uuid4().hex[:8]}.db'}")
    name = f"kenesh_test_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(postgres_admin_url(), autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    base = postgres_admin_url().rsplit("/", 1)[0]
    return TestDatabase(backend, f"{base}/{name}", name)
