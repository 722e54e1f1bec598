"""Stamp changed records with a commit-ordered number, so the sync pull never skips a change.

Why not a sequence or a timestamp: on PostgreSQL two transactions can take sequence values
1 and 2 and commit in the order 2, 1; a reader that saw 2 and moved its cursor past it would
never see 1. Instead, as the LAST statements of every write transaction that changed records,
we increment the single row of `change_counter` and stamp the touched rows with the new value.
The UPDATE takes that row's lock and holds it until commit, so a second writer's increment
waits for the first to commit (or roll back) and then reads its value: counter values are
assigned in commit order, and once a reader sees value N committed, every value below N is
committed too. The lock is held only for the commit itself, as the increment runs last.
SQLite's BEGIN IMMEDIATE already serialises writers, so the same code is trivially ordered there.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import event, text
from sqlalchemy.orm import Session as OrmSession
from sqlmodel import Session

from server.driver_sql import DriverStatement, compiled_for

_TOUCHED = "kenesh_touched"
_DRAWN = "kenesh_drawn_change_number"
# Tables whose rows carry a change_seq column, by the kind name callers use.
_TABLES = {"submission": "submissions"}


def register_table(kind: str, table: str) -> None:
    """Let another record kind (e.g. entities) be stamped the same way."""
    _TABLES[kind] = table


def mark_changed(session: Session, kind: str, row_id: int) -> None:
    """Record that this row changed in the current transaction; it is stamped at commit."""
    touched: dict[str, set[int]] = session.info.setdefault(_TOUCHED, {})
    touched.setdefault(kind, set()).add(row_id)


@event.listens_for(OrmSession, "before_commit")
def _stamp_touched(session: Session) -> None:
    # Listened to by every session, registered once: adding a listener to each session that
    # marks a row cost 43 µs per session (and made its other events slower to dispatch).
    # Sessions that marked nothing leave at the first line.
    if _TOUCHED not in session.info and _DRAWN not in session.info:
        return
    # SQLAlchemy also fires before_commit when a SAVEPOINT is released: stamping then would
    # leave rows marked later in the same transaction without a number. Wait for the real one.
    if session.in_nested_transaction():
        return
    drawn = _drawn_here(session)
    session.info.pop(_DRAWN, None)
    touched: dict[str, set[int]] = session.info.pop(_TOUCHED, {})
    if not any(touched.values()):
        return
    session.flush()
    postgres = session.get_bind().dialect.name == "postgresql"
    pending = [(_TABLES[kind], sorted(ids)) for kind, ids in touched.items() if ids]
    if drawn is None and postgres:
        # One trip for the counter and the first table: the increment, in a data-modifying
        # CTE, runs (and takes the counter's lock) as part of the stamping statement itself.
        table, ids = pending.pop(0)
        drawn = session.execute(
            text(
                "WITH drawn AS (UPDATE change_counter SET value = value + 1 WHERE id = 1"
                " RETURNING value),"
                f" stamped AS (UPDATE {table} SET change_seq = (SELECT value FROM drawn)"
                " WHERE id = ANY(:ids)) SELECT value FROM drawn"
            ),
            {"ids": ids},
        ).scalar()
        if drawn is None:  # no counter row: stamp as below, after next_change_number seeds it
            pending.insert(0, (table, ids))
    seq = drawn if drawn is not None else next_change_number(session)
    for table, ids in pending:
        # One array parameter on PostgreSQL: a statement of a hundred parameters costs more to
        # send and to plan than the update itself.
        statement = (
            text(f"UPDATE {table} SET change_seq = :seq WHERE id = ANY(:ids)")
            if postgres
            else text(f"UPDATE {table} SET change_seq = :seq WHERE id IN :ids").bindparams(
                _expanding("ids")
            )
        )
        session.execute(statement, {"seq": seq, "ids": ids})


def draw_change_number(session: Session) -> int:
    """This transaction's change number, drawn now instead of at commit.

    Rows inserted after this call may carry it in ``change_seq`` themselves rather than be
    marked and updated at commit; rows marked later still get the same number. Drawing takes
    the counter's lock until commit, as at commit, so call it only among the last statements.
    """
    if session.in_nested_transaction():  # a savepoint's rollback would void the increment
        raise RuntimeError("a change number is drawn outside savepoints")
    drawn = _drawn_here(session)
    if drawn is None:
        drawn = next_change_number(session)
        adopt_change_number(session, drawn)
    return drawn


def adopt_change_number(session: Session, drawn: int) -> None:
    """Take `drawn` as this transaction's change number: the caller incremented the counter in
    a statement of its own (and stamped the rows it inserted with it), which holds the counter's
    lock until commit as draw_change_number does. Rows marked later get the same number."""
    if session.in_nested_transaction():
        raise RuntimeError("a change number is drawn outside savepoints")
    session.info[_DRAWN] = (session.get_transaction(), drawn)


def _drawn_here(session: Session) -> int | None:
    """The number drawn in the current transaction (one drawn before a rollback is void)."""
    drawn = session.info.get(_DRAWN)
    if drawn is None or drawn[0] is not session.get_transaction():
        return None
    return int(drawn[1])


def next_change_number(session: Session) -> int:
    """Increment the counter (taking its row lock until commit) and return the new value."""
    drawn = compiled_for(_INCREMENT, _increment, session).first(session, {})
    value = None if drawn is None else drawn[0]
    if value is None:  # an empty table (a database migrated before the seed row existed)
        session.execute(text("INSERT INTO change_counter (id, value) VALUES (1, 1)"))
        value = 1
    return int(value)


_INCREMENT: dict[str, DriverStatement] = {}


def _increment(_dialect: str) -> Any:
    return text("UPDATE change_counter SET value = value + 1 WHERE id = 1 RETURNING value")


def _expanding(name: str):  # type: ignore[no-untyped-def]
    from sqlalchemy import bindparam

    return bindparam(name, expanding=True)
