"""SQLite runs in WAL mode with foreign keys, and concurrent writers queue instead of failing."""

from __future__ import annotations

import threading
import time

import pytest
from sqlalchemy import text

from server.db import DatabaseURLError, UnitOfWork, make_engine, parse_database_url, unit_of_work
from server.models import Project
from server.settings import Settings


def test_sqlite_uses_wal_foreign_keys_and_a_busy_timeout(tmp_path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'k.db'}")
    with engine.connect() as conn:
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1
        assert conn.execute(text("PRAGMA busy_timeout")).scalar() == 30000


def test_a_plain_postgresql_url_uses_psycopg_3() -> None:
    settings = Settings(database_url="postgresql://u@db:5432/kenesh")
    assert settings.resolved_database_url() == "postgresql+psycopg://u@db:5432/kenesh"


def test_a_malformed_or_unsupported_database_url_is_refused() -> None:
    with pytest.raises(DatabaseURLError):
        parse_database_url("not a url")
    with pytest.raises(DatabaseURLError):
        parse_database_url("mysql://root@localhost/db")


def test_concurrent_writers_queue_and_all_commit(engine) -> None:
    errors: list[BaseException] = []

    def write(n: int) -> None:
        try:
            uow = UnitOfWork(engine, write=True)
            try:
                count = len(uow.session.exec(text("SELECT id FROM projects")).all())  # type: ignore[call-overload]
                uow.session.add(Project(name=f"p{n}-{count}"))
                uow.commit()
            finally:
                uow.close()
        except BaseException as exc:  # noqa: BLE001 - collected for the assertion
            errors.append(exc)

    threads = [threading.Thread(target=write, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM projects")).scalar() == 8


def test_a_unit_of_work_commits_once_and_rolls_back_what_it_did_not_commit(engine) -> None:
    uow = UnitOfWork(engine, write=True)
    uow.session.add(Project(name="kept"))
    uow.commit()
    with pytest.raises(RuntimeError):
        uow.commit()
    uow.close()
    uncommitted = UnitOfWork(engine, write=True)
    uncommitted.session.add(Project(name="dropped"))
    uncommitted.session.flush()
    uncommitted.close()
    with engine.connect() as conn:
        names = {r[0] for r in conn.execute(text("SELECT name FROM projects"))}
    assert names == {"kept"}


def test_a_pooled_postgresql_connection_the_server_closed_is_replaced(backend, engine) -> None:
    if backend != "postgresql":
        pytest.skip("a PostgreSQL pool behaviour")
    pooled = make_engine(engine.url.render_as_string(hide_password=False), pool_size=1)
    try:
        with pooled.connect() as conn:
            pid = conn.execute(text("SELECT pg_backend_pid()")).scalar()
        # Back in the pool, idle, it is terminated (as a server restart would).
        with engine.connect() as killer:
            killer.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
        time.sleep(0.2)
        with pooled.connect() as conn:
            assert conn.execute(text("SELECT pg_backend_pid()")).scalar() != pid
    finally:
        pooled.dispose()


def test_a_pinged_postgresql_connection_serves_autocommit_reads(
    backend, engine, monkeypatch
) -> None:
    if backend != "postgresql":
        pytest.skip("a PostgreSQL pool behaviour")
    import server.db

    monkeypatch.setattr(server.db, "PING_AFTER_IDLE_S", 0.0)  # every checkout pings
    pooled = make_engine(engine.url.render_as_string(hide_password=False), pool_size=1)
    try:
        for _ in range(2):
            with unit_of_work(pooled, write=False, per_statement=True) as uow:
                assert uow.session.exec(text("SELECT 1")).scalar() == 1  # type: ignore[call-overload]
    finally:
        pooled.dispose()
