"""Insert many rows of one table in one trip: COPY on PostgreSQL, the driver's executemany on
SQLite.

A push batch writes a hundred rows to each of three tables. On PostgreSQL an executemany is
still one statement execution per row on the server; COPY hands all rows to the server at once
and costs a fraction of that. On SQLite the statement is cheap and SQLAlchemy's per-row
parameter handling is what costs, so the rows go straight to the driver. Either way values go
through each column's own bind processing first (UTC timestamps, JSON), so a row stored here
reads back exactly as one stored by an INSERT through SQLAlchemy.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from sqlalchemy import JSON, Table
from sqlmodel import Session


def insert_rows(session: Session, table: Table, rows: Sequence[dict[str, Any]]) -> None:
    """Insert `rows` (dicts with the same keys, every NOT NULL column given) into `table`."""
    if not rows:
        return
    dialect = session.get_bind().dialect
    names = list(rows[0])
    columns = ", ".join(f'"{name}"' for name in names)
    session.flush()  # rows the ORM still holds go first, as they would before an INSERT
    driver = session.connection().connection.driver_connection
    assert driver is not None
    values = _processed(table, names, rows, dialect)
    if dialect.name == "postgresql":
        with (
            driver.cursor() as cursor,
            cursor.copy(f'COPY "{table.name}" ({columns}) FROM STDIN') as copy,
        ):
            for row in values:
                copy.write_row(row)
    else:
        marks = ", ".join("?" for _ in names)
        driver.executemany(f'INSERT INTO "{table.name}" ({columns}) VALUES ({marks})', values)


def _processed(
    table: Table, names: list[str], rows: Sequence[dict[str, Any]], dialect: Any
) -> Iterator[list[Any]]:
    """Each row's values in `names` order, as the column types bind them for `dialect`."""
    processors = [_processor(table.c[name].type, dialect) for name in names]
    for row in rows:
        yield [
            value if process is None else process(value)
            for value, process in zip((row[name] for name in names), processors, strict=True)
        ]


def _processor(column_type: Any, dialect: Any) -> Callable[[Any], Any] | None:
    if dialect.name == "postgresql" and isinstance(column_type, JSON):
        # psycopg would wrap the value and serialise it while copying, at twice the cost of
        # handing it the text its wrapper would write (None included: JSON null, as SQLAlchemy
        # binds it).
        serialise = dialect._json_serializer or json.dumps
        return serialise  # type: ignore[no-any-return]
    return column_type.dialect_impl(dialect).bind_processor(dialect)  # type: ignore[no-any-return]
