"""Statements on the hottest paths, run by the database driver itself inside the session's
transaction.

A statement is still built with SQLAlchemy and compiled once per dialect, with its columns'
own bind and result processing (UTC timestamps, JSON, booleans); only the execution skips
SQLAlchemy's layers. Measured on this project's 2-core machine against PostgreSQL on loopback,
one indexed lookup took 239 µs through ``Session.execute``, 134 µs through
``Connection.execute`` and 51 µs through the driver's cursor; a phone's submission runs four
such statements, and the layers cost more than the database's work.

Expanding binds (``IN`` lists) are not supported.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from functools import cache
from typing import Any, TypeVar

from sqlalchemy import inspect as sa_inspect
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import configure_mappers, make_transient_to_detached
from sqlalchemy.sql import ClauseElement, TextClause
from sqlmodel import Session

_RETURNS_ROWS = re.compile(r"^\s*(SELECT|WITH|VALUES)\b|\bRETURNING\b", re.IGNORECASE)
Processor = Callable[[Any], Any] | None
M = TypeVar("M")


class DriverStatement:
    """One statement compiled for one dialect, ready to run on the driver's connection."""

    __slots__ = ("sql", "binds", "names", "processed", "positional", "results", "returns_rows")

    def __init__(self, statement: ClauseElement, dialect: Dialect) -> None:
        compiled = statement.compile(dialect=dialect)
        if any(bind.expanding for bind in compiled.binds.values()):
            raise ValueError("expanding binds cannot run on the driver directly")
        processors = compiled._bind_processors
        # Known here, so that no cursor is asked (psycopg builds its column descriptions); of
        # a text() statement, from its words.
        if isinstance(statement, TextClause):
            self.returns_rows = bool(_RETURNS_ROWS.search(compiled.string))
        else:
            writes = compiled.isinsert or compiled.isupdate or compiled.isdelete
            self.returns_rows = not writes or bool(compiled.effective_returning)
        self.sql: str = compiled.string
        self.positional = bool(compiled.positional)
        names = list(compiled.positiontup or ()) if self.positional else list(compiled.binds)
        # (name in the SQL, key in the caller's params or None for a value the statement
        # holds itself, such as the 1 of "value + 1", that value, its bind processing)
        self.binds: list[tuple[str, str | None, Any, Processor]] = [
            (name, None if bind.unique else bind.key, bind.effective_value, processors.get(name))
            for name in names
            for bind in (compiled.binds[name],)
        ]
        self.names = [name for name, *_ in self.binds]
        self.processed = [
            (position, process)
            for position, (*_, process) in enumerate(self.binds)
            if process is not None
        ]
        self.results: list[Processor] = [
            column_type.dialect_impl(dialect).result_processor(dialect, None)
            for *_, column_type in compiled._result_columns
        ]

    def _parameters(self, params: Mapping[str, Any]) -> Sequence[Any] | dict[str, Any]:
        values = [fixed if key is None else params[key] for _, key, fixed, _ in self.binds]
        for position, process in self.processed:
            values[position] = process(values[position])
        if self.positional:
            return values
        return dict(zip(self.names, values, strict=True))

    def _row(self, raw: Sequence[Any]) -> tuple[Any, ...]:
        if not self.results:  # a text() statement: its values come as the driver gives them
            return tuple(raw)
        return tuple(
            value if process is None or value is None else process(value)
            for value, process in zip(raw, self.results, strict=True)
        )

    def first(self, session: Session, params: Mapping[str, Any]) -> tuple[Any, ...] | None:
        """The first row the statement returns (processed as SQLAlchemy would), or None (also
        for a statement that returns no rows)."""
        cursor = _driver(session).execute(self.sql, self._parameters(params))
        try:
            raw = cursor.fetchone() if self.returns_rows else None
        finally:
            cursor.close()
        return None if raw is None else self._row(raw)

    def all(self, session: Session, params: Mapping[str, Any]) -> list[tuple[Any, ...]]:
        """Every row the statement returns, each processed as ``first`` processes its one."""
        cursor = _driver(session).execute(self.sql, self._parameters(params))
        try:
            return [self._row(raw) for raw in cursor.fetchall()]
        finally:
            cursor.close()

    def run_many(self, session: Session, rows: Sequence[Mapping[str, Any]]) -> None:
        """Run the statement once per row of parameters (the driver's executemany)."""
        cursor = _driver(session).cursor()
        try:
            cursor.executemany(self.sql, [self._parameters(row) for row in rows])
        finally:
            cursor.close()


def _driver(session: Session) -> Any:
    # session.connection() begins the session's transaction as any statement would (SQLite's
    # BEGIN IMMEDIATE for a writer comes from its "begin" event), so the driver's statement
    # runs inside it.
    driver = session.connection().connection.driver_connection
    assert driver is not None
    return driver


def compiled_for(
    cache: dict[str, DriverStatement], build: Callable[[str], ClauseElement], session: Session
) -> DriverStatement:
    """The statement `build(dialect name)` makes, compiled once for the session's dialect and
    kept in `cache`."""
    dialect = session.get_bind().dialect
    found = cache.get(dialect.name)
    if found is None:
        found = cache[dialect.name] = DriverStatement(build(dialect.name), dialect)
    return found


def attached(session: Session, model: type[M], values: dict[str, Any]) -> M:
    """A row read by a DriverStatement, as the session's persistent `model` object: the one
    the session holds already, else a new one as the ORM's loading would make it (columns not
    in `values` load when first read)."""
    return attach(session, detached(model, values))


def detached(model: type[M], values: dict[str, Any]) -> M:
    """A row read by a DriverStatement, as a detached `model` object: the columns in `values`
    are read; any other loads only once the object is attached (`attach`)."""
    _configure_mappers()
    loaded = sa_inspect(model).class_manager.new_instance()
    loaded.__dict__.update(values)
    make_transient_to_detached(loaded)
    return loaded  # type: ignore[no-any-return]


def attach(session: Session, row: M) -> M:
    """`row`, made by `detached`, as the session's persistent object: the one the session
    holds for that row already, else `row` itself."""
    held = session.identity_map.get(sa_inspect(row).key)
    if held is not None:
        return held  # type: ignore[no-any-return]
    session.add(row)
    return row


@cache
def _configure_mappers() -> None:
    # A process whose first ORM use is `attached` (a worker that has run no ORM query yet)
    # has not configured the mappers, which the ORM's own loading does first.
    configure_mappers()
