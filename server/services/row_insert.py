"""New rows on hot paths without the ORM unit of work's flush.

``insert_row``: one Core INSERT for one model object. ``insert_rows``: many rows of one table
in one trip, by COPY on PostgreSQL and the driver's executemany on SQLite. A push batch writes
a hundred rows to each of three tables; on PostgreSQL an executemany is still one statement
execution per row on the server, while COPY hands all rows over at once, and on SQLite
SQLAlchemy's per-row parameter handling costs more than the statement. Either way values go
through each column's own bind processing first (UTC timestamps, JSON), so a row stored here
reads back exactly as one stored by an INSERT through SQLAlchemy.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, datetime
from functools import cache
from json.encoder import JSONEncoder, encode_basestring_ascii
from json.encoder import c_make_encoder as _make_encoder  # type: ignore[attr-defined]
from operator import itemgetter
from typing import Any

from sqlalchemy import JSON, Table, bindparam, insert
from sqlalchemy.orm import make_transient_to_detached
from sqlmodel import Session, SQLModel

from server.driver_sql import DriverStatement
from server.models.base import UTCDateTime

_DEFAULT_ENCODER = JSONEncoder()


class EncodedJSON:
    """A JSON column's value given by its text, for a value most rows share: the caller encodes
    it once (with ``dumps``), each row binds the text as it is."""

    __slots__ = ("text",)

    def __init__(self, value: Any) -> None:
        self.text = dumps(value)


def insert_row(session: Session, row: SQLModel) -> None:
    """INSERT a new model object by one statement and attach it to the session as persistent.

    A flush costs about half again what its INSERT does (it sorts the session's objects and
    collects their changes); a hot path that writes a few known rows needs none of that, and
    the driver runs the statement (server.driver_sql). The object then is as if it had been
    loaded: its generated id set, later changes tracked. Rows it refers to must be in the
    database already (nothing pending is flushed first).
    """
    if row in session:
        session.expunge(row)  # pending: it is inserted here, not by a later flush
    table = type(row).__table__  # type: ignore[attr-defined]
    statement, columns, generated = _insert_of(table, session.get_bind().dialect)
    inserted = statement.first(session, {name: getattr(row, name) for name in columns})
    if generated is not None:
        assert inserted is not None
        setattr(row, generated, inserted[0])
    make_transient_to_detached(row)
    session.add(row)


@cache
def _insert_of(table: Table, dialect: Any) -> tuple[DriverStatement, tuple[str, ...], str | None]:
    # Built once per table: the statement, the columns it sets, and the generated key if any.
    key = list(table.primary_key.columns)
    generated = key[0].key if len(key) == 1 and key[0].autoincrement in (True, "auto") else None
    columns = tuple(c.key for c in table.columns if c.key != generated)
    statement = insert(table).values(
        {name: bindparam(name, type_=table.c[name].type) for name in columns}
    )
    if generated is not None:
        statement = statement.returning(table.c[generated])
    return DriverStatement(statement, dialect), columns, generated


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
    # Most columns bind as they are: their values are taken in one C call, and only the
    # columns with a processor (JSON, timestamps, booleans) are visited one by one.
    pick = itemgetter(*names)
    single = len(names) == 1
    processors = [
        (position, process)
        for position, name in enumerate(names)
        if (process := _processor(table.c[name].type, dialect)) is not None
    ]
    for row in rows:
        values = [pick(row)] if single else list(pick(row))
        for position, process in processors:
            values[position] = process(values[position])
        yield values


def _processor(column_type: Any, dialect: Any) -> Callable[[Any], Any] | None:
    if isinstance(column_type, JSON) and dialect._json_serializer is None:
        if dialect.name == "postgresql":
            # psycopg would wrap the value and serialise it while copying, at twice the cost
            # of handing it the text its wrapper would write (None included: JSON null, as
            # SQLAlchemy binds it).
            return _dumps_or_text
        documents = column_type.dialect_impl(dialect).bind_processor(dialect)
        return None if documents is None else _json_documents(documents)
    if dialect.name == "postgresql" and isinstance(column_type, JSON):
        return dialect._json_serializer  # type: ignore[no-any-return]
    bind = column_type.dialect_impl(dialect).bind_processor(dialect)
    if dialect.name == "sqlite" and isinstance(column_type, UTCDateTime) and bind is not None:
        return _sqlite_utc_stamps(bind)
    return bind  # type: ignore[no-any-return]


# Without circular-reference markers the C encoder keeps no state between calls, so one serves
# every call and every thread. The documents stored here are JSON read from requests or built
# from it, never circular (one would still fail, by RecursionError instead of ValueError).
_ENCODE = None if _make_encoder is None else _make_encoder(
    None, _DEFAULT_ENCODER.default, encode_basestring_ascii, None, ": ", ", ", False, False, True
)


def dumps(value: Any) -> str:
    """``json.dumps(value)``, text for text, without its three Python frames and closure."""
    if _ENCODE is None:
        return json.dumps(value)
    return "".join(_ENCODE(value, 0))


def _json_documents(bind: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """SQLAlchemy's JSON binding (json.dumps, no string processing on SQLite) for documents,
    which is all it does with them; anything else (None, JSON.NULL, null()) goes through it."""

    def process(value: Any) -> Any:
        kind = type(value)
        if kind is dict or kind is list:
            return dumps(value)
        return value.text if kind is EncodedJSON else bind(value)

    if bind({"a": [1]}) == dumps({"a": [1]}):
        return process
    return lambda value: value.text if type(value) is EncodedJSON else bind(value)


def _dumps_or_text(value: Any) -> str:
    return value.text if type(value) is EncodedJSON else dumps(value)


_SQLITE_STAMP = "%04d-%02d-%02d %02d:%02d:%02d.%06d"


def _sqlite_utc_stamps(bind: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """UTCDateTime's binding on SQLite (UTC made naive, then DATETIME's text) in one step for
    times already in UTC, the hot path's; any other value goes through it. Used only if it
    writes exactly the same text as the types do."""

    last: list[Any] = [None, None]  # the last time written and its text: rows share times

    def process(value: Any) -> Any:
        if value is last[0]:
            return last[1]
        if type(value) is not datetime or value.tzinfo is not UTC:
            return bind(value)
        text = _SQLITE_STAMP % (value.year, value.month, value.day, value.hour, value.minute,
                                value.second, value.microsecond)
        last[0], last[1] = value, text
        return text

    probes = [datetime(2026, 1, 2, 3, 4, 5, 6, UTC), datetime(999, 12, 31, tzinfo=UTC)]
    return process if all(process(p) == bind(p) for p in probes) else bind
