"""Resends and edits of known submissions (OpenRosa, REST PUT), by ODK Central's rules, in scope.

A resend names a version that exists (its instanceID) with byte-identical XML: its files fill
or replace their slots (how Collect sends a large submission or edit in several POSTs, or
retries after a lost response). An edit names the version it replaces (`deprecatedID`). An
edit whose deprecatedID names a record outside the sender's record scope is answered exactly
as one naming no record (404): an edit can neither change such a record nor move it into
scope and so reveal its earlier versions.
"""

from __future__ import annotations

from sqlmodel import Session

from server import errors
from server.errors import Problem
from server.models import Form, Submission, SubmissionDef
from server.policy import Access, authorize
from server.services.scope import submission_in_scope, submission_scope
from server.services.submission_errors import (
    FORM_ID_MISMATCH,
    MISSING_DEPRECATED_ID,
    SUBMISSION_DELETED,
    SUBMISSION_EXISTS,
    SUBMISSION_OUTDATED_EDIT,
    SUBMISSION_XML_CONFLICT,
)
from server.services.submission_target import target_definition
from server.services.submissions import (
    IncomingFile,
    IncomingVersion,
    Receipt,
    Sender,
    XmlLimits,
    add_version,
    fill_attachments,
    find_definition,
    get_submission,
    known_version,
    parse_submission_xml,
)


def resend(
    session: Session, form: Form, existing: SubmissionDef, xml: bytes,
    files: dict[str, IncomingFile], access: Access,
) -> Receipt:
    """The same instanceID again: byte-identical XML tops up the files, anything else is 409."""
    submission = session.get(Submission, existing.submission_id)
    assert submission is not None
    if submission.deleted_at is not None:
        raise Problem(SUBMISSION_DELETED)
    if existing.xml != xml:
        raise Problem(SUBMISSION_XML_CONFLICT)
    if not _own_version(access, existing) and not submission_in_scope(
        session, access, form, submission
    ):
        raise Problem(SUBMISSION_EXISTS)  # nobody tops up the files of a record out of reach
    fill_attachments(session, existing, files)
    return Receipt(submission, existing, created=False)


def apply_edit(session: Session, incoming: IncomingVersion, access: Access) -> Receipt:
    """OpenRosa: a new version of the submission that `deprecatedID` names; the edit sent again
    (its new instanceID already the current version) tops up its files."""
    parsed = incoming.parsed
    previous = find_definition(session, incoming.form, parsed.deprecated_id or "")
    return _edit(session, previous, incoming, access, resends=True)


def _edit(
    session: Session, previous: SubmissionDef | None, incoming: IncomingVersion, access: Access,
    *, resends: bool,
) -> Receipt:
    """A new version after `previous`, by Central's edit rules; with `resends`, a repeat of an
    edit already made tops up its files."""
    form, parsed, xml = incoming.form, incoming.parsed, incoming.xml
    submission = None if previous is None else session.get(Submission, previous.submission_id)
    resent = _resent_edit(session, incoming, previous) if resends else None
    if previous is None or submission is None or not (
        (resent is not None and _own_version(access, resent))
        or submission_in_scope(session, access, form, submission)
    ):
        raise Problem(errors.NOT_FOUND, f"No submission version {parsed.deprecated_id!r} to edit.")
    if submission.deleted_at is not None:
        raise Problem(SUBMISSION_DELETED)
    if not previous.current:
        if resent is None:
            raise Problem(SUBMISSION_OUTDATED_EDIT)
        if resent.xml != xml:
            raise Problem(SUBMISSION_XML_CONFLICT)
        fill_attachments(session, resent, incoming.files)
        return Receipt(submission, resent, created=False)
    if known_version(session, incoming.target) is not None:
        raise Problem(SUBMISSION_EXISTS)
    return add_version(session, previous, incoming)


def edit_rest(
    session: Session, form: Form, instance_id: str, xml: bytes, sender: Sender,
    limits: XmlLimits,
) -> Receipt:
    """PUT …/submissions/{instanceId}: a new version whose deprecatedID is the current one."""
    parsed = parse_submission_xml(xml, limits)
    if parsed.form_id != form.xml_form_id:
        raise Problem(FORM_ID_MISMATCH)
    if not parsed.deprecated_id:
        raise Problem(MISSING_DEPRECATED_ID)
    access = sender.access or authorize(
        session, sender.principal, "submission.update", form.project_id, form=form
    )
    submission = get_submission(
        session, form, instance_id, visible=submission_scope(session, access, form)
    )
    target = target_definition(session, form.project_id, parsed)
    previous = find_definition(session, form, parsed.deprecated_id)
    if previous is None or previous.submission_id != submission.id:
        raise Problem(errors.NOT_FOUND, "deprecatedID does not name a version of this submission.")
    incoming = IncomingVersion(target, parsed, xml, {}, sender)
    # As Central's PUT: only the current version may be replaced, a repeat is an outdated edit.
    return _edit(session, previous, incoming, access, resends=False)


def _own_version(access: Access, version: SubmissionDef) -> bool:
    # Its own sender may send a version again even when it left the sender's scope: the files
    # of a record it moved elsewhere still have to arrive, and it learns nothing new.
    return version.submitter_id == access.principal.actor_id


def _resent_edit(
    session: Session, incoming: IncomingVersion, previous: SubmissionDef | None
) -> SubmissionDef | None:
    """The current version this request repeats, when it already replaced `previous`."""
    if previous is None or previous.current:
        return None
    usurper = known_version(session, incoming.target)
    if usurper is None or not usurper.current or usurper.submission_id != previous.submission_id:
        return None
    return usurper
