"""Entity lists at scale: 100,000 local action plan activities in 50 ayil aimaks.

Through the app's HTTP routes (in-process client), on SQLite and on PostgreSQL when reachable:
- the CSV form attachment an officer's phone downloads (scoped to one ayil aimak; target < 100 ms),
- one full OData page of 1,000 entities (target < 200 ms),
- 1,000 offline entity updates arriving as OpenRosa submissions (ops/s).
The 100,000 entities are inserted in bulk (setup, not measured). Prints one greppable line each.
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from fastapi.testclient import TestClient  # noqa: E402
from sqlalchemy import insert, text  # noqa: E402

from server.app import create_app  # noqa: E402
from server.db import make_engine, unit_of_work  # noqa: E402
from server.migrate import upgrade  # noqa: E402
from server.models import ActorScope, Entity, EntityDef, ProjectScope  # noqa: E402
from server.models.base import utcnow  # noqa: E402
from server.services.changes import next_change_number  # noqa: E402
from server.settings import Settings  # noqa: E402
from tests.backends import create_database, postgres_reachable  # noqa: E402
from tests.entities.forms import CREATE_MD, UPDATE_MD, update_xml  # noqa: E402
from tests.factories import headers_for, make_app_user, make_project, make_user  # noqa: E402

ENTITIES = 100_000
AIMAKS = 50
UPDATES = 1_000
OPENROSA = {"X-OpenRosa-Version": "1.0"}


def _publish(client: TestClient, headers: dict[str, str], project: int, md: str) -> None:
    response = client.post(f"/v1/projects/{project}/forms",
                           params={"publish": "true", "ignoreWarnings": "true"},
                           content=md.encode(),
                           headers={**headers, "Content-Type": "text/markdown"})
    assert response.status_code == 200, response.text


def _fill(engine: Any, project: int, dataset_id: int, creator: int) -> list[str]:
    """100,000 entities at version 1, inserted in bulk, stamped like any committed write."""
    now, uuids = utcnow(), [str(uuid.uuid4()) for _ in range(ENTITIES)]
    with unit_of_work(engine) as uow:
        seq = next_change_number(uow.session)
        rows = [{"project_id": project, "dataset_id": dataset_id, "uuid": u,
                 "label": f"Activity {i}", "version": 1, "conflict_fields": [], "field_meta": {},
                 "data": {"status": "planned", "progress": "0",
                          "ayil_aimak": f"aimak-{i % AIMAKS}"},
                 "scope_value": f"aimak-{i % AIMAKS}", "creator_id": creator,
                 "change_seq": seq, "created_at": now} for i, u in enumerate(uuids)]
        for start in range(0, ENTITIES, 5000):
            uow.session.execute(insert(Entity), rows[start:start + 5000])
        ids = dict(uow.session.execute(text(
            "SELECT uuid, id FROM entities WHERE dataset_id = :d"), {"d": dataset_id}).all())
        defs = [{"entity_id": ids[r["uuid"]], "version": 1, "current": True, "label": r["label"],
                 "data": r["data"], "data_received": r["data"], "deleted": False,
                 "source": "api", "creator_id": creator, "changed_fields": [],
                 "created_at": now} for r in rows]
        for start in range(0, ENTITIES, 5000):
            uow.session.execute(insert(EntityDef), defs[start:start + 5000])
        uow.commit()
    return uuids


def _timed(client: TestClient, url: str, headers: dict[str, str],
           runs: int = 7) -> tuple[float, Any]:
    times, response = [], None
    for _ in range(runs):
        start = time.perf_counter()
        response = client.get(url, headers=headers)
        times.append((time.perf_counter() - start) * 1000)
        assert response.status_code == 200, response.text
    return statistics.median(times), response


def run(backend: str, url: str) -> None:
    engine = make_engine(url, pool_size=5)
    upgrade(engine)
    with tempfile.TemporaryDirectory() as data_dir:
        settings = Settings(database_url=url, secret_key="bench-secret-key-0123456789abcdef",
                            data_dir=Path(data_dir), public_url="http://testserver",
                            log_level="WARNING")
        app = create_app(settings, engine=engine)
        project = make_project(engine, "Action plans")
        manager_id = make_user(engine, "manager@example.org", role="manager", project=project)
        manager = headers_for(app, manager_id)
        officer, key = make_app_user(engine, project, forms=("update_act",))
        with unit_of_work(engine) as uow:
            uow.session.add(ProjectScope(project_id=project, mode="location",
                                         field="/data/ayil_aimak"))
            uow.session.add(ActorScope(project_id=project, actor_id=officer,
                                       scope_values=["aimak-7"]))
            uow.commit()
        with TestClient(app) as client:
            _publish(client, manager, project, CREATE_MD)
            _publish(client, manager, project, UPDATE_MD)
            dataset_id = engine.connect().execute(text(
                "SELECT id FROM datasets WHERE name = 'acts'")).scalar_one()
            uuids = _fill(engine, project, dataset_id, manager_id)
            _measure(backend, client, project, key, manager, uuids)
    engine.dispose()


def _measure(backend: str, client: TestClient, project: int, key: str,
             manager: dict[str, str], uuids: list[str]) -> None:
    csv_url = f"/v1/key/{key}/projects/{project}/forms/update_act/attachments/acts.csv"
    ms, response = _timed(client, csv_url, {})
    rows = response.text.count("\n") - 1
    print(f"entities {backend}: scoped CSV attachment {rows} of {ENTITIES} rows: "
          f"{ms:.1f} ms (target < 100 ms)", flush=True)
    odata = f"/v1/projects/{project}/datasets/acts.svc/Entities?$top=1000"
    ms, response = _timed(client, odata, manager)
    print(f"entities {backend}: OData page of {len(response.json()['value'])} entities: "
          f"{ms:.1f} ms (target < 200 ms)", flush=True)
    start = time.perf_counter()
    for i in range(UPDATES):
        xml = update_xml(uuids[i], status="started", progress=str(i % 100), base=1, trunk=1,
                         branch=str(uuid.uuid4()))
        answer = client.post(f"/v1/projects/{project}/submission", headers={**manager, **OPENROSA},
                             files={"xml_submission_file": ("s.xml", xml, "text/xml")})
        assert answer.status_code == 201, answer.text
    seconds = time.perf_counter() - start
    print(f"entities {backend}: {UPDATES} offline updates applied via OpenRosa: "
          f"{UPDATES / seconds:.0f} ops/s ({seconds:.1f} s)", flush=True)


def main() -> None:
    backends = ["sqlite"] + ([] if postgres_reachable() else ["postgresql"])
    with tempfile.TemporaryDirectory() as folder:
        for backend in backends:
            db = create_database(backend, Path(folder))
            try:
                run(backend, db.url)
            finally:
                db.drop()


if __name__ == "__main__":
    main()
