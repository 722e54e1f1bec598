"""One Core INSERT per new row on hot paths, instead of the ORM unit of work's flush."""

from __future__ import annotations

from functools import cache
from typing import Any

from sqlalchemy import Table, insert
from sqlalchemy.orm import make_transient_to_detached
from sqlmodel import Session, SQLModel


def insert_row(session: Session, row: SQLModel) -> None:
    """INSERT a new model object by one statement and attach it to the session as persistent.

    A flush costs about half again what its INSERT does (it sorts the session's objects and
    collects their changes); a hot path that writes a few known rows needs none of that. The
    object then is as if it had been loaded: its generated id set, later changes tracked.
    Rows it refers to must be in the database already (nothing pending is flushed first).
    """
    if row in session:
        session.expunge(row)  # pending: it is inserted here, not by a later flush
    statement, columns, generated = _insert_of(type(row).__table__)  # type: ignore[attr-defined]
    values = {name: getattr(row, name) for name in columns}
    result = session.connection().execute(statement, values)
    if generated is not None:
        setattr(row, generated, result.scalar_one())
    make_transient_to_detached(row)
    session.add(row)


@cache
def _insert_of(table: Table) -> tuple[Any, tuple[str, ...], str | None]:
    # Built once per table: the statement, the columns it sets, and the generated key if any.
    key = list(table.primary_key.columns)
    generated = key[0].key if len(key) == 1 and key[0].autoincrement in (True, "auto") else None
    columns = tuple(c.key for c in table.columns if c.key != generated)
    statement = insert(table)
    if generated is not None:
        statement = statement.returning(table.c[generated])
    return statement, columns, generated
