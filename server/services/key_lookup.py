"""A column among a batch of values, as one parameter on PostgreSQL.

``column IN (…)`` with a hundred values is a hundred bind parameters: SQLAlchemy renders the
list into the statement on every run and the driver sends each value on its own.
``column = ANY(:values)`` sends one array, and the statement text stays the same.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import any_, bindparam
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.types import String
from sqlmodel import Session


def among(session: Session, column: Any, values: Sequence[str]) -> Any:
    """The condition `column` is one of the strings `values`."""
    if session.get_bind().dialect.name != "postgresql":
        return column.in_(list(values))
    return column == any_(bindparam(None, list(values), type_=ARRAY(String)))
