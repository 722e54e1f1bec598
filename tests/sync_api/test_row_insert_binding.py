"""The bulk insert's own value binding (its shortcuts for JSON documents and UTC timestamps)
writes exactly the text SQLAlchemy's column types write, on both dialects, for every value."""

from __future__ import annotations

import json
import math
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from sqlalchemy import JSON, insert, null, text
from sqlalchemy.dialects import postgresql, sqlite

from server.db import UnitOfWork
from server.models import Submission, SubmissionDef, SyncOp
from server.services.row_insert import _processed, insert_rows
from tests.factories import make_project

DOCUMENTS: list[Any] = [
    {}, [], {"a": [1, 2.5, None, True, False]}, ["x", {"y": "z"}],
    {"/data/village": "Ак-Сай «кыргызча» \u2028 \\ \" \n\t", "n": -0.0, "big": 10**30},
    {1: "int key", 2.5: "float key", None: "null key", False: "bool key"},
]
# JSON that only SQLite stores (PostgreSQL refuses NaN and the infinities).
ODD_NUMBERS = {"nan": math.nan, "inf": math.inf, "-inf": -math.inf, "f": 1e-7, "k": {"1": []}}
OTHERS: list[Any] = [None, JSON.NULL, null(), "text", 3, 2.5, True]
STAMPS: list[Any] = [
    None,
    datetime(2026, 11, 30, 11, 27, 25, 424242, tzinfo=UTC),
    datetime(2026, 11, 30, 11, 27, 25, tzinfo=UTC),
    datetime(999, 1, 2, 3, 4, 5, 6, tzinfo=UTC),
    datetime(2026, 3, 8, 9, 30, 15, 123456, tzinfo=timezone(timedelta(hours=6))),
    datetime(2026, 3, 8, 9, 30, 15, tzinfo=timezone(timedelta(hours=-3, minutes=-30))),
]
DIALECTS = [sqlite.dialect(), postgresql.psycopg.dialect()]


def _reference(column_type: Any, dialect: Any) -> Any:
    """The binding the insert must match: the column type's own (JSON as json.dumps on
    PostgreSQL, whose COPY is handed the text psycopg's JSON wrapper would write)."""
    if dialect.name == "postgresql" and isinstance(column_type, JSON):
        return json.dumps
    return column_type.dialect_impl(dialect).bind_processor(dialect) or (lambda value: value)


def _values(column_type: Any) -> list[Any]:
    if isinstance(column_type, JSON):
        return [*DOCUMENTS, ODD_NUMBERS, *OTHERS]
    if type(column_type).__name__ == "UTCDateTime":
        return STAMPS
    return []


def _outcome(bind: Any, value: Any) -> tuple[str, Any]:
    """What binding `value` gives: its text (and type), or the error it raises."""
    try:
        bound = bind(value)
    except Exception as error:  # noqa: BLE001 - the same failure is the same outcome
        return "error", type(error)
    return "bound", (type(bound), bound if isinstance(bound, str | int | None) else repr(bound))


@pytest.mark.parametrize("dialect", DIALECTS, ids=lambda d: d.name)
@pytest.mark.parametrize("table", [Submission.__table__, SubmissionDef.__table__,
                                   SyncOp.__table__], ids=lambda t: t.name)
def test_each_bound_value_is_the_column_types_own(dialect: Any, table: Any) -> None:
    checked = 0
    for column in table.columns:
        reference = _reference(column.type, dialect)
        for value in _values(column.type):
            key = column.key
            bound = _outcome(
                lambda v, k=key: list(_processed(table, [k], [{k: v}], dialect))[0][0], value)
            assert bound == _outcome(reference, value), (column.key, value)
            checked += 1
    assert checked >= len(STAMPS)


def test_a_naive_timestamp_is_refused_as_by_the_column_type() -> None:
    with pytest.raises(ValueError, match="naive"):
        list(_processed(SyncOp.__table__, ["created_at"], [{"created_at": datetime(2026, 1, 1)}],
                        sqlite.dialect()))


def test_stored_text_is_that_of_an_insert_through_sqlalchemy(engine) -> None:
    project = make_project(engine)
    rows = [
        {"project_id": project, "op_id": f"op-{n}", "device_id": "p", "client_seq": n,
         "actor_id": None, "type": "submission", "container": "f", "record_id": f"r{n}",
         "status": "applied", "version": 1, "hlc": None,
         "result": DOCUMENTS[n % len(DOCUMENTS)] if n % 3 else None,
         "created_at": STAMPS[1 + n % (len(STAMPS) - 1)]}
        for n in range(12)
    ]
    uow = UnitOfWork(engine, write=True)
    try:
        insert_rows(uow.session, SyncOp.__table__, rows)
        uow.session.execute(insert(SyncOp.__table__),
                            [{**r, "op_id": "plain-" + r["op_id"]} for r in rows])
        stored = uow.session.execute(text(
            "SELECT op_id, CAST(result AS TEXT), CAST(created_at AS TEXT) FROM sync_ops"
            " ORDER BY op_id")).all()
        uow.commit()
    finally:
        uow.close()
    bulk = {r[0]: r[1:] for r in stored if not r[0].startswith("plain-")}
    plain = {r[0].removeprefix("plain-"): r[1:] for r in stored if r[0].startswith("plain-")}
    assert len(bulk) == 12
    assert bulk == plain
