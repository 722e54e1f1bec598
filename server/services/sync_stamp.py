"""Server-stamped writes: REST and OpenRosa versions of a submission get write metadata too.

Writes that carry no device clock are stamped with the server's HLC and recorded as written by
``user:<actor id>`` (or ``odk:<deviceID>`` when ODK Collect names its device), only for the
fields they actually changed, so that a later sync op merges correctly against them: a device
that had not seen the version conflicts only on the fields the version changed.
"""

from __future__ import annotations

from typing import Any

from sqlmodel import Session

from forms.document_keys import sync_fields
from server.models import Submission, SubmissionDef
from server.services.records import state_from_stored, state_to_meta
from server.services.server_clock import server_tick
from sync.merge import merge
from sync.ops import Op
from sync.records import same_value

_REMOVED: Any = None  # a field a new version no longer has is written as "no answer"


def stamp_server_write(
    session: Session, submission: Submission, definition: SubmissionDef,
    previous: SubmissionDef | None, xml_form_id: str, stamp: str | None = None,
) -> None:
    """Give a version made over REST or OpenRosa its HLC and write metadata (never commits).

    `stamp`: the HLC to give it instead of a new server reading (a placeholder that the
    statement writing the version replaces by its own reading: see submission_at_once); the
    rows are then that statement's to write, and are not added to the session."""
    before = sync_fields(previous.data) if previous is not None else {}
    after = sync_fields(definition.data)
    changed = {k: v for k, v in after.items() if k not in before or not same_value(before[k], v)}
    changed.update({k: _REMOVED for k in before if k not in after})
    state = None
    if previous is not None:
        state = state_from_stored(
            submission.instance_id, previous.version, before,
            False, submission.field_meta,
        )
    placeholder = stamp
    if stamp is None:
        stamp = server_tick(session).encode()
    writer = (
        f"odk:{definition.device_id}" if definition.device_id
        else f"user:{definition.submitter_id}"
    )
    op = Op(
        op_id=f"def:{definition.instance_id}"[:64], device_id=writer, client_seq=1,
        type="submission", record_id=submission.instance_id, hlc=stamp, fields=changed,
        base_version=state.version if state is not None else None, form_id=xml_form_id,
    )
    result = merge(state, op)
    submission.field_meta = state_to_meta(result.state)
    submission.conflict = result.state.conflict
    definition.hlc = stamp
    definition.op_id = op.op_id
    definition.changed_fields = list(result.changed_fields)
    if placeholder is None:
        session.add(submission)
        session.add(definition)
