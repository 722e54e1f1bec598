"""Changed records get a commit-ordered number at commit, also when savepoints come and go."""

from __future__ import annotations

from sqlalchemy import text

from server.db import UnitOfWork
from server.models import Project
from server.services.changes import mark_changed, register_table


def _register_test_table() -> None:
    # Any table with a change_seq column can be stamped; a scratch table keeps this test small.
    register_table("test_record", "test_records")


def test_rows_marked_before_and_after_a_savepoint_share_the_commits_number(engine) -> None:
    with engine.begin() as conn:
        conn.execute(
            text(
                "CREATE TABLE IF NOT EXISTS test_records (id INTEGER PRIMARY KEY, change_seq BIGINT)"
            )
        )
        conn.execute(text("DELETE FROM test_records"))
        conn.execute(text("INSERT INTO test_records (id) VALUES (1), (2)"))
    _register_test_table()
    uow = UnitOfWork(engine, write=True)
    try:
        mark_changed(uow.session, "test_record", 1)
        with uow.session.begin_nested():
            uow.session.add(Project(name="inside a savepoint"))
        mark_changed(uow.session, "test_record", 2)
        uow.commit()
    finally:
        uow.close()
    with engine.begin() as conn:
        seqs = [r[0] for r in conn.execute(text("SELECT change_seq FROM test_records ORDER BY id"))]
        conn.execute(text("DROP TABLE test_records"))
    assert seqs[0] is not None
    assert seqs == [seqs[0], seqs[0]]


def test_each_commit_takes_the_next_number(engine) -> None:
    with engine.begin() as conn:
        conn.execute(
            text(
                "CREATE TABLE IF NOT EXISTS test_records (id INTEGER PRIMARY KEY, change_seq BIGINT)"
            )
        )
        conn.execute(text("DELETE FROM test_records"))
        conn.execute(text("INSERT INTO test_records (id) VALUES (1), (2)"))
    _register_test_table()
    for row_id in (1, 2):
        uow = UnitOfWork(engine, write=True)
        mark_changed(uow.session, "test_record", row_id)
        uow.commit()
        uow.close()
    with engine.begin() as conn:
        first, second = [
            r[0] for r in conn.execute(text("SELECT change_seq FROM test_records ORDER BY id"))
        ]
        conn.execute(text("DROP TABLE test_records"))
    assert second == first + 1
