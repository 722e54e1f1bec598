"""PostgreSQL, many writers at once: a reader pulling all along sees every acknowledged write.

Eight writer processes, each with its own engine, push batches (new records and edits of their
earlier ones) through the push service while the test process pulls continuously. Commit
order differs from the order writers drew their numbers in, which is what would make a
sequence-based cursor skip changes.

A pull returns each changed record once, with its current whole state: a record changed twice
between two catch-ups legitimately shows only its latest version. So the reader is held to
what it can be held to: every version it pulls was acknowledged, each record's versions come
in increasing order, and every acknowledged version is visible (that version or a later one)
by the end of the first catch-up that began after the writer was told. The last condition is
what catches a skipped intermediate version of a record that is edited again later, which the
final state alone would hide. "Began after" compares time.monotonic() readings taken in the
writer processes and in the reader: on Linux it is one clock for the whole machine, and only
the order of the readings is used, never a duration.
"""

from __future__ import annotations

import bisect
import multiprocessing
import time
import uuid
from collections import defaultdict

import pytest

from server.auth.principal import Principal
from server.db import make_engine, unit_of_work
from server.policy import MANAGER, Access
from server.services.sync_pull import pull
from server.services.sync_push import push
from tests.sync_api.conftest import FORM, V, W

WRITERS, BATCHES, BATCH = 8, 6, 20


def _writer(url: str, project: int, actor: int, device: str) -> list[tuple[str, int, float]]:
    """Push BATCHES batches; return every acknowledgement: (record id, version, time.monotonic()
    once the push had committed)."""
    engine = make_engine(url, pool_size=1)
    access = Access(Principal(actor, "user", device), project, MANAGER, True)
    acknowledged: dict[str, int] = {}
    acks: list[tuple[str, int, float]] = []
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
        committed = time.monotonic()
        for result in answer["results"]:
            assert result["status"] in ("applied", "merged"), result
            acknowledged[result["record_id"]] = result["version"]
            acks.append((result["record_id"], result["version"], committed))
    engine.dispose()
    return acks


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
    pulled: list[tuple[str, int, int]] = []  # (record id, version, catch-up number)
    began: list[float] = []  # time.monotonic() at the start of each catch-up
    cursor: str | None = None

    def read_until_caught_up() -> None:
        nonlocal cursor
        began.append(time.monotonic())
        while True:
            with unit_of_work(engine, write=False) as uow:
                page = pull(uow.session, reader, world.project, cursor, 200)
            for change in page["changes"]:
                pulled.append((change["record_id"], change["version"], len(began) - 1))
            cursor = page["cursor"]
            if not page["has_more"]:
                return

    with context.Pool(WRITERS) as pool:
        pending = pool.starmap_async(_writer, args)
        while not pending.ready():
            read_until_caught_up()
        acks = [ack for part in pending.get(timeout=120) for ack in part]
    read_until_caught_up()  # begins after every acknowledgement
    engine.dispose()

    _assert_the_reader_saw_every_acknowledged_version(acks, pulled, began)


def _assert_the_reader_saw_every_acknowledged_version(
    acks: list[tuple[str, int, float]], pulled: list[tuple[str, int, int]], began: list[float],
) -> None:
    latest = {record: version for record, version, _at in sorted(acks, key=lambda a: a[1])}
    assert len(latest) == WRITERS * BATCHES * BATCH // 2
    # Nothing pulled that no writer was told of.
    assert {(r, v) for r, v, _n in pulled} <= {(r, v) for r, v, _at in acks}
    versions: dict[str, list[tuple[int, int]]] = defaultdict(list)  # record -> (version, catch-up)
    for record, version, number in pulled:
        versions[record].append((version, number))
    for record, seen in versions.items():
        in_order = [version for version, _n in seen]
        assert in_order == sorted(set(in_order)), (record, in_order)
    for record, version, acknowledged_at in acks:
        # The first catch-up that began after the writer was told must show this version or
        # a later one by its end (an earlier catch-up may already have).
        deadline = bisect.bisect_right(began, acknowledged_at)
        shown = [n for v, n in versions.get(record, []) if v >= version]
        assert shown and min(shown) <= deadline, (record, version, deadline, versions.get(record))
    assert {record: seen[-1][0] for record, seen in versions.items()} == latest


SHARED, OVERLAPPING_PUSHES, PER_PUSH = 60, 12, 40


def _overlapping_writer(url: str, project: int, actor: int, device: str,
                        records: list[str]) -> list[dict[str, object]]:
    """Push OVERLAPPING_PUSHES batches, each naming PER_PUSH of the shared records in a random
    order; return every result. Any error (a deadlock included) fails the test."""
    import random

    engine = make_engine(url, pool_size=1)
    access = Access(Principal(actor, "user", device), project, MANAGER, True)
    results: list[dict[str, object]] = []
    seq, wall = 0, int(time.time() * 1000) - 60_000
    for _ in range(OVERLAPPING_PUSHES):
        ops = []
        for record in random.sample(records, PER_PUSH):
            seq, wall = seq + 1, wall + 1
            ops.append({
                "op_id": str(uuid.uuid4()), "client_seq": seq, "type": "submission",
                "form_id": FORM, "record_id": record, "base_version": None,
                "hlc": f"{wall}-00000-{device}", "fields": {V: device, W: seq},
            })
        with unit_of_work(engine) as uow:
            answer = push(uow.session, access, project, {"device_id": device, "ops": ops},
                          max_skew_ms=300_000)
            uow.commit()
        results += answer["results"]
    engine.dispose()
    return results


def test_devices_pushing_the_same_records_at_once_never_deadlock(world, settings, backend) -> None:
    """Six devices create and edit the same 60 records at once, each push naming them in its
    own order: every push commits at its first try, and every op is answered. A batch takes the
    advisory locks on all its keys first, in key order, and only then row locks; when it locked
    existing rows first and the keys of missing records after, this test failed with
    "deadlock detected" in 1 of 2 runs (a push answers a deadlock with a 503 that the device
    retries, so nothing was lost, but pushes were)."""
    if backend != "postgresql":
        pytest.skip("concurrent writers are a PostgreSQL matter (SQLite serialises writers)")
    records = [f"uuid:{uuid.uuid4()}" for _ in range(SHARED)]
    args = [(settings.database_url, world.project, world.manager_id, f"device-{i}", records)
            for i in range(6)]
    with multiprocessing.get_context("spawn").Pool(6) as pool:
        answered = pool.starmap(_overlapping_writer, args)
    statuses = [result["status"] for part in answered for result in part]
    assert len(statuses) == 6 * OVERLAPPING_PUSHES * PER_PUSH
    assert set(statuses) <= {"applied", "merged", "conflict"}
    engine = make_engine(settings.database_url, pool_size=1)
    with unit_of_work(engine, write=False) as uow:
        page = pull(uow.session, Access(Principal(world.manager_id, "user", "reader"),
                                        world.project, MANAGER, True), world.project, None, 500)
    engine.dispose()
    assert {change["record_id"] for change in page["changes"]} == set(records)
