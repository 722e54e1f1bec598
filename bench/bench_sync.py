"""Sync throughput: push 10,000 new submissions in batches of 100, pull 100,000 changes.

On SQLite and on PostgreSQL (when reachable), through the push and pull services (one unit of
work per batch or page, as a request has), compared with a raw ``executemany`` insert of
the same rows into the same database in the same run: copies of the rows the push wrote for
each op (its submission, its version in submission_defs, its stored answer in sync_ops), every
column as stored, with only the instance and op ids made new; once in one transaction, and
once in transactions of 100 records, as the push commits each batch. Prints greppable lines:

    sync.push sqlite ops_per_s=… raw_insert_rows_per_s=… ratio=…
    sync.push_vs_batched_raw sqlite ops_per_s=… raw_insert_batches_of_100_rows_per_s=… ratio=…
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

# A checkpoint before each timed run on PostgreSQL (see its docstring).
from bench_openrosa import settle  # noqa: E402
from fastapi.testclient import TestClient  # noqa: E402
from sqlalchemy import text  # noqa: E402

from server.app import create_app, freeze_startup_objects  # noqa: E402
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
    """Push rate: the time of the pushes alone. Each batch's ops are made just before it,
    outside the clock, as the raw baseline's rows are made before it: they are the phone's
    work. Not all at once beforehand: a server holds one request's body at a time, and
    10,000 live ops make the push's garbage collections longer (PostgreSQL, 2026-11-30 10:02
    UTC: 1,775-1,858 ops/s with all ops made first, 2,029-2,680 made batch by batch)."""
    elapsed = 0.0
    for start in range(1, PUSHED + 1, BATCH):
        body = {"device_id": "bench-phone", "ops": ops("bench-phone", start, BATCH)}
        began = time.perf_counter()
        with unit_of_work(engine) as uow:
            answer = push(uow.session, access, project, body, max_skew_ms=300_000)
            uow.commit()
        elapsed += time.perf_counter() - began
        assert {r["status"] for r in answer["results"]} == {"applied"}
    return PUSHED / elapsed


def pushed_rows(engine: Any, project: int) -> dict[str, list[dict[str, Any]]]:
    """Every row the push wrote to the three tables, column by column, as the driver reads them.

    The raw baseline inserts copies of these, so that it writes the same rows (JSON documents,
    field metadata, validation results, instance XML) and not a lighter stand-in for them.
    """
    tables = {
        "submissions": "SELECT * FROM submissions WHERE project_id = :p ORDER BY id",
        "submission_defs": "SELECT d.* FROM submission_defs d JOIN submissions s"
        " ON s.id = d.submission_id WHERE s.project_id = :p ORDER BY d.id",
        "sync_ops": "SELECT * FROM sync_ops WHERE project_id = :p ORDER BY id",
    }
    found = {}
    with engine.connect() as conn:
        for table, query in tables.items():
            found[table] = [
                {k: json.dumps(v) if isinstance(v, dict | list) else v
                 for k, v in row._mapping.items() if k != "id"}
                for row in conn.execute(text(query), {"p": project})
            ]
    return found


def copies(pushed: dict[str, list[dict[str, Any]]], count: int) -> dict[str, list[dict[str, Any]]]:
    """`count` new records copied from pushed ones: new instance and op ids, all else equal."""
    records = [pushed["submissions"][n % len(pushed["submissions"])] for n in range(count)]
    by_instance = {d["instance_id"]: d for d in pushed["submission_defs"]}
    by_record = {o["record_id"]: o for o in pushed["sync_ops"]}
    out: dict[str, list[dict[str, Any]]] = {"submissions": [], "submission_defs": [],
                                            "sync_ops": []}
    for record in records:
        instance = f"uuid:{uuid.uuid4()}"
        old = record["instance_id"]
        out["submissions"].append({**record, "instance_id": instance})
        out["submission_defs"].append({**by_instance[old], "instance_id": instance,
                                       "op_id": str(uuid.uuid4())})
        out["sync_ops"].append({**by_record[old], "record_id": instance,
                                "op_id": str(uuid.uuid4())})
    return out


def raw_insert(engine: Any, rows: dict[str, list[dict[str, Any]]], seq: int | None = None,
               batch: int | None = None) -> float:
    """The practical limit: the three tables' rows inserted with executemany.

    In one transaction (`batch` None), or in transactions of `batch` records as the push has
    to commit each request's batch before it answers the device.
    """
    def statement(table: str) -> Any:
        names = list(rows[table][0])
        return text(f"INSERT INTO {table} ({', '.join(names)})"
                    f" VALUES ({', '.join(':' + n for n in names)})")

    records = [{**r, "change_seq": seq} for r in rows["submissions"]]
    size = batch or len(records)
    started = time.perf_counter()
    for start in range(0, len(records), size):
        with engine.begin() as conn:
            before = conn.execute(text("SELECT coalesce(max(id), 0) FROM submissions")).scalar()
            conn.execute(statement("submissions"), records[start:start + size])
            ids = dict(conn.execute(text(
                "SELECT instance_id, id FROM submissions WHERE id > :before"),
                {"before": before}).all())
            conn.execute(statement("submission_defs"), [
                {**d, "submission_id": ids[d["instance_id"]]}
                for d in rows["submission_defs"][start:start + size]])
            conn.execute(statement("sync_ops"), rows["sync_ops"][start:start + size])
    return len(records) / (time.perf_counter() - started)


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
        freeze_startup_objects()  # as `kenesh serve` does once its app is made
        settle(backend)
        push_rate = bench_push(engine, access, project)
        pushed = pushed_rows(engine, project)
        with engine.begin() as conn:
            seq = conn.execute(text("SELECT value FROM change_counter WHERE id = 1")).scalar()
        rows = copies(pushed, PUSHED)
        settle(backend)
        raw_rate = raw_insert(engine, rows, seq=int(seq or 0) + 1)
        rows = copies(pushed, PUSHED)
        settle(backend)
        batched_rate = raw_insert(engine, rows, seq=int(seq or 0) + 1, batch=BATCH)
        raw_insert(engine, copies(pushed, PULLED - 3 * PUSHED), seq=int(seq or 0) + 1)
        pull_rate, pulled = bench_pull(engine, access, project)
        print(f"sync.push {backend} ops_per_s={push_rate:.0f} raw_insert_rows_per_s={raw_rate:.0f}"
              f" ratio={raw_rate / push_rate:.1f}")
        print(f"sync.push_vs_batched_raw {backend} ops_per_s={push_rate:.0f}"
              f" raw_insert_batches_of_{BATCH}_rows_per_s={batched_rate:.0f}"
              f" ratio={batched_rate / push_rate:.1f}")
        print(f"sync.pull {backend} changes_per_s={pull_rate:.0f} changes={pulled}")
        # Figures of a loaded machine are not comparable with those of an idle one.
        print(f"sync.load {backend} loadavg_1min={os.getloadavg()[0]:.2f}")
        engine.dispose()
    finally:
        database.drop()


def main() -> None:
    from run_all import python_loop_ms

    print(f"machine.calibration python_loop_ms={python_loop_ms():.0f}", flush=True)
    backends = ["sqlite"] + ([] if postgres_reachable() else ["postgresql"])
    for backend in backends:
        with tempfile.TemporaryDirectory() as folder:
            run(backend, Path(folder))


if __name__ == "__main__":
    main()
