"""A push batch of submissions: its records loaded and locked at once, its new records inserted
together.

Per op, the plain ``load``/``save`` path costs several database round trips (a locked read, on
PostgreSQL an advisory lock and a second read, then one flush per row it writes). Within a push,
``prepare`` reads every record the batch names in one query per form (rows locked in id order,
then the keys of the missing ones locked in key order, exactly the locks the per-op path takes)
and ``save`` of a new record only stages its rows; ``finish`` inserts the staged rows with one
flush per table and then does, for each of them in push order, what the per-op path does right
after its insert (change stamp, attachment slots, entity processing).

Staging is only for records that did not exist: anything that reads or edits a record already
written in this batch, or a record of another kind, finishes the batch first, so every read sees
the same rows as on the per-op path.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import text
from sqlmodel import Session, col, select

from server.models import Form, Submission, SubmissionDef
from server.services.changes import mark_changed

LOCK_SPACE = 0x5E7C  # advisory lock namespace of "a submission being created"
_ACTIVE, _PREPARED, _PENDING = "batch", "prepared", "pending"


@dataclass(slots=True)
class Staged:
    """A new record's rows, waiting for the batch's insert."""

    submission: Submission
    definition: SubmissionDef
    after_insert: Callable[[Submission, SubmissionDef], None]


def prepare(
    session: Session, cache: dict[Any, Any], forms: Iterable[Form], record_ids: dict[int, set[str]]
) -> None:
    """Load (and lock) the named records of each form; remember which do not exist yet."""
    prepared: dict[tuple[int, str], tuple[Submission, SubmissionDef] | None] = {}
    postgres = session.get_bind().dialect.name == "postgresql"
    for form in forms:
        wanted = sorted(record_ids.get(form.id or 0, ()))
        if not wanted:
            continue
        found = _locked_rows(session, form.id or 0, wanted, postgres)
        missing = [r for r in wanted if r not in found]
        if postgres and missing:
            _lock_keys(session, [f"{form.id}:{r}" for r in missing])
            found.update(_locked_rows(session, form.id or 0, missing, postgres))
        for record_id in wanted:
            prepared[(form.id or 0, record_id)] = found.get(record_id)
    cache[_PREPARED] = prepared
    cache[_ACTIVE] = True


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


def stage(cache: dict[Any, Any], staged: Staged) -> None:
    """Keep a new record's rows for the batch's insert."""
    cache.setdefault(_PENDING, []).append(staged)


def finish(session: Session, cache: dict[Any, Any], *, end: bool = False) -> None:
    """Insert the staged records (one flush per table), then run their follow-ups in order."""
    if end:
        cache.pop(_ACTIVE, None)
        cache.pop(_PREPARED, None)
    pending: list[Staged] = cache.pop(_PENDING, [])
    if not pending:
        return
    session.flush()  # the staged submissions (already added) get their ids
    for item in pending:
        item.definition.submission_id = item.submission.id or 0
    session.add_all([item.definition for item in pending])
    session.flush()
    for item in pending:
        mark_changed(session, "submission", item.submission.id or 0)
        item.after_insert(item.submission, item.definition)


def _locked_rows(
    session: Session, form_id: int, record_ids: list[str], postgres: bool
) -> dict[str, tuple[Submission, SubmissionDef]]:
    query = (
        select(Submission)
        .where(Submission.form_id == form_id, col(Submission.instance_id).in_(record_ids))
        .order_by(col(Submission.id))
    )
    rows = list(session.exec(query.with_for_update() if postgres else query))
    if not rows:
        return {}
    current = {
        d.submission_id: d for d in session.exec(select(SubmissionDef).where(
            col(SubmissionDef.submission_id).in_([r.id for r in rows]),
            col(SubmissionDef.current).is_(True),
        ))
    }
    return {row.instance_id: (row, current[row.id]) for row in rows}


def _lock_keys(session: Session, keys: list[str]) -> None:
    """The per-op path's advisory locks on keys of records being created, taken in one trip."""
    session.execute(
        text(
            "SELECT count(pg_advisory_xact_lock(:space, hashtext(k)))"
            " FROM (SELECT unnest(CAST(:keys AS text[])) AS k ORDER BY 1) AS keys"
        ),
        {"space": LOCK_SPACE, "keys": sorted(keys)},
    )
