"""The server's hybrid logical clock, persisted in one row so it is monotonic across restarts
and across worker processes.

Every reading advances the row by one UPDATE that computes the new reading from the stored one,
exactly as ``sync.hlc.Clock`` would (tests compare the two), and returns it: one trip, where
reading the row locked and writing it back took two. The UPDATE locks the row until the
caller's transaction ends (on PostgreSQL a concurrent reading waits and then advances the
committed row; SQLite's write transactions are serialised anyway), so callers take a reading
either early in a short write (REST, OpenRosa, a conflict resolution) or as one of the last
statements (the sync push), never in the middle of a long one. A phone's new submission on
PostgreSQL takes its reading inside the one statement that writes it (tick_in_statement_sql).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from typing import Any

from sqlalchemy import text
from sqlmodel import Session

from server.driver_sql import DriverStatement, compiled_for
from sync.hlc import MAX_COUNTER, MAX_WALL_MS, ClockOverflowError, Timestamp

SERVER_NODE = "server"


def wall_clock_ms() -> int:
    """The server's physical time in milliseconds (the clock's physical component)."""
    return time.time_ns() // 1_000_000


def server_tick(
    session: Session, received: Iterable[Timestamp] = (), now_ms: Callable[[], int] = wall_clock_ms
) -> Timestamp:
    """A new server timestamp, later than every earlier one and than every ``received`` one.

    Pass the (already capped) device timestamps a transaction accepted, so that the next
    server write and the ``server_hlc`` a device gets back are later than all of them.
    """
    latest = max(received, default=None)
    # No received timestamp is one older than any reading: Clock.receive then is Clock.tick.
    params = {
        "now": now_ms(),
        "rwall": latest.wall_ms if latest is not None else -1,
        "rcounter": latest.counter if latest is not None else -1,
    }
    statement = compiled_for(_ADVANCE, _advance_statement, session)
    row = statement.first(session, params)
    if row is None:
        # A database emptied by hand (or by a test's cleanup): the clock restarts from physical
        # time. Concurrent first writers race here, so the row is created idempotently and
        # then advanced like any other reading.
        session.execute(
            text(
                "INSERT INTO server_clock (id, wall_ms, counter) VALUES (1, 0, 0) "
                "ON CONFLICT (id) DO NOTHING"
            )
        )
        row = statement.first(session, params)
    assert row is not None
    wall, counter = int(row[0]), int(row[1])
    if counter > MAX_COUNTER:
        # As Clock does: a counter past five digits borrows the next millisecond.
        wall, counter = wall + 1, 0
        session.execute(
            text("UPDATE server_clock SET wall_ms = :w, counter = 0 WHERE id = 1"), {"w": wall}
        )
    if wall > MAX_WALL_MS:
        raise ClockOverflowError("HLC wall time exceeds the encodable range")
    return Timestamp(wall, counter, SERVER_NODE)


_ADVANCE: dict[str, DriverStatement] = {}


def _advance_statement(dialect: str) -> Any:
    # Clock.receive's rule in SQL; in SET, wall_ms and counter are the stored (old) values.
    largest = "greatest" if dialect == "postgresql" else "max"
    wall = f"{largest}(wall_ms, :now, :rwall)"
    return text(
        f"UPDATE server_clock SET wall_ms = {wall}, counter = CASE"
        f" WHEN {wall} = wall_ms AND {wall} = :rwall THEN {largest}(counter, :rcounter) + 1"
        f" WHEN {wall} = wall_ms THEN counter + 1"
        f" WHEN {wall} = :rwall THEN :rcounter + 1"
        " ELSE 0 END WHERE id = 1 RETURNING wall_ms, counter"
    )


def tick_in_statement_sql(now_param: str = "now") -> str:
    """PostgreSQL: an UPDATE taking one reading of the clock, for a data-modifying CTE of a
    statement that writes with it (server.services.submission_at_once).

    The reading is ``server_tick``'s with nothing received, the counter's overflow included (it
    borrows the next millisecond); the row is left alone, and nothing returned, when the wall
    time would pass the encodable range. It returns the reading encoded as ``Timestamp.encode``
    does, as ``hlc``.
    """
    wall = f"greatest(wall_ms, :{now_param})"
    counter = f"CASE WHEN {wall} = wall_ms THEN counter + 1 ELSE 0 END"
    overflow = f"{counter} > {MAX_COUNTER}"
    return (
        f"UPDATE server_clock SET wall_ms = CASE WHEN {overflow} THEN {wall} + 1 ELSE {wall} END,"
        f" counter = CASE WHEN {overflow} THEN 0 ELSE {counter} END"
        f" WHERE id = 1 AND {wall} < {MAX_WALL_MS}"
        " RETURNING lpad(CAST(wall_ms AS TEXT), 13, '0') || '-'"
        f" || lpad(CAST(counter AS TEXT), 5, '0') || '-{SERVER_NODE}' AS hlc"
    )
