"""A bulk of first syncs leaves PostgreSQL with statistics that describe the tables it filled."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from server.services import table_statistics
from tests.sync_api.conftest import V, W, new_record

TABLES = ("submissions", "submission_defs", "sync_ops")


def _described(engine) -> dict[str, float]:  # type: ignore[no-untyped-def]
    with engine.connect() as conn:
        return dict(conn.execute(
            text("SELECT relname, reltuples FROM pg_class WHERE relname = ANY(:t)"
                 " AND relnamespace = to_regnamespace(current_schema())"),
            {"t": list(TABLES)},
        ).tuples().all())


def test_a_push_after_a_bulk_of_new_records_has_the_tables_analysed(
    world, backend, monkeypatch,
) -> None:
    if backend != "postgresql":
        pytest.skip("planner statistics are a PostgreSQL matter")
    monkeypatch.setattr(table_statistics, "CHECK_EVERY_ROWS", 50)
    monkeypatch.setattr(table_statistics, "_inserted", {})
    monkeypatch.setattr(table_statistics, "_check_at", {})
    phone = world.phone("phone-bulk")
    first = phone.push(*[phone.op(new_record(), {V: "Ak-Sai", W: n}) for n in range(60)])
    assert {r["status"] for r in first["results"]} == {"applied"}
    # Not analysed yet: a push looks at the statistics before its own lookups.
    assert all(_described(world.engine)[t] < 60 for t in TABLES)

    second = phone.push(*[phone.op(new_record(), {V: "Kulundu", W: n}) for n in range(10)])

    assert {r["status"] for r in second["results"]} == {"applied"}
    # Analysed at the start of the second push: the first push's 60 rows, not yet its own 10.
    assert _described(world.engine) == {t: 60.0 for t in TABLES}
    third = phone.push(phone.op(new_record(), {V: "Uch-Korgon"}))["results"][0]
    assert third["status"] == "applied"
    assert _described(world.engine) == {t: 60.0 for t in TABLES}  # no new analysis per push
