"""PostgreSQL, many writers at once: a reader pulling all along sees every acknowledged write.

Eight writer processes, each with its own engine, push batches (new records and edits of their
earlier ones) through the push service while the test process pulls continuously. Commit
order differs from the order writers drew their numbers in, which is what would make a
sequence-based cursor skip changes; the reader must still end with every record at the
version its writer was told.
"""

from __future__ import annotations

import multiprocessing
import time
import uuid

import pytest

from server.auth.principal import Principal
from server.db import make_engine, unit_of_work
from server.policy import MANAGER, Access
from server.services.sync_pull import pull
from server.services.sync_push import push
from tests.sync_api.conftest import FORM, V, W

WRITERS, BATCHES, BATCH = 8, 6, 20


def _writer(url: str, project: int, actor: int, device: str) -> dict[str, int]:
    """Push BATCHES batches; return record id -> the version the server acknowledged last."""
    engine = make_engine(url, pool_size=1)
    access = Access(Principal(actor, "user", device), project, MANAGER, True)
    acknowledged: dict[str, int] = {}
    seq, wall = 0, int(time.time() * 1000) - 60_000
    for _ in range(BATCHES):
        ops = []
        for record in [*list(acknowledged)[-BATCH // 2:], *(None,) * (BATCH // 2)]:
            seq, wall = seq + 1, wall + 1
            ops.append({
                "op_id": str(uuid.uuid4()), "client_seq": seq, "type": "submission",
                "form_id": FORM, "record_id": record or f"uuid:{uuid.uuid4()}",
                "base_version": acknowledged.get(record or ""), "hlc": f"{wall}-00000-{device}",
                "fields": {V: device, W: seq},
            })
        with unit_of_work(engine) as uow:
            answer = push(uow.session, access, project, {"device_id": device, "ops": ops},
                          max_skew_ms=300_000)
            uow.commit()
        for result in answer["results"]:
            assert result["status"] in ("applied", "merged"), result
            acknowledged[result["record_id"]] = result["version"]
    engine.dispose()
    return acknowledged


def test_a_reader_pulling_during_eight_concurrent_writers_misses_no_acknowledged_write(
    world, settings, backend,
) -> None:
    if backend != "postgresql":
        pytest.skip("concurrent writers are a PostgreSQL matter (SQLite serialises writers)")
    context = multiprocessing.get_context("spawn")
    args = [(settings.database_url, world.project, world.manager_id, f"writer-{i}")
            for i in range(WRITERS)]
    reader = Access(Principal(world.manager_id, "user", "reader"), world.project, MANAGER, True)
    engine = make_engine(settings.database_url, pool_size=1)
    seen: dict[str, int] = {}
    cursor: str | None = None

    def read_until_caught_up() -> None:
        nonlocal cursor
        while True:
            with unit_of_work(engine, write=False) as uow:
                page = pull(uow.session, reader, world.project, cursor, 200)
            for change in page["changes"]:
                seen[change["record_id"]] = change["version"]
            cursor = page["cursor"]
            if not page["has_more"]:
                return

    with context.Pool(WRITERS) as pool:
        pending = pool.starmap_async(_writer, args)
        while not pending.ready():
            read_until_caught_up()
        acknowledged = {k: v for part in pending.get(timeout=120) for k, v in part.items()}
    read_until_caught_up()
    engine.dispose()
    assert len(acknowledged) == WRITERS * BATCHES * BATCH // 2
    assert seen == acknowledged
