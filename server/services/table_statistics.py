"""Fresh planner statistics for tables that bulk inserts have outgrown (PostgreSQL).

PostgreSQL plans a lookup from its statistics of the table, which autovacuum refreshes up to a
minute (``autovacuum_naptime``) after enough rows changed. A young table that the first syncs
of a few phones fill within that minute is still described by the statistics of its first
rows, or by none. The planner then answers a push's lookup of a batch of keys (``op_id`` or
``instance_id`` among a hundred values) from the index on the project or form alone, reading
every row of it, and each batch costs more than the one before: 3 ms per lookup at 10,000
records, 4 s into a bulk push, against 0.3 ms with fresh statistics.

So bulk inserts count their rows here, per process, and a push, before its lookups, reads
the catalogue once this process has inserted at least ``CHECK_EVERY_ROWS`` rows into a table and
as many as its statistics describe, and then has PostgreSQL analyse the table. That happens a
few times in a table's youth, at doubling sizes (ANALYZE reads a sample of at most 30,000 rows:
5 ms at 1,000 rows, 47 ms at 10,000, measured); once the statistics know the table's shape,
autovacuum keeps them.
"""

from __future__ import annotations

import threading

from sqlalchemy import text
from sqlmodel import Session

CHECK_EVERY_ROWS = 500
# Per table: rows this process inserted since it last analysed it, and the count at which
# to look at the table's statistics again.
_inserted: dict[str, int] = {}
_check_at: dict[str, float] = {}
_counting = threading.Lock()


def count_inserted(session: Session, table: str, rows: int) -> None:
    """Note that `rows` new rows went into `table` (PostgreSQL only; no database work)."""
    if session.get_bind().dialect.name != "postgresql":
        return
    with _counting:
        _inserted[table] = _inserted.get(table, 0) + rows


def refresh_outgrown(session: Session) -> None:
    """ANALYZE the tables this process has filled with more rows than their statistics describe."""
    with _counting:
        due = sorted(t for t, n in _inserted.items() if n >= _check_at.get(t, CHECK_EVERY_ROWS))
    if not due:
        return
    # reltuples: the rows the last ANALYZE (or VACUUM) counted; -1 if there has been none.
    described = dict(session.execute(
        text("SELECT relname, reltuples FROM pg_class WHERE relname = ANY(:tables)"
             " AND relnamespace = to_regnamespace(current_schema())"),
        {"tables": due},
    ).tuples().all())
    outgrown = []
    with _counting:
        for table in due:
            known = max(float(described.get(table, 0)), 0.0)
            if _inserted[table] > known:
                outgrown.append(table)
                known += _inserted[table]
                _inserted[table] = 0
            _check_at[table] = max(CHECK_EVERY_ROWS, known)
    if outgrown:
        session.execute(text("ANALYZE " + ", ".join(f'"{name}"' for name in outgrown)))
