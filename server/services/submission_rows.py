"""A new submission's rows (the submission, its first version, its attachment slots), written.

On PostgreSQL every statement is a network round trip, and a phone's submission writes to three
tables and then draws the transaction's change number (server.services.changes). There the
four are one statement: data-modifying CTEs that pass each new id on to the next INSERT, with
the counter's increment among them. It takes the counter's row lock as the stamp at commit
would; the server clock's lock, taken just before, is held to the commit anyway. SQLite's
statements cost no trip: there the rows are inserted one by one, the submission already
carrying the change number drawn just before (SQLite serialises writers, so drawing it early
holds nobody up), which spares the UPDATE that would stamp it at commit.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from sqlalchemy import ARRAY, Integer, String, bindparam, func, insert, select, true, update
from sqlalchemy.orm import make_transient_to_detached
from sqlmodel import Session

from server.driver_sql import DriverStatement, compiled_for
from server.models import Submission, SubmissionAttachment, SubmissionDef
from server.models.changes import ChangeCounter
from server.services.changes import adopt_change_number, draw_change_number, mark_changed
from server.services.row_insert import insert_row

Slots = list[tuple[str, int | None]]  # (file name, blob id or None while it has not arrived)


def insert_new_submission(
    session: Session, submission: Submission, definition: SubmissionDef, slots: Slots
) -> None:
    """INSERT a new submission with its first version and attachment slots, and count it as a
    change; both objects are then persistent in the session, with their ids."""
    if session.get_bind().dialect.name != "postgresql":
        with session.no_autoflush:  # the rows are inserted below, each by one statement
            submission.change_seq = draw_change_number(session)
        insert_row(session, submission)
        definition.submission_id = submission.id or 0
        insert_row(session, definition)
        insert_slots(session, definition, slots)
        return
    for row in (submission, definition):
        if row in session:
            session.expunge(row)  # inserted here, not by a later flush
    params = {f"s_{name}": getattr(submission, name) for name in _columns(Submission)}
    params.update({f"d_{name}": getattr(definition, name) for name in _columns(SubmissionDef)})
    params.update(
        slot_names=[name for name, _ in slots],
        slot_blobs=[blob for _, blob in slots],
        slot_positions=list(range(len(slots))),
    )
    inserted = compiled_for(_NEW_SUBMISSION, _new_submission_statement, session).first(
        session, params
    )
    assert inserted is not None
    submission_id, definition_id, drawn = inserted
    submission.id, definition.id = submission_id, definition_id
    definition.submission_id = submission_id
    submission.change_seq = drawn
    for row in (submission, definition):
        make_transient_to_detached(row)
        session.add(row)
    if drawn is None:  # no counter row yet: stamped at commit, which seeds it
        mark_changed(session, "submission", submission_id)
    else:
        adopt_change_number(session, drawn)


def insert_slots(session: Session, definition: SubmissionDef, slots: Slots) -> None:
    """The version's attachment slots, in the order its XML names the files."""
    if not slots:
        return
    # Rows, not model objects: nothing reads the slots back in this transaction but queries.
    rows = [
        {"submission_def_id": definition.id, "name": name, "blob_id": blob_id, "position": n}
        for n, (name, blob_id) in enumerate(slots)
    ]
    compiled_for(_SLOT_INSERTS, _slot_insert, session).run_many(session, rows)


_SLOT_INSERTS: dict[str, DriverStatement] = {}


def _slot_insert(_dialect: str) -> Any:
    table = SubmissionAttachment.__table__  # type: ignore[attr-defined]
    names = ("submission_def_id", "name", "blob_id", "position")
    return insert(table).values({name: bindparam(name, type_=table.c[name].type) for name in names})


@cache
def _columns(model: Any) -> list[str]:
    # Every column but the generated id; the CTE below sets the ones it derives itself.
    derived = {"submission_id", "change_seq"}
    return [c.key for c in model.__table__.columns if c.key != "id" and c.key not in derived]


_NEW_SUBMISSION: dict[str, DriverStatement] = {}


def _new_submission_statement(_dialect: str) -> Any:
    # Built once (building and compiling it costs more than running it); the attachment slots
    # come as three arrays, so that the statement is the same whatever their number.
    submissions, versions = Submission.__table__, SubmissionDef.__table__  # type: ignore[attr-defined]
    slots = SubmissionAttachment.__table__  # type: ignore[attr-defined]
    counter = ChangeCounter.__table__  # type: ignore[attr-defined]
    drawn = (
        update(counter).where(counter.c.id == 1).values(value=counter.c.value + 1)
        .returning(counter.c.value).cte("drawn")
    )
    drawn_value = select(drawn.c.value).scalar_subquery()
    new_submission = insert(submissions).from_select(
        [*_columns(Submission), "change_seq"],
        select(*_binds(submissions, "s_", _columns(Submission)), drawn_value),
    ).returning(submissions.c.id).cte("new_submission")
    new_version = insert(versions).from_select(
        ["submission_id", *_columns(SubmissionDef)],
        select(new_submission.c.id, *_binds(versions, "d_", _columns(SubmissionDef))),
    ).returning(versions.c.id).cte("new_version")
    new_slots = insert(slots).from_select(
        ["submission_def_id", "name", "blob_id", "position"],
        select(
            new_version.c.id,
            func.unnest(bindparam("slot_names", type_=ARRAY(String))),
            func.unnest(bindparam("slot_blobs", type_=ARRAY(Integer))),
            func.unnest(bindparam("slot_positions", type_=ARRAY(Integer))),
        ),
    ).cte("new_slots")
    return (
        select(new_submission.c.id, new_version.c.id, drawn_value)
        .select_from(new_submission.join(new_version, true()))
        .add_cte(new_slots)
    )


def _binds(table: Any, prefix: str, names: list[str]) -> list[Any]:
    # Typed, so that each value is bound as its column binds it (JSON, UTC timestamps).
    return [bindparam(prefix + name, type_=table.c[name].type) for name in names]
