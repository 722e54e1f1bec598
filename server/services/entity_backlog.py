"""The backlog of offline entity updates whose base version has not arrived yet.

A held update runs as soon as the version it stands on is written (its predecessor in the
branch, or the offline create). One whose predecessor never comes is applied after a timeout
(Settings.entity_backlog_days, KENESH_ENTITY_BACKLOG_DAYS; default 5 days, as Central) on the
latest version, and the entity is flagged (ODK ``conflict: "soft"``) so that someone looks at
it. The timeout is checked by `kenesh entities process-backlog` (for cron) and by the serving
app at most once a minute, before entity lists are read, a device pulls or Collect reads a
manifest (server/http/backlog.py).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from server.db import unit_of_work
from server.models import Entity, EntityDef, EntitySubmission, Submission, SubmissionDef
from server.models.base import utcnow
from server.settings import Settings


def backlog_timeout(settings: Settings) -> timedelta:
    """How long an update waits for its base before it is applied on the latest version."""
    return timedelta(days=settings.entity_backlog_days)


def release_next(session: Session, entity: Entity, written: EntityDef) -> None:
    """Run the held update that was waiting for `written` (and, in turn, its successors)."""
    if written.branch_id is not None:
        wanted = (EntitySubmission.branch_id == written.branch_id) & (
            EntitySubmission.branch_base_version == (written.branch_base_version or 0) + 1)
    elif written.version == 1:
        wanted = EntitySubmission.branch_base_version == 1  # updates of an offline create
    else:
        return
    held = session.exec(select(EntitySubmission).where(
        EntitySubmission.status == "held", EntitySubmission.entity_uuid == entity.uuid, wanted,
    ).order_by(col(EntitySubmission.id))).first()
    if held is not None:
        _rerun(session, held, forced=False)


def run_due_backlog(engine: Engine, timeout: timedelta, now: datetime | None = None) -> int:
    """Force the updates held longer than `timeout` (as of `now`), in transactions of their
    own; a write one only when something is due (the check is one indexed read, cheap enough
    for every minute). Returns how many ran."""
    before = (now or utcnow()) - timeout
    with unit_of_work(engine, write=False) as uow:
        due = uow.session.exec(select(EntitySubmission.id).where(
            EntitySubmission.status == "held", _held_since() < before,
        ).limit(1)).first()
    if due is None:
        return 0
    with unit_of_work(engine) as uow:
        count = process_backlog(uow.session, before=before)
        uow.commit()
    return count


def _held_since() -> Any:
    # A row is stamped each time its status changes: for a held one, when it was held.
    return func.coalesce(EntitySubmission.updated_at, EntitySubmission.created_at)


def process_backlog(session: Session, before: datetime | None = None) -> int:
    """Force every held update (or those held since before `before`), in branch order."""
    query = select(EntitySubmission).where(EntitySubmission.status == "held")
    if before is not None:
        query = query.where(_held_since() < before)
    # Another process forcing the same rows (PostgreSQL) skips them instead of applying twice.
    rows = list(session.exec(query.order_by(
        col(EntitySubmission.branch_id), col(EntitySubmission.branch_base_version),
        col(EntitySubmission.id)).with_for_update(skip_locked=True)))
    for row in rows:
        session.refresh(row)
        if row.status == "held":  # an earlier forced one may have released it already
            _rerun(session, row, forced=True)
    return len(rows)


def _rerun(session: Session, held: EntitySubmission, *, forced: bool) -> None:
    from server.services.entity_submissions import Context, run

    submission = session.get(Submission, held.submission_id)
    definition = session.get(SubmissionDef, held.submission_def_id)
    if submission is None or definition is None or submission.deleted_at is not None:
        held.status = "skipped"
        session.add(held)
        return
    run(session, Context(submission, definition, "backlog", forced=forced))
