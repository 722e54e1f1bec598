"""A push's batch lookups (its records by key, its already-answered ops by op id) read through
the unique constraints' indexes, also on a database the server has never analyzed: a new
server's first minute, or a bulk of new rows before autovacuum's ANALYZE. Read through another
index on the same first column, each lookup read every row of the form or project (a push of
100 ops went from 25 to 45 ms as the table grew to 6,500 records)."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import select

from server.app import create_app
from server.auth.principal import Principal
from server.db import make_engine, unit_of_work
from server.driver_sql import DriverStatement, compiled_for
from server.migrate import upgrade
from server.models import Form
from server.policy import MANAGER, Access
from server.services import sync_push
from server.services import sync_submission_batch as batch
from server.services.key_lookup import keys_value
from server.settings import Settings
from tests.backends import create_database
from tests.factories import headers_for, make_project, make_user
from tests.sync_api.conftest import FORM, V, W, publish

BATCHES, SIZE = 4, 100


@pytest.fixture
def fresh_engine(backend: str, tmp_path: Path) -> Iterator[Engine]:
    """A new database of the backend, migrated and never analyzed."""
    database = create_database(backend, tmp_path)
    engine = make_engine(database.url, pool_size=2)
    upgrade(engine)
    yield engine
    engine.dispose()
    database.drop()


def _pushed(engine: Engine, tmp_path: Path) -> tuple[int, list[str], list[str]]:
    """A project whose form has BATCHES x SIZE records pushed: (project, record ids, op ids)."""
    settings = Settings(database_url=str(engine.url), secret_key="lookup-plans" * 4,
                        data_dir=tmp_path / "data")
    app = create_app(settings, engine=engine)
    project = make_project(engine)
    manager = make_user(engine, "plans@example.kg", role=MANAGER, project=project)
    with TestClient(app) as client:
        publish(client, headers_for(app, manager), project)
    access = Access(Principal(manager, "user", "test"), project, MANAGER, True)
    records: list[str] = []
    op_ids: list[str] = []
    wall = int(time.time() * 1000) - 10**6
    for seq in range(1, BATCHES * SIZE + 1, SIZE):
        ops = [{"op_id": str(uuid.uuid4()), "client_seq": n, "type": "submission",
                "form_id": FORM, "record_id": f"uuid:{uuid.uuid4()}", "base_version": None,
                "hlc": f"{wall + n:013d}-00000-phone", "fields": {V: "Ak-Sai", W: n}}
               for n in range(seq, seq + SIZE)]
        with unit_of_work(engine) as uow:
            answer = sync_push.push(uow.session, access, project,
                                    {"device_id": "phone", "ops": ops}, max_skew_ms=300_000)
            uow.commit()
        assert {r["status"] for r in answer["results"]} == {"applied"}
        records += [op["record_id"] for op in ops]
        op_ids += [op["op_id"] for op in ops]
    return project, records, op_ids


def _plan(session: Any, statement: DriverStatement, params: dict[str, Any]) -> str:
    dialect = session.get_bind().dialect.name
    prefix = "EXPLAIN " if dialect == "postgresql" else "EXPLAIN QUERY PLAN "
    cursor = session.connection().connection.driver_connection.cursor()
    cursor.execute(prefix + statement.sql, statement._parameters(params))
    return "\n".join(str(row[-1]) for row in cursor.fetchall())


def _index_names(engine: Engine, table: str) -> set[str]:
    from sqlalchemy import inspect

    return {index["name"] for index in inspect(engine).get_indexes(table)}


def test_batch_lookups_use_the_unique_keys_on_a_database_never_analyzed(
    fresh_engine: Engine, backend: str, tmp_path: Path
) -> None:
    project, records, op_ids = _pushed(fresh_engine, tmp_path)
    # Half of each lookup's keys exist, half are new, as in a push of edits and new records.
    keys = sorted(records[::8] + [f"uuid:{uuid.uuid4()}" for _ in range(50)])
    ops = sorted(op_ids[::8] + [str(uuid.uuid4()) for _ in range(50)])
    other_indexes = _index_names(fresh_engine, "submissions") | _index_names(fresh_engine,
                                                                             "sync_ops")
    with unit_of_work(fresh_engine) as uow:
        session = uow.session
        form_id = session.exec(select(Form.id).where(Form.xml_form_id == FORM)).one()
        records_plan = _plan(
            session, compiled_for(batch._LOCKED_ROWS, batch._locked_rows_statement, session),
            {"form_id": form_id, "ids": keys_value(keys)},
        )
        ops_plan = _plan(
            session, compiled_for(sync_push._KNOWN_OPS, sync_push._known_ops_statement, session),
            {"project_id": project, "ids": keys_value(ops)},
        )
    if backend == "postgresql":
        assert "uq_submissions_form_id" in records_plan, records_plan
        assert "uq_sync_ops_project_id" in ops_plan, ops_plan
        assert "Seq Scan on submissions" not in records_plan, records_plan
        assert "Seq Scan on sync_ops" not in ops_plan, ops_plan
    else:
        # SQLite names a table's unique constraints' indexes sqlite_autoindex_<table>_<n>.
        assert "USING INDEX sqlite_autoindex_submissions" in records_plan, records_plan
        assert "USING INDEX sqlite_autoindex_sync_ops" in ops_plan, ops_plan
    used = {name for name in other_indexes if name in records_plan + ops_plan}
    assert used <= {"uq_submissions_form_id", "uq_sync_ops_project_id"}, (records_plan, ops_plan)
