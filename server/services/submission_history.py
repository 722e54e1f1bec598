"""A submission's full history for GET …/records/submission/{id}/versions (REST, OpenRosa, sync).

A caller who may not read the record (no `submission.read` on its form, or the record outside
the caller's scope) gets the same 404 as for a record that does not exist, so the answer never
tells whether a record exists.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlmodel import Session, col, select

from forms.document_keys import sync_fields
from server import errors
from server.errors import Problem
from server.models import Form, Submission, SubmissionDef
from server.models.base import iso
from server.policy import Access, authorize_form
from server.services.scope import submission_in_scope
from sync.records import DELETION, same_value


def submission_history(
    session: Session, access: Access, project_id: int, record_id: str
) -> list[dict[str, Any]]:
    """Every version of the submission from 1, however it was created; 404 when unreadable."""
    found = session.exec(
        select(Submission, Form)
        .join(Form, col(Form.id) == Submission.form_id)
        .where(Submission.project_id == project_id, Submission.instance_id == record_id)
    ).first()
    if found is None or not _may_read(session, access, *found):
        raise Problem(errors.NOT_FOUND, f"Submission {record_id!r} does not exist.")
    submission = found[0]
    defs = session.exec(
        select(SubmissionDef).where(SubmissionDef.submission_id == submission.id)
        .order_by(col(SubmissionDef.version))
    ).all()
    previous: Mapping[str, Any] = {}
    history = []
    for definition in defs:
        fields = sync_fields(definition.data)
        history.append(_version_json(definition, fields, previous))
        previous = fields
    return history


def _may_read(session: Session, access: Access, submission: Submission, form: Form) -> bool:
    try:
        authorize_form(session, access, "submission.read", form)
    except Problem:
        return False
    return submission_in_scope(session, access, form, submission)


def _version_json(
    definition: SubmissionDef, fields: Mapping[str, Any], previous: Mapping[str, Any]
) -> dict[str, Any]:
    changed = definition.changed_fields
    if changed is None:  # written before versions kept their changed fields: compare
        keys = list(fields) + [k for k in previous if k not in fields]
        changed = [k for k in keys if not same_value(fields.get(k), previous.get(k))]
    return {
        "version": definition.version, "instanceId": definition.instance_id,
        "deprecatedId": definition.deprecated_id, "createdAt": iso(definition.created_at),
        "actorId": definition.submitter_id, "deviceId": definition.device_id,
        "userAgent": definition.user_agent, "hlc": definition.hlc, "opId": definition.op_id,
        "via": "sync" if definition.op_id and not definition.op_id.startswith("def:") else "odk",
        "changed": changed, "fields": {k: fields.get(k) for k in changed if k != DELETION},
        "current": definition.current,
    }
