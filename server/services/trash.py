"""The trash, as in ODK Central: a deleted submission, form or entity stays restorable for a
while (30 days by default), then ``kenesh purge`` removes it for good.

Deleting only marks the record: it leaves lists, exports, OData and the sync feed (devices
drop it), and its instanceID cannot be sent again. Restoring brings it back everywhere, as a
change devices pull. Purging deletes its versions, attachments, comments and open conflicts,
and the files no other record or form uses: an incident report a manager deleted must not
linger on disk. A purged form takes all its submissions, versions and media files with it;
entities go with their versions and open conflicts. Devices whose
sync cursor predates a purged delete pull again from scratch (the project's sync horizon
moves; see server/services/sync_pull.py).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import delete
from sqlmodel import Session, col, select

from server.models import (
    Blob,
    Entity,
    Form,
    FormAttachment,
    FormDef,
    Submission,
    SubmissionAttachment,
    SubmissionDef,
    SyncConflict,
)
from server.models.base import utcnow
from server.services.audit import record_audit
from server.services.changes import mark_changed
from server.services.sync_pull import move_horizon


def delete_submission(
    session: Session, submission: Submission, actor_id: int | None, request_id: str | None
) -> None:
    """Move a live submission to the trash (audited as ``submission.delete``)."""
    submission.deleted_at = utcnow()
    session.add(submission)
    mark_changed(session, "submission", submission.id or 0)
    record_audit(session, actor_id, "submission.delete", submission.instance_id,
                 {"formId": submission.form_id}, request_id)


def restore_submission(
    session: Session, submission: Submission, actor_id: int | None, request_id: str | None
) -> None:
    """Take a submission out of the trash; devices pull it again (audited)."""
    submission.deleted_at = None
    submission.updated_at = utcnow()
    session.add(submission)
    mark_changed(session, "submission", submission.id or 0)
    record_audit(session, actor_id, "submission.restore", submission.instance_id,
                 {"formId": submission.form_id}, request_id)


@dataclass
class PurgeReport:
    """What a purge removed; ``files`` are blob paths to unlink once the purge has committed."""

    submissions: int = 0
    forms: int = 0
    entities: int = 0
    files: list[str] = field(default_factory=list)

    @property
    def blobs(self) -> int:
        """How many stored files the purge released."""
        return len(self.files)


def purge_trash(session: Session, deleted_before: datetime) -> PurgeReport:
    """Remove for good every submission, form (with all its submissions) and entity deleted
    before ``deleted_before`` (never commits)."""
    blob_ids: set[int] = set()
    report = PurgeReport()
    report.submissions = _purge_submissions(session, _in_trash(Submission, deleted_before),
                                            blob_ids)
    forms = list(session.exec(select(Form.id).where(_in_trash(Form, deleted_before))).all())
    if forms:
        report.submissions += _purge_submissions(session, col(Submission.form_id).in_(forms),
                                                 blob_ids)
        blob_ids |= _form_blobs(session, forms)
        session.execute(delete(Form).where(col(Form.id).in_(forms)))  # versions and files follow
        report.forms = len(forms)
    report.entities = purge_entity_trash(session, deleted_before)
    report.files = _drop_unused_blobs(session, blob_ids)
    return report


def _in_trash(model: Any, deleted_before: datetime) -> Any:
    return col(model.deleted_at).is_not(None) & (col(model.deleted_at) < deleted_before)


def _purge_submissions(session: Session, condition: Any, blob_ids: set[int]) -> int:
    """Delete the submissions matching `condition`; add the blobs they used to `blob_ids`."""
    doomed = session.exec(
        select(Submission.id, Submission.project_id, Submission.instance_id,
               Submission.change_seq).where(condition)
    ).all()
    if not doomed:
        return 0
    ids = [row[0] for row in doomed]
    blob_ids |= {b for b in session.exec(
        select(SubmissionAttachment.blob_id)
        .join(SubmissionDef, col(SubmissionDef.id) == SubmissionAttachment.submission_def_id)
        .where(col(SubmissionDef.submission_id).in_(ids))
    ).all() if b is not None}
    _drop_conflicts_and_move_horizons(session, "submission", doomed)
    session.execute(delete(Submission).where(col(Submission.id).in_(ids)))
    return len(ids)


def _form_blobs(session: Session, form_ids: list[int]) -> set[int]:
    """The blobs of the forms' versions: uploaded XLSForms and media files."""
    definitions = list(session.exec(
        select(FormDef.id, FormDef.xlsx_blob_id).where(col(FormDef.form_id).in_(form_ids))
    ).all())
    found = {blob for _, blob in definitions if blob is not None}
    if definitions:
        found |= {b for b in session.exec(select(FormAttachment.blob_id).where(
            col(FormAttachment.form_def_id).in_([i for i, _ in definitions])
        )).all() if b is not None}
    return found


def purge_entity_trash(session: Session, deleted_before: datetime) -> int:
    """Remove for good every entity deleted before ``deleted_before``; how many (no commit)."""
    doomed = session.exec(
        select(Entity.id, Entity.project_id, Entity.uuid, Entity.change_seq)
        .where(_in_trash(Entity, deleted_before))
    ).all()
    if doomed:
        _drop_conflicts_and_move_horizons(session, "entity", doomed)
        session.execute(delete(Entity).where(col(Entity.id).in_([row[0] for row in doomed])))
    return len(doomed)


def _drop_conflicts_and_move_horizons(session: Session, kind: str, doomed: Any) -> None:
    """`doomed`: (id, project id, record id, change number) of the records about to go."""
    for project_id, record_ids in _by_project(doomed).items():
        session.execute(delete(SyncConflict).where(
            SyncConflict.project_id == project_id, SyncConflict.type == kind,
            col(SyncConflict.record_id).in_(record_ids),
        ))
    for project_id, seq in _highest_stamp(doomed).items():
        move_horizon(session, project_id, seq)


def _by_project(doomed: Any) -> dict[int, list[str]]:
    grouped: dict[int, list[str]] = {}
    for _, project_id, instance_id, _ in doomed:
        grouped.setdefault(project_id, []).append(instance_id)
    return grouped


def _highest_stamp(doomed: Any) -> dict[int, int]:
    highest: dict[int, int] = {}
    for _, project_id, _, seq in doomed:
        highest[project_id] = max(highest.get(project_id, 0), seq or 0)
    return highest


def _drop_unused_blobs(session: Session, candidates: set[int]) -> list[str]:
    """Delete the rows of candidate blobs nothing refers to any more; their paths."""
    if not candidates:
        return []
    still_used: set[int] = set()
    for column in (SubmissionAttachment.blob_id, FormAttachment.blob_id, FormDef.xlsx_blob_id):
        still_used |= set(session.exec(
            select(column).where(col(column).in_(sorted(candidates)))
        ).all())
    unused = sorted(candidates - still_used)
    if not unused:
        return []
    paths = list(session.exec(select(Blob.path).where(col(Blob.id).in_(unused))).all())
    session.execute(delete(Blob).where(col(Blob.id).in_(unused)))
    return paths

