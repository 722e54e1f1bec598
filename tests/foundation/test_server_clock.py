"""The server clock's single row: readings only grow, also when the row is gone and many
writers want the first reading at once."""

from __future__ import annotations

import threading

from sqlalchemy import text

from server.db import UnitOfWork
from server.services.server_clock import server_tick
from sync.hlc import Timestamp


def _tick(engine) -> Timestamp:  # type: ignore[no-untyped-def]
    uow = UnitOfWork(engine, write=True)
    try:
        reading = server_tick(uow.session)
        uow.commit()
        return reading
    finally:
        uow.close()


def _empty_clock(engine) -> None:  # type: ignore[no-untyped-def]
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM server_clock"))


def test_readings_grow_across_transactions(engine) -> None:
    first, second = _tick(engine), _tick(engine)
    assert second > first


def test_an_emptied_clock_restarts_from_physical_time(engine) -> None:
    _empty_clock(engine)
    reading = _tick(engine)
    assert reading.wall_ms > 1_700_000_000_000
    assert _tick(engine) > reading


def test_concurrent_first_readings_on_an_emptied_clock_all_succeed_and_differ(engine) -> None:
    _empty_clock(engine)
    start = threading.Barrier(4)
    readings: list[Timestamp] = []
    failures: list[BaseException] = []

    def writer() -> None:
        start.wait()
        try:
            readings.append(_tick(engine))
        except BaseException as error:  # noqa: BLE001 - reported by the assertion below
            failures.append(error)

    threads = [threading.Thread(target=writer) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    assert len(set(readings)) == 4
