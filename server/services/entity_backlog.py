"""The backlog of offline entity updates whose base version has not arrived yet.

A held update runs as soon as the version it stands on is written (its predecessor in the
branch, or the offline create). One whose predecessor never comes is applied after a timeout
(default 5 days, as Central; KENESH_ENTITY_BACKLOG_DAYS) on the latest version, and the
entity is flagged (ODK ``conflict: "soft"``) so that someone looks at it.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import or_
from sqlmodel import Session, col, select

from server.models import Entity, EntityDef, EntitySubmission, Submission, SubmissionDef
from server.models.base import utcnow
from server.settings import get_settings

DEFAULT_TIMEOUT = timedelta(days=get_settings().entity_backlog_days)


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


_CHECK_EVERY = timedelta(minutes=1)
_last_check: list[datetime] = []


def process_due_backlog(session: Session, timeout: timedelta = DEFAULT_TIMEOUT,
                        now: datetime | None = None) -> int:
    """Force the updates held longer than `timeout`; returns how many ran.

    Called with each entity submission; without an explicit `now` it looks at most once a
    minute per process (a timeout of days needs no finer check).
    """
    moment = now or utcnow()
    if now is None:
        if _last_check and moment - _last_check[0] < _CHECK_EVERY:
            return 0
        _last_check[:] = [moment]
    return process_backlog(session, before=moment - timeout)


def process_backlog(session: Session, before: datetime | None = None) -> int:
    """Force every held update (or those held since before `before`), in branch order."""
    query = select(EntitySubmission).where(EntitySubmission.status == "held")
    if before is not None:
        query = query.where(or_(col(EntitySubmission.created_at) < before))
    rows = list(session.exec(query.order_by(
        col(EntitySubmission.branch_id), col(EntitySubmission.branch_base_version),
        col(EntitySubmission.id))))
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
