"""Sync throughput: push 10,000 new submissions in batches of 100, pull 100,000 changes.

On SQLite and on PostgreSQL (when reachable), through the push and pull services (one unit of
work per batch or page, as a request has), compared with a raw DBAPI ``executemany`` insert of
the same rows into the same database in the same run: for each op, its submission, its
version (submission_defs) and its stored answer (sync_ops), as the push writes them. Prints
greppable lines:

    sync.push sqlite ops_per_s=… raw_insert_rows_per_s=… ratio=…
    sync.pull sqlite changes_per_s=…
    sync.load sqlite loadavg_1min=…
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from fastapi.testclient import TestClient  # noqa: E402
from sqlalchemy import text  # noqa: E402

from server.app import create_app  # noqa: E402
from server.auth.principal import Principal  # noqa: E402
from server.db import make_engine, unit_of_work  # noqa: E402
from server.migrate import upgrade  # noqa: E402
from server.policy import MANAGER, Access  # noqa: E402
from server.services.sync_pull import pull  # noqa: E402
from server.services.sync_push import push  # noqa: E402
from server.settings import Settings  # noqa: E402
from tests.backends import create_database, postgres_reachable  # noqa: E402
from tests.factories import headers_for, make_project, make_user  # noqa: E402
from tests.sync_api.conftest import FORM, N, V, W, publish  # noqa: E402

PUSHED, BATCH, PULLED, PAGE = 10_000, 100, 100_000, 5_000


def setup(url: str, data_dir: Path) -> tuple[Any, int, int]:
    engine = make_engine(url, pool_size=2)
    upgrade(engine)
    settings = Settings(database_url=url, secret_key="bench" * 10, data_dir=data_dir)
    app = create_app(settings, engine=engine)
    project = make_project(engine, "Bench")
    manager = make_user(engine, f"m{uuid.uuid4().hex[:6]}@bench.kg", role=MANAGER,
                        project=project)
    with TestClient(app) as client:
        publish(client, headers_for(app, manager), project)
    return engine, project, manager


def ops(device: str, start: int, count: int) -> list[dict[str, Any]]:
    wall = int(time.time() * 1000) - 10**7
    return [
        {"op_id": str(uuid.uuid4()), "client_seq": seq, "type": "submission", "form_id": FORM,
         "record_id": f"uuid:{uuid.uuid4()}", "base_version": None,
         "hlc": f"{wall + seq:013d}-00000-{device}",
         "fields": {V: "Ak-Sai", W: seq % 50, N: "a community meeting about water"}}
        for seq in range(start, start + count)
    ]


def bench_push(engine: Any, access: Access, project: int) -> float:
    started = time.perf_counter()
    for start in range(1, PUSHED + 1, BATCH):
        body = {"device_id": "bench-phone", "ops": ops("bench-phone", start, BATCH)}
        with unit_of_work(engine) as uow:
            answer = push(uow.session, access, project, body, max_skew_ms=300_000)
            uow.commit()
        assert {r["status"] for r in answer["results"]} == {"applied"}
    return PUSHED / (time.perf_counter() - started)


def raw_rows(engine: Any, project: int, count: int) -> tuple[list[dict[str, Any]], int, int]:
    with engine.connect() as conn:
        form_id, def_id = conn.execute(text(
            "SELECT id, current_def_id FROM forms WHERE project_id = :p"), {"p": project}).one()
        xml = conn.execute(text("SELECT xml FROM submission_defs LIMIT 1")).scalar()
    now = "2026-01-01 00:00:00"
    rows = [{"p": project, "f": form_id, "i": f"uuid:{uuid.uuid4()}", "now": now, "xml": xml,
             "data": json.dumps({V: "Ak-Sai", W: n % 50, N: "raw"}), "fd": def_id,
             "op": str(uuid.uuid4()), "n": n}
            for n in range(count)]
    return rows, form_id, def_id


def raw_insert(engine: Any, rows: list[dict[str, Any]], seq: int | None = None) -> float:
    """The practical limit: the three tables' rows inserted with executemany in one transaction."""
    started = time.perf_counter()
    with engine.begin() as conn:
        conn.execute(text(
            "INSERT INTO submissions (project_id, form_id, instance_id, version, conflict,"
            " change_seq, created_at) VALUES (:p, :f, :i, 1, false, :seq, :now)"),
            [{**r, "seq": seq} for r in rows])
        ids = dict(conn.execute(text(
            "SELECT instance_id, id FROM submissions WHERE project_id = :p"),
            {"p": rows[0]["p"]}).all())
        conn.execute(text(
            "INSERT INTO submission_defs (submission_id, form_id, form_def_id, version,"
            " instance_id, xml, data, current, created_at) VALUES"
            " (:s, :f, :fd, 1, :i, :xml, :data, true, :now)"),
            [{**r, "s": ids[r["i"]]} for r in rows])
        conn.execute(text(
            "INSERT INTO sync_ops (project_id, op_id, device_id, client_seq, type, container,"
            " record_id, status, version, result, created_at) VALUES"
            " (:p, :op, 'raw-phone', :n, 'submission', 'open_day', :i, 'applied', 1,"
            " '{\"conflicts\": []}', :now)"),
            rows)
    return len(rows) / (time.perf_counter() - started)


def bench_pull(engine: Any, access: Access, project: int) -> tuple[float, int]:
    cursor, total = None, 0
    started = time.perf_counter()
    while True:
        with unit_of_work(engine, write=False) as uow:
            page = pull(uow.session, access, project, cursor, PAGE)
        total += len(page["changes"])
        cursor = page["cursor"]
        if not page["has_more"]:
            break
    return total / (time.perf_counter() - started), total


def run(backend: str, folder: Path) -> None:
    database = create_database(backend, folder)
    try:
        engine, project, manager = setup(database.url, folder / "data")
        access = Access(Principal(manager, "user", "bench"), project, MANAGER, True)
        push_rate = bench_push(engine, access, project)
        rows, _, _ = raw_rows(engine, project, PUSHED)
        raw_rate = raw_insert(engine, rows)
        with engine.begin() as conn:
            seq = conn.execute(text("SELECT value FROM change_counter WHERE id = 1")).scalar()
        filler, _, _ = raw_rows(engine, project, PULLED - 2 * PUSHED)
        raw_insert(engine, filler, seq=int(seq or 0) + 1)
        with engine.begin() as conn:  # the raw rows join the feed, as if pushed
            conn.execute(text("UPDATE submissions SET change_seq = :s WHERE change_seq IS NULL"),
                         {"s": int(seq or 0) + 1})
        pull_rate, pulled = bench_pull(engine, access, project)
        print(f"sync.push {backend} ops_per_s={push_rate:.0f} raw_insert_rows_per_s={raw_rate:.0f}"
              f" ratio={raw_rate / push_rate:.1f}")
        print(f"sync.pull {backend} changes_per_s={pull_rate:.0f} changes={pulled}")
        # Figures of a loaded machine are not comparable with those of an idle one.
        print(f"sync.load {backend} loadavg_1min={os.getloadavg()[0]:.2f}")
        engine.dispose()
    finally:
        database.drop()


def main() -> None:
    backends = ["sqlite"] + ([] if postgres_reachable() else ["postgresql"])
    for backend in backends:
        with tempfile.TemporaryDirectory() as folder:
            run(backend, Path(folder))


if __name__ == "__main__":
    main()
