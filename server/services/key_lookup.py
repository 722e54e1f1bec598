"""A column among a batch of values, bound as one parameter.

``column IN (…)`` with a hundred values is a hundred bind parameters: SQLAlchemy renders the
list into the statement on every run and the driver sends each value on its own.
``column = ANY(:values)`` (``among``) sends one array, and the statement text stays the same;
``each_key_lookup`` binds one JSON text, for statements compiled once and run on the driver.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import JSON, any_, bindparam, cast, func, literal_column, true
from sqlalchemy import select as core_select
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.types import String
from sqlmodel import Session

from server.services.row_insert import dumps


def among(session: Session, column: Any, values: Sequence[str]) -> Any:
    """The condition `column` is one of the strings `values`."""
    if session.get_bind().dialect.name != "postgresql":
        return column.in_(list(values))
    return column == any_(bindparam(None, list(values), type_=ARRAY(String)))


def each_key_lookup(
    dialect: str, columns: Iterable[Any], key: Any, name: str, *conditions: Any,
    lock: bool = False,
) -> Any:
    """`columns` of the rows whose `key` is one of the strings bound as `name` (bind
    ``keys_value``'s value) and that meet `conditions`; with `lock`, rows locked for update.

    The keys go as one JSON text, so the statement's text is the same for any number of them
    (it compiles once and runs on the driver), and binding it is one C call where psycopg's
    array dumper runs in Python (1.5 % of a PostgreSQL push, py-spy).

    On PostgreSQL each key is looked up on its own (a lateral subquery per key), so that the
    plan is the unique index's whatever the table's statistics say. Written as ``key = ANY``,
    a table whose statistics still describe it as small (the first minute after a bulk of new
    rows, before autovacuum's ANALYZE) was read through an index on its first column alone,
    every row of the form or project filtered: a push's lookups grew from 0.8 to 2.3 ms per
    batch of 100 over the first 6,500 records (0.4 ms as lookups per key).
    """
    if dialect != "postgresql":
        keys = core_select(literal_column("value")).select_from(
            func.json_each(bindparam(name, type_=String))
        )
        return core_select(*columns).where(*conditions, key.in_(keys))
    each = func.json_array_elements_text(cast(bindparam(name, type_=String), JSON))
    keys = each.table_valued("key").render_derived(name="keys")
    found = core_select(*columns).where(*conditions, key == keys.c.key).limit(1)
    found = (found.with_for_update() if lock else found).lateral("found")
    return core_select(*found.c).select_from(keys.join(found, true()))


def keys_value(values: Iterable[str]) -> str:
    """The value to bind for ``each_key_lookup``'s keys (and for other statements that read
    the same JSON text of keys)."""
    return dumps(list(values))
