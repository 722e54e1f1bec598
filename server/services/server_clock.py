"""The server's hybrid logical clock, persisted in one row so it is monotonic across restarts
and across worker processes.

Every reading locks the row (``SELECT … FOR UPDATE`` on PostgreSQL; SQLite's write
transactions are serialised anyway), advances a ``sync.hlc.Clock`` seeded from it, and writes
the new reading back in the caller's transaction. The lock is held until that transaction
ends, so callers take a reading either early in a short write (REST, OpenRosa, a conflict
resolution) or as one of the last statements (the sync push), never in the middle of a long one.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable

from sqlalchemy import text
from sqlmodel import Session

from sync.hlc import Clock, Timestamp

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
    row = _locked_clock_row(session)
    if row is None:
        # A database emptied by hand (or by a test's cleanup): the clock restarts from physical
        # time. Concurrent first writers race here, so the row is created idempotently and
        # then locked like any other reading.
        session.execute(
            text(
                "INSERT INTO server_clock (id, wall_ms, counter) VALUES (1, 0, 0) "
                "ON CONFLICT (id) DO NOTHING"
            )
        )
        row = _locked_clock_row(session)
    assert row is not None
    last = Timestamp(int(row[0]), int(row[1]), SERVER_NODE)
    clock = Clock(SERVER_NODE, now_ms, last)
    latest = max(received, default=None)
    reading = clock.receive(latest) if latest is not None else clock.tick()
    session.execute(
        text("UPDATE server_clock SET wall_ms = :w, counter = :c WHERE id = 1"),
        {"w": reading.wall_ms, "c": reading.counter},
    )
    return reading


def _locked_clock_row(session: Session) -> tuple[int, int] | None:
    postgres = session.get_bind().dialect.name == "postgresql"
    row = session.execute(
        text(
            "SELECT wall_ms, counter FROM server_clock WHERE id = 1"
            + (" FOR UPDATE" if postgres else "")
        )
    ).first()
    return (int(row[0]), int(row[1])) if row is not None else None
