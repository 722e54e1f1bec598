"""Blob rows: one per stored content, found by sha256, shared by every file that has those bytes."""

from __future__ import annotations

from functools import cache
from typing import Any

from sqlalchemy import bindparam
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session, select
from sqlmodel.sql.expression import SelectOfScalar

from server.driver_sql import DriverStatement, compiled_for
from server.models import Blob
from server.models.base import new_row
from server.storage import StoredBlob


def ensure_blob(session: Session, stored: StoredBlob, content_type: str | None = None) -> Blob:
    """The blob row for this content, added when it is new (never commits)."""
    blob = session.get(Blob, ensure_blob_id(session, stored, content_type))
    assert blob is not None, "ensure_blob_id returns the id of a row this transaction sees"
    return blob


def ensure_blob_id(session: Session, stored: StoredBlob, content_type: str | None = None) -> int:
    """The id of the blob row for this content, inserted when new (never commits).

    No ORM object and no savepoint, for the hot path of attachments: when a concurrent request
    inserts the same content first (PostgreSQL), the INSERT does nothing and the other row, as
    good as ours, is read once it is committed.
    """
    params = {"sha256": stored.sha256}
    lookup = compiled_for(_LOOKUPS, _blob_id_query, session)
    found = lookup.first(session, params)
    if found is not None:
        return int(found[0])
    row = new_row(
        Blob, sha256=stored.sha256, md5=stored.md5, size=stored.size,
        content_type=content_type, path=stored.path,
    )
    statement = compiled_for(_INSERTS, _insert_new_blob, session)
    inserted = statement.first(session, {name: getattr(row, name) for name in _BLOB_COLUMNS})
    if inserted is None:
        inserted = lookup.first(session, params)
        assert inserted is not None, "the conflicting row was committed"
    return int(inserted[0])


# Run by the driver (server.driver_sql): every attachment received looks its content up.
_LOOKUPS: dict[str, DriverStatement] = {}
_INSERTS: dict[str, DriverStatement] = {}
_BLOB_COLUMNS = tuple(c.key for c in Blob.__table__.columns if c.key != "id")  # type: ignore[attr-defined]


def _blob_id_query(_dialect: str) -> Any:
    return select(Blob.id).where(Blob.sha256 == bindparam("sha256"))


def _insert_new_blob(dialect: str) -> Any:
    table = Blob.__table__  # type: ignore[attr-defined]
    insert = postgresql_insert if dialect == "postgresql" else sqlite_insert
    values = {name: bindparam(name, type_=table.c[name].type) for name in _BLOB_COLUMNS}
    statement = insert(table).values(values)
    return statement.on_conflict_do_nothing(index_elements=[table.c.sha256]).returning(
        table.c.id
    )


def find_blob(session: Session, sha256: str) -> Blob | None:
    """The blob with this sha256, if stored."""
    return session.exec(_blob_query(), params={"sha256": sha256}).first()


@cache
def _blob_query() -> SelectOfScalar[Blob]:
    # Built once: every attachment received looks its content up.
    return select(Blob).where(Blob.sha256 == bindparam("sha256"))


def get_blob(session: Session, blob_id: int) -> Blob | None:
    """The blob with this id."""
    return session.get(Blob, blob_id)
