"""Statements run by the driver (server.driver_sql) bind and read values exactly as SQLAlchemy
does, inside the session's transaction, and rows they read become the session's objects."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
from sqlalchemy import bindparam, insert, select, text

from server.db import UnitOfWork
from server.driver_sql import DriverStatement, attached, compiled_for
from server.models import Form, SyncOp
from tests.factories import make_project

TABLE = SyncOp.__table__
MOMENT = datetime(2026, 3, 8, 9, 30, 15, 123456, tzinfo=timezone(timedelta(hours=6)))


def _row(project: int, op_id: str, result: Any) -> dict[str, Any]:
    return {
        "project_id": project, "op_id": op_id, "device_id": 'phone "Ak-Sai"\tτ',
        "client_seq": 1, "actor_id": None, "type": "submission", "container": "open_day",
        "record_id": "uuid:1", "status": "applied", "version": 1, "hlc": None,
        "result": result, "created_at": MOMENT,
    }


def _insert(dialect_name: str) -> Any:
    del dialect_name
    return insert(TABLE).values(
        {c.key: bindparam(c.key, type_=c.type) for c in TABLE.columns if c.key != "id"}
    ).returning(TABLE.c.id)


def _read(dialect_name: str) -> Any:
    del dialect_name
    return select(TABLE).where(TABLE.c.op_id == bindparam("op_id"))


@pytest.mark.parametrize(
    "result", [{"note": "a\\b\nc «кыргызча»", "n": 1.5, "ok": True, "list": [1, None]}, None]
)
def test_a_row_written_and_read_by_the_driver_matches_sqlalchemy(engine, result) -> None:  # type: ignore[no-untyped-def]
    project = make_project(engine)
    inserts: dict[str, DriverStatement] = {}
    reads: dict[str, DriverStatement] = {}
    uow = UnitOfWork(engine, write=True)
    try:
        session = uow.session
        by_driver = compiled_for(inserts, _insert, session).first(
            session, _row(project, "driver", result)
        )
        session.execute(insert(TABLE), _row(project, "sqlalchemy", result))
        assert by_driver is not None and isinstance(by_driver[0], int)
        uow.commit()
    finally:
        uow.close()
    uow = UnitOfWork(engine, write=False)
    try:
        session = uow.session
        driver_read = compiled_for(reads, _read, session).first(session, {"op_id": "driver"})
        sqlalchemy_read = session.execute(_read(""), {"op_id": "sqlalchemy"}).one()
        assert compiled_for(reads, _read, session).first(session, {"op_id": "none"}) is None
    finally:
        uow.close()
    assert driver_read is not None
    by_driver_read = dict(zip(TABLE.c.keys(), driver_read, strict=True))
    by_sqlalchemy = dict(zip(TABLE.c.keys(), sqlalchemy_read, strict=True))
    for differing in ("id", "op_id"):
        del by_driver_read[differing], by_sqlalchemy[differing]
    # Every other column reads back the same, whichever wrote or read it.
    assert by_driver_read == by_sqlalchemy
    assert by_driver_read["created_at"] == MOMENT and by_driver_read["created_at"].tzinfo
    assert by_driver_read["result"] == result


def test_values_the_statement_holds_itself_are_bound(engine) -> None:  # type: ignore[no-untyped-def]
    cache: dict[str, DriverStatement] = {}

    def build(_dialect: str) -> Any:
        return select((bindparam("given", type_=TABLE.c.version.type) + 41).label("answer"))

    uow = UnitOfWork(engine, write=False)
    try:
        row = compiled_for(cache, build, uow.session).first(uow.session, {"given": 1})
    finally:
        uow.close()
    assert row == (42,)


def test_a_statement_without_rows_answers_none_and_stays_in_the_transaction(engine) -> None:  # type: ignore[no-untyped-def]
    project = make_project(engine)
    cache: dict[str, DriverStatement] = {}

    def rename(_dialect: str) -> Any:
        return text("UPDATE projects SET name = :name WHERE id = :id")

    uow = UnitOfWork(engine, write=True)
    try:
        assert compiled_for(cache, rename, uow.session).first(
            uow.session, {"name": "renamed", "id": project}
        ) is None
        uow.session.rollback()
    finally:
        uow.close()
    uow = UnitOfWork(engine, write=False)
    try:
        name = uow.session.execute(
            text("SELECT name FROM projects WHERE id = :id"), {"id": project}
        ).scalar_one()
    finally:
        uow.close()
    assert name != "renamed"  # rolled back with the session's transaction


def test_attached_rows_are_the_sessions_objects(engine) -> None:  # type: ignore[no-untyped-def]
    project = make_project(engine)
    uow = UnitOfWork(engine, write=True)
    try:
        form = Form(project_id=project, xml_form_id="attached", state="closing")
        uow.session.add(form)
        uow.commit()
        form_id = form.id
    finally:
        uow.close()
    uow = UnitOfWork(engine, write=True)
    try:
        session = uow.session
        values = {"id": form_id, "project_id": project, "xml_form_id": "attached",
                  "state": "closing"}
        first = attached(session, Form, values)
        assert first.state == "closing" and first in session
        # Columns not given load when first read, as deferred columns do.
        assert first.created_at is not None and first.sensitive is False
        assert attached(session, Form, values) is first
        assert session.get(Form, form_id) is first
        first.state = "closed"  # changes are tracked and flushed like a loaded object's
        uow.commit()
    finally:
        uow.close()
    uow = UnitOfWork(engine, write=False)
    try:
        state = uow.session.execute(select(Form.state).where(Form.id == form_id)).scalar_one()
    finally:
        uow.close()
    assert state == "closed"


def test_run_many_inserts_each_row(engine) -> None:  # type: ignore[no-untyped-def]
    project = make_project(engine)
    inserts: dict[str, DriverStatement] = {}

    def insert_op(_dialect: str) -> Any:
        names = ("project_id", "op_id", "device_id", "status", "result", "created_at")
        return insert(TABLE).values({n: bindparam(n, type_=TABLE.c[n].type) for n in names})

    rows = [
        {"project_id": project, "op_id": f"many-{n}", "device_id": "p", "status": "applied",
         "result": {"n": n}, "created_at": MOMENT}
        for n in range(3)
    ]
    uow = UnitOfWork(engine, write=True)
    try:
        compiled_for(inserts, insert_op, uow.session).run_many(uow.session, rows)
        uow.commit()
    finally:
        uow.close()
    uow = UnitOfWork(engine, write=False)
    try:
        stored = uow.session.execute(
            select(TABLE.c.op_id, TABLE.c.result, TABLE.c.created_at)
            .where(TABLE.c.op_id.like("many-%")).order_by(TABLE.c.op_id)
        ).all()
    finally:
        uow.close()
    assert [tuple(r) for r in stored] == [(f"many-{n}", {"n": n}, MOMENT) for n in range(3)]
