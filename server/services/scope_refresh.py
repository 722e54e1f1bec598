"""Recompute the stored scope values of a project's records after its scope field changes."""

from __future__ import annotations

from sqlmodel import Session, col, select

from server.models import Submission, SubmissionDef
from server.models.entities import Dataset, Entity
from server.services.changes import mark_changed
from server.services.scope import location_value


def refresh_scope_values(session: Session, project_id: int, field: str | None) -> int:
    """Store each record's value of `field` (None clears them); returns how many changed.

    Records are stamped as changed, so a device whose scope now includes them pulls them.
    """
    changed = 0
    rows = session.exec(
        select(Submission, SubmissionDef)
        .join(SubmissionDef, col(SubmissionDef.submission_id) == Submission.id)
        .where(Submission.project_id == project_id, col(SubmissionDef.current).is_(True))
    )
    for submission, current in rows:
        value = location_value(current.data, field) if field else None
        if value != submission.scope_value:
            submission.scope_value = value
            session.add(submission)
            mark_changed(session, "submission", submission.id or 0)
            changed += 1
    # Entities keep the value of the property named like the field's last step.
    prop = field.rstrip("/").rsplit("/", 1)[-1] if field else None
    entities = session.exec(
        select(Entity)
        .join(Dataset, col(Dataset.id) == Entity.dataset_id)
        .where(Dataset.project_id == project_id)
    )
    for entity in entities:
        value = location_value(entity.data, prop) if prop else None
        if value != entity.scope_value:
            entity.scope_value = value
            session.add(entity)
            mark_changed(session, "entity", entity.id or 0)
            changed += 1
    return changed
