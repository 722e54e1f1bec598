"""The server clock's single row: readings only grow, also when the row is gone and many
writers want the first reading at once."""

from __future__ import annotations

import threading

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import text

from server.db import UnitOfWork
from server.services.server_clock import SERVER_NODE, server_tick, tick_in_statement_sql
from sync.hlc import MAX_COUNTER, Clock, Timestamp
from tests.factories import server_reading


def _empty_clock(engine) -> None:  # type: ignore[no-untyped-def]
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM server_clock"))


def test_readings_grow_across_transactions(engine) -> None:
    first, second = server_reading(engine), server_reading(engine)
    assert second > first


def test_an_emptied_clock_restarts_from_physical_time(engine) -> None:
    _empty_clock(engine)
    reading = server_reading(engine)
    assert reading.wall_ms > 1_700_000_000_000
    assert server_reading(engine) > reading


def test_concurrent_first_readings_on_an_emptied_clock_all_succeed_and_differ(engine) -> None:
    _empty_clock(engine)
    start = threading.Barrier(4)
    readings: list[Timestamp] = []
    failures: list[BaseException] = []

    def writer() -> None:
        start.wait()
        try:
            readings.append(server_reading(engine))
        except BaseException as error:  # noqa: BLE001 - reported by the assertion below
            failures.append(error)

    threads = [threading.Thread(target=writer) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    assert len(set(readings)) == 4


_NEAR = st.integers(0, 3)  # walls a few ms apart, so that every branch of the rule is taken
_COUNTER = st.sampled_from([0, 1, 7, MAX_COUNTER - 1, MAX_COUNTER])


@settings(max_examples=80, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(stored=st.tuples(_NEAR, _COUNTER), now=_NEAR,
       remote=st.none() | st.tuples(_NEAR, _COUNTER))
def test_a_reading_is_the_one_the_pure_clock_gives(engine, stored, now, remote) -> None:
    base = 1_764_450_000_000
    last = Timestamp(base + stored[0], stored[1], SERVER_NODE)
    received = [] if remote is None else [Timestamp(base + remote[0], remote[1], "phone-7")]
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM server_clock"))
        conn.execute(text("INSERT INTO server_clock (id, wall_ms, counter) VALUES (1, :w, :c)"),
                     {"w": last.wall_ms, "c": last.counter})
    clock = Clock(SERVER_NODE, lambda: base + now, last)
    expected = clock.receive(received[0]) if received else clock.tick()

    uow = UnitOfWork(engine, write=True)
    try:
        reading = server_tick(uow.session, received, now_ms=lambda: base + now)
        uow.commit()
    finally:
        uow.close()

    assert reading == expected
    with engine.connect() as conn:
        row = conn.execute(text("SELECT wall_ms, counter FROM server_clock WHERE id = 1")).one()
    assert (row[0], row[1]) == (expected.wall_ms, expected.counter)  # the next reading's base


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(stored=st.tuples(_NEAR, _COUNTER), now=_NEAR)
def test_a_reading_inside_a_statement_is_the_one_the_pure_clock_gives(
    engine, backend, stored, now
) -> None:
    # The reading that a new submission's one statement takes (submission_at_once).
    if backend != "postgresql":
        pytest.skip("the statement is PostgreSQL's")
    base = 1_764_450_000_000
    last = Timestamp(base + stored[0], stored[1], SERVER_NODE)
    expected = Clock(SERVER_NODE, lambda: base + now, last).tick()
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM server_clock"))
        conn.execute(text("INSERT INTO server_clock (id, wall_ms, counter) VALUES (1, :w, :c)"),
                     {"w": last.wall_ms, "c": last.counter})
        encoded = conn.execute(
            text(f"WITH tick AS ({tick_in_statement_sql()}) SELECT hlc FROM tick"),
            {"now": base + now},
        ).scalar()
        row = conn.execute(text("SELECT wall_ms, counter FROM server_clock WHERE id = 1")).one()
    assert encoded == expected.encode()
    assert (row[0], row[1]) == (expected.wall_ms, expected.counter)
