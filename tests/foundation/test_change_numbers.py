"""Changed records get a commit-ordered number at commit, also when savepoints come and go."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import text

from server.db import UnitOfWork
from server.models import Project
from server.services.changes import draw_change_number, mark_changed, register_table


@pytest.fixture
def records(engine) -> Iterator[None]:  # type: ignore[no-untyped-def]
    """A scratch table of two records with a change_seq column, stamped like submissions."""
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE test_records (id INTEGER PRIMARY KEY, change_seq BIGINT)"))
        conn.execute(text("INSERT INTO test_records (id) VALUES (1), (2)"))
    register_table("test_record", "test_records")
    yield
    with engine.begin() as conn:
        conn.execute(text("DROP TABLE test_records"))


def _commit_marked(engine, *marked: tuple[str, int]) -> None:  # type: ignore[no-untyped-def]
    """One write transaction that marks these (kind, row id) as changed and commits."""
    uow = UnitOfWork(engine, write=True)
    try:
        for kind, row_id in marked:
            mark_changed(uow.session, kind, row_id)
        uow.commit()
    finally:
        uow.close()


def _change_numbers(engine) -> list[int | None]:  # type: ignore[no-untyped-def]
    with engine.connect() as conn:
        return [r[0] for r in conn.execute(text("SELECT change_seq FROM test_records ORDER BY id"))]


def test_rows_marked_before_and_after_a_savepoint_share_the_commits_number(engine, records) -> None:
    uow = UnitOfWork(engine, write=True)
    try:
        mark_changed(uow.session, "test_record", 1)
        with uow.session.begin_nested():
            uow.session.add(Project(name="inside a savepoint"))
        mark_changed(uow.session, "test_record", 2)
        uow.commit()
    finally:
        uow.close()
    first, second = _change_numbers(engine)
    assert first is not None
    assert second == first


def test_each_commit_takes_the_next_number(engine, records) -> None:
    for row_id in (1, 2):
        _commit_marked(engine, ("test_record", row_id))
    first, second = _change_numbers(engine)
    assert first is not None
    assert second == first + 1


def test_a_number_drawn_early_is_the_one_rows_marked_later_get(engine, records) -> None:
    uow = UnitOfWork(engine, write=True)
    try:
        drawn = draw_change_number(uow.session)
        uow.session.execute(text("UPDATE test_records SET change_seq = :n WHERE id = 1"),
                            {"n": drawn})
        mark_changed(uow.session, "test_record", 2)
        assert draw_change_number(uow.session) == drawn
        uow.commit()
    finally:
        uow.close()
    assert _change_numbers(engine) == [drawn, drawn]


def test_a_number_drawn_before_a_rollback_is_never_used(engine, records) -> None:
    uow = UnitOfWork(engine, write=True)
    try:
        draw_change_number(uow.session)
        uow.session.rollback()  # the increment is undone: the number must be drawn again
        mark_changed(uow.session, "test_record", 1)
        uow.commit()
    finally:
        uow.close()
    _commit_marked(engine, ("test_record", 2))
    first, second = _change_numbers(engine)
    assert first is not None
    assert second == first + 1


def test_no_number_is_drawn_inside_a_savepoint(engine, records) -> None:
    uow = UnitOfWork(engine, write=True)
    try:
        with uow.session.begin_nested(), pytest.raises(RuntimeError):
            draw_change_number(uow.session)
    finally:
        uow.close()


def test_rows_of_two_kinds_share_the_number_and_the_counter_moves_once(engine, records) -> None:
    register_table("test_record_copy", "test_records")  # a second kind, stamped by its own UPDATE
    with engine.connect() as conn:
        before = conn.execute(text("SELECT value FROM change_counter WHERE id = 1")).scalar()
    _commit_marked(engine, ("test_record", 1), ("test_record_copy", 2))
    assert _change_numbers(engine) == [before + 1, before + 1]


def test_an_emptied_counter_starts_again_and_stamps_every_marked_row(engine, records) -> None:
    with engine.begin() as conn:
        before = conn.execute(text("SELECT value FROM change_counter WHERE id = 1")).scalar()
        conn.execute(text("DELETE FROM change_counter"))
    _commit_marked(engine, ("test_record", 1), ("test_record", 2))
    with engine.begin() as conn:
        after = conn.execute(text("SELECT value FROM change_counter WHERE id = 1")).scalar()
        # Later tests rely on the counter only ever growing.
        conn.execute(text("UPDATE change_counter SET value = :v"), {"v": before})
    assert _change_numbers(engine) == [1, 1]
    assert after == 1
