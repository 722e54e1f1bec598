"""Rows inserted in bulk (COPY on PostgreSQL) read back exactly as rows inserted one by one."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from sqlalchemy import insert, select

from server.db import UnitOfWork
from server.models import SyncOp
from server.services.row_insert import insert_rows
from tests.factories import make_project

TABLE = SyncOp.__table__


def _rows(project: int, prefix: str) -> list[dict[str, Any]]:
    moment = datetime(2026, 3, 8, 9, 30, 15, 123456, tzinfo=timezone(timedelta(hours=6)))
    return [
        {
            "project_id": project,
            "op_id": f"{prefix}-1",
            "device_id": 'phone "Ak-Sai"\tτ',
            "client_seq": 1,
            "actor_id": None,
            "type": "submission",
            "container": "open_day",
            "record_id": "uuid:1",
            "status": "applied",
            "version": 1,
            "hlc": None,
            "result": {"conflicts": [], "note": "a\\b\nc «кыргызча»", "n": 1.5, "ok": True},
            "created_at": moment,
        },
        {
            "project_id": project,
            "op_id": f"{prefix}-2",
            "device_id": "",
            "client_seq": None,
            "actor_id": None,
            "type": None,
            "container": None,
            "record_id": None,
            "status": "rejected",
            "version": None,
            "hlc": "1764450000000-00000-p",
            "result": None,
            "created_at": datetime(2026, 1, 1, tzinfo=UTC),
        },
    ]


def _stored(engine, prefix: str) -> list[tuple[Any, ...]]:  # type: ignore[no-untyped-def]
    uow = UnitOfWork(engine, write=False)
    try:
        rows = uow.session.execute(
            select(TABLE).where(TABLE.c.op_id.like(f"{prefix}-%")).order_by(TABLE.c.op_id)
        ).all()
    finally:
        uow.close()
    return [tuple(v for k, v in row._mapping.items() if k not in ("id", "op_id")) for row in rows]


def test_bulk_inserted_rows_read_back_like_rows_inserted_by_an_insert(engine) -> None:
    project = make_project(engine)
    uow = UnitOfWork(engine, write=True)
    try:
        insert_rows(uow.session, TABLE, _rows(project, "bulk"))
        uow.session.execute(insert(TABLE), _rows(project, "plain"))
        uow.commit()
    finally:
        uow.close()
    bulk = _stored(engine, "bulk")
    assert len(bulk) == 2
    assert bulk == _stored(engine, "plain")
    assert bulk[0][-1] == datetime(2026, 3, 8, 3, 30, 15, 123456, tzinfo=UTC)


def test_rows_sharing_a_time_and_rows_not_sharing_it_read_back_their_own(engine) -> None:  # type: ignore[no-untyped-def]
    project = make_project(engine)
    shared = datetime(2026, 5, 1, 10, 0, 0, 1, tzinfo=UTC)
    times = [shared, shared, datetime(2026, 5, 1, 10, 0, 0, 2, tzinfo=UTC), shared]
    rows = []
    for n, moment in enumerate(times):
        row = _rows(project, f"shared{n}")[1]
        rows.append({**row, "created_at": moment})
    uow = UnitOfWork(engine, write=True)
    try:
        insert_rows(uow.session, TABLE, rows)
        uow.commit()
    finally:
        uow.close()
    read = [_stored(engine, f"shared{n}")[0][-1] for n in range(len(times))]
    assert read == times
