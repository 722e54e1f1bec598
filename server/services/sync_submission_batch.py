"""A push batch of submissions: its records loaded and locked at once, its new records inserted
together.

Per op, the plain ``load``/``save`` path costs several database round trips (a locked read, on
PostgreSQL an advisory lock and a second read, then one flush per row it writes). Within a push,
``prepare`` takes, on PostgreSQL, the advisory locks on every key the batch names (the lock the
per-op path takes on the key of a record being created), then reads every record in one query
per form, its rows locked; ``save`` of a new record only stages its rows' values; ``finish``
inserts them with one executemany per table and stamps them as changed.

Staging is only for records that did not exist and need nothing else in the batch (no
attachment slots, no entity made by the form): anything that reads or edits a record already
written in this batch, or a record of another kind, finishes the batch first, so every read sees
the same rows as on the per-op path.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, text
from sqlalchemy import select as core_select
from sqlmodel import Session, col, select

from server.db import lock_key
from server.driver_sql import DriverStatement, attached, compiled_for
from server.models import Form, FormDef, Submission, SubmissionDef
from server.models.base import utcnow
from server.services.changes import draw_change_number, mark_changed
from server.services.key_lookup import each_key_lookup, keys_value
from server.services.row_insert import insert_rows

LOCK_SPACE = 0x5E7C  # advisory lock namespace of "a submission being created"
_ACTIVE, _PREPARED, _PENDING, _CREATED_AT = "batch", "prepared", "pending", "created_at"


def prepare(
    session: Session, cache: dict[Any, Any], forms: Iterable[Form], record_ids: dict[int, set[str]]
) -> None:
    """Load (and lock) the named records of each form; remember which do not exist yet."""
    prepared: dict[tuple[int, str], tuple[Submission, SubmissionDef] | None] = {}
    named = [(form.id or 0, sorted(record_ids.get(form.id or 0, ()))) for form in forms]
    if session.get_bind().dialect.name == "postgresql":
        # Every key the batch names, existing record or not, in one trip and one order: two
        # pushes naming a common record serialise at the first key they share, before either
        # holds a row lock. Locking existing rows first and the keys of missing ones after
        # (the per-op path's order) let three pushes deadlock: each waited for a row or a key
        # another one held (tests/sync_api/test_sync_concurrency.py).
        keys = [f"{form_id}:{r}" for form_id, wanted in named for r in wanted]
        if keys:
            _lock_keys(session, keys)
    for form_id, wanted in named:
        if not wanted:
            continue
        found = _locked_rows(session, form_id, wanted)
        for record_id in wanted:
            prepared[(form_id, record_id)] = found.get(record_id)
    cache[_PREPARED] = prepared
    cache[_ACTIVE] = True
    cache[_CREATED_AT] = utcnow()


def created_at(cache: dict[Any, Any]) -> datetime:
    """When the batch's new records are created: one time for the batch, as a database's
    now() is one time for its transaction (listings order records of one time by id, which
    grows in push order)."""
    found: datetime = cache[_CREATED_AT]
    return found


def take_prepared(
    cache: dict[Any, Any], form_id: int, record_id: str
) -> tuple[bool, tuple[Submission, SubmissionDef] | None]:
    """(True, row or None) the first time a prepared record is asked for, else (False, None)."""
    prepared = cache.get(_PREPARED) or {}
    key = (form_id, record_id)
    if key not in prepared:
        return False, None
    return True, prepared.pop(key)


def active(cache: dict[Any, Any]) -> bool:
    """Whether new records are staged rather than inserted at once."""
    return bool(cache.get(_ACTIVE))


def stage(cache: dict[Any, Any], submission: dict[str, Any], definition: dict[str, Any]) -> None:
    """Keep a new record's rows (column values) for the batch's insert."""
    cache.setdefault(_PENDING, []).append((submission, definition))


def finish(
    session: Session, cache: dict[Any, Any], *, end: bool = False, last: bool = False
) -> None:
    """Insert the staged records (one statement per table) and mark them changed.

    ``last``: nothing but the transaction's closing statements follows, so the records are
    inserted with the transaction's change number already (drawn now) instead of being
    updated with it at commit.
    """
    if end:
        cache.pop(_ACTIVE, None)
        cache.pop(_PREPARED, None)
        cache.pop(_CREATED_AT, None)
    pending: list[tuple[dict[str, Any], dict[str, Any]]] = cache.pop(_PENDING, [])
    if not pending:
        return
    seq = draw_change_number(session) if last else None
    # The staged dicts are this batch's own: they are completed in place, not copied. Without
    # a number yet, change_seq is left out (null; set when the rows are stamped at commit).
    for submission, _ in pending if seq is not None else ():
        submission["change_seq"] = seq
    ids = _insert_records(session, [s for s, _ in pending])
    for (_, definition), row_id in zip(pending, ids, strict=True):
        definition["submission_id"] = row_id
    insert_rows(session, SubmissionDef.__table__,  # type: ignore[arg-type]
                [d for _, d in pending])
    for row_id in ids if seq is None else ():
        mark_changed(session, "submission", row_id)


def _insert_records(session: Session, rows: list[dict[str, Any]]) -> list[int]:
    """Insert submissions rows (their ids set in them); the ids, in the rows' order (ids grow
    in push order).

    The ids are drawn first, so the rows go in by one bulk insert that returns nothing: on
    PostgreSQL from the table's sequence; on SQLite, whose write transactions are serialised,
    as the rowids SQLite would choose itself (one past the largest).
    """
    # Rows the ORM still holds go in first, as an autoflush would put them: a pending
    # submission would otherwise take one of the ids drawn here.
    session.flush()
    if session.get_bind().dialect.name == "postgresql":
        drawn = compiled_for(_NEXT_IDS, _next_ids, session).all(session, {"n": len(rows)})
        ids = sorted(int(row[0]) for row in drawn)
    else:
        row = compiled_for(_LARGEST, _largest, session).first(session, {})
        largest = int(row[0] or 0) if row is not None else 0
        ids = list(range(largest + 1, largest + 1 + len(rows)))
    for row, row_id in zip(rows, ids, strict=True):
        row["id"] = row_id
    insert_rows(session, Submission.__table__, rows)  # type: ignore[arg-type]
    return ids


def locked_row(session: Session, form_id: int, record_id: str) -> Submission | None:
    """The submission row locked until commit; on PostgreSQL, when there is none yet, a lock on
    its key, so that two transactions creating the same record serialise: the second one then
    finds the first one's committed row (READ COMMITTED re-reads) and merges into it."""
    query = select(Submission).where(
        Submission.form_id == form_id, Submission.instance_id == record_id
    )
    if session.get_bind().dialect.name != "postgresql":
        return session.exec(query).first()  # SQLite: write transactions are serialised
    found = session.exec(query.with_for_update()).first()
    if found is None:
        lock_key(session, LOCK_SPACE, f"{form_id}:{record_id}")
        found = session.exec(query.with_for_update()).first()
    return found


def _locked_rows(
    session: Session, form_id: int, record_ids: list[str]
) -> dict[str, tuple[Submission, SubmissionDef]]:
    statement = compiled_for(_LOCKED_ROWS, _locked_rows_statement, session)
    params = {"form_id": form_id, "ids": keys_value(record_ids)}
    names = [c.key for c in Submission.__table__.columns]  # type: ignore[attr-defined]
    rows = [
        attached(session, Submission, dict(zip(names, found, strict=True)))
        for found in statement.all(session, params)
    ]
    if not rows:
        return {}
    current = {
        d.submission_id: d for d in session.exec(select(SubmissionDef).where(
            col(SubmissionDef.submission_id).in_([r.id for r in rows]),
            col(SubmissionDef.current).is_(True),
        ))
    }
    return {row.instance_id: (row, current[row.id]) for row in rows}


def _locked_rows_statement(dialect: str) -> Any:
    table = Submission.__table__  # type: ignore[attr-defined]
    query = each_key_lookup(
        dialect, table.columns, table.c.instance_id, "ids",
        table.c.form_id == bindparam("form_id"), lock=dialect == "postgresql",
    )
    return query.order_by(query.selected_columns.id)


def _largest(dialect: str) -> Any:
    return text("SELECT coalesce(max(id), 0) FROM submissions")


def _next_ids(dialect: str) -> Any:
    return text("SELECT nextval(pg_get_serial_sequence('submissions', 'id'))"
                " FROM generate_series(1, :n)")


_LOCKED_ROWS: dict[str, DriverStatement] = {}
_LARGEST: dict[str, DriverStatement] = {}
_NEXT_IDS: dict[str, DriverStatement] = {}


def _lock_keys(session: Session, keys: list[str]) -> None:
    """Advisory locks on the keys (those the per-op path takes for a record being created),
    in one trip and in the keys' order."""
    compiled_for(_LOCK_KEYS, _lock_keys_statement, session).first(
        session, {"space": LOCK_SPACE, "keys": keys_value(keys)}  # ordered by the statement
    )


def _lock_keys_statement(dialect: str) -> Any:
    return text(
        "SELECT count(pg_advisory_xact_lock(:space, hashtext(k)))"
        " FROM (SELECT json_array_elements_text(CAST(:keys AS json)) AS k ORDER BY 1) AS keys"
    )


_LOCK_KEYS: dict[str, DriverStatement] = {}


# Lookups a push makes once per batch, run by the driver (server/driver_sql.py): through the
# ORM, each cost several times what the statement itself does (the form's lookup: about 26,000
# callgrind instructions per op of a batch of 100 on SQLite).


def form_def(session: Session, form_def_id: int) -> FormDef:
    """The definition with its id and sha256 loaded (what load_schema knows a stored one by);
    the rest of the row (the XForm, the schema's text) loads only if read."""
    row = compiled_for(_FORM_DEF, _form_def_statement, session).first(
        session, {"id": form_def_id}
    )
    assert row is not None, "a form's current definition exists"
    return attached(session, FormDef, {"id": row[0], "sha256": row[1]})


def _form_def_statement(dialect: str) -> Any:
    c = FormDef.__table__.c  # type: ignore[attr-defined]
    return core_select(c.id, c.sha256).where(c.id == bindparam("id", type_=c.id.type))


_FORM_DEF: dict[str, DriverStatement] = {}
