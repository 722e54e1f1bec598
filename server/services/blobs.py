"""Blob rows: one per stored content, found by sha256, shared by every file that has those bytes."""

from __future__ import annotations

from functools import cache

from sqlalchemy import bindparam
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select
from sqlmodel.sql.expression import SelectOfScalar

from server.models import Blob
from server.storage import StoredBlob


def ensure_blob(session: Session, stored: StoredBlob, content_type: str | None = None) -> Blob:
    """The blob row for this content, added when it is new (never commits)."""
    existing = find_blob(session, stored.sha256)
    if existing is not None:
        return existing
    blob = Blob(
        sha256=stored.sha256, md5=stored.md5, size=stored.size,
        content_type=content_type, path=stored.path,
    )
    # A concurrent request may insert the same content first (PostgreSQL); the savepoint keeps
    # the surrounding transaction usable, and the other row is as good as ours.
    try:
        with session.begin_nested():
            session.add(blob)
    except IntegrityError:
        found = find_blob(session, stored.sha256)
        if found is None:
            raise
        return found
    return blob


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
