"""Receiving submissions (OpenRosa and REST): new ones, identical resends, edits, attachments.

The rules are ODK Central's: a new instanceID creates a submission; the same instanceID with
byte-identical XML is a resend that fills attachment slots; different XML under a known
instanceID is a conflict; `deprecatedID` names the version being edited. Resends and edits,
and the record scope they respect, are in server/services/submission_edits.py.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from functools import cache
from typing import Any

from sqlalchemy import bindparam
from sqlmodel import Session, col, select
from sqlmodel.sql.expression import SelectOfScalar

from forms.errors import InstanceUnparseable
from forms.instance import (
    DEFAULT_MAX_BYTES,
    DEFAULT_MAX_DEPTH,
    ParsedInstance,
    parse_instance,
    referenced_files,
)
from server import errors
from server.auth.principal import Principal
from server.db import begin_per_statement, end_per_statement, per_statement
from server.errors import Problem
from server.models import Form, FormDef, Submission, SubmissionAttachment, SubmissionDef
from server.models.base import new_row, utcnow
from server.policy import Access, authorize, authorize_form
from server.services.blobs import ensure_blob_id
from server.services.changes import mark_changed
from server.services.forms import load_schema, schema_known
from server.services.scope import location_value
from server.services.submission_at_once import (
    PLACEHOLDER,
    insert_at_once,
    slots_of,
)
from server.services.submission_errors import (
    FORM_ID_MISMATCH,
    FORM_NOT_ACCEPTING,
    SUBMISSION_EXISTS,
    SUBMISSION_NO_FORM_ID,
    SUBMISSION_NO_INSTANCE_ID,
    SUBMISSION_UNPARSEABLE,
)
from server.services.submission_reading import (  # noqa: F401  (validation_json: re-exported)
    Reading,
    early_reading,
    reading_for,
    remember_schema,
    validation_json,
)
from server.services.submission_rows import insert_new_submission, insert_slots
from server.services.submission_target import SubmissionTarget, target_definition
from server.services.sync_stamp import stamp_server_write
from server.settings import Settings
from server.storage import StoredBlob


@dataclass(frozen=True)
class IncomingFile:
    """An attachment that arrived with the request, already streamed into the blob store."""

    name: str
    stored: StoredBlob
    content_type: str | None


@dataclass(frozen=True)
class Receipt:
    """What receiving a submission did."""

    submission: Submission
    definition: SubmissionDef
    created: bool  # False for an identical resend (attachments topped up)


@dataclass(frozen=True)
class Sender:
    """Who sent a submission and from what."""

    principal: Principal
    device_id: str | None = None
    user_agent: str | None = None
    access: Access | None = None  # the policy gate's decision, when the caller has it


@dataclass(frozen=True)
class IncomingVersion:
    """A submission version as it arrived: where it goes (the form version it was filled in),
    its XML (and that parsed), its files and its sender; `early`: see submission_reading."""

    target: SubmissionTarget
    parsed: ParsedInstance
    xml: bytes
    files: dict[str, IncomingFile]
    sender: Sender
    early: Reading | None = None

    @property
    def form(self) -> Form:
        return self.target.form

    @property
    def form_def(self) -> FormDef:
        return self.target.form_def


@dataclass(frozen=True)
class XmlLimits:
    """How large and how deeply nested a submission's XML may be before it is read."""

    max_bytes: int = DEFAULT_MAX_BYTES
    max_depth: int = DEFAULT_MAX_DEPTH

    @classmethod
    def of(cls, settings: Settings) -> XmlLimits:
        """The operator's limits: KENESH_MAX_SUBMISSION_XML_BYTES and _DEPTH."""
        return cls(settings.max_submission_xml_bytes, settings.max_submission_xml_depth)


def parse_submission_xml(xml: bytes, limits: XmlLimits) -> ParsedInstance:
    """Parse the XML or answer 400 (also above the limits); the form id and instanceID must be
    present."""
    try:
        parsed = parse_instance(xml, max_bytes=limits.max_bytes, max_depth=limits.max_depth)
    except InstanceUnparseable as exc:
        raise Problem(SUBMISSION_UNPARSEABLE, str(exc)) from exc
    if not parsed.form_id:
        raise Problem(SUBMISSION_NO_FORM_ID)
    if not parsed.instance_id:
        raise Problem(SUBMISSION_NO_INSTANCE_ID)
    return parsed


def receive_openrosa(
    session: Session, project_id: int, xml: bytes, files: dict[str, IncomingFile], sender: Sender,
    limits: XmlLimits,
) -> Receipt:
    """POST /submission: create, top up an identical resend, or apply an edit (deprecatedID)."""
    parsed = parse_submission_xml(xml, limits)
    early = early_reading(project_id, parsed)  # before the first statement: see its module
    shas = [incoming.stored.sha256 for incoming in files.values()]
    # A new submission's likely case: see submission_at_once (PostgreSQL only).
    at_once = not parsed.deprecated_id and begin_per_statement(session)
    if not at_once and per_statement(session):
        end_per_statement(session)  # the policy gate's reads ran outside a transaction: begin one
    target = target_definition(
        session, project_id, parsed, sender.principal.actor_id, shas, attach=not at_once
    )
    if at_once and not schema_known(target.form_def):
        target = target.attached_to(session)  # its schema is read from its row (once a worker)
    form = target.form
    remember_schema(project_id, parsed, load_schema(target.form_def))
    access = _authorize_submission(session, sender, project_id, target)
    if form.state == "closed":
        raise Problem(FORM_NOT_ACCEPTING)
    incoming = IncomingVersion(target, parsed, xml, files, sender, early)
    if at_once:
        receipt = _create_at_once(session, incoming)
        if receipt is not None:
            return receipt
        end_per_statement(session)
        incoming = replace(incoming, target=target.attached_to(session))
        target, form = incoming.target, incoming.form
    if parsed.deprecated_id:
        # Imported here: submission_edits builds on this module (resends and edits are rare).
        from server.services.submission_edits import apply_edit

        return apply_edit(session, incoming, access)
    existing = known_version(session, target)
    if existing is None:  # new (or purged from the trash in between: its instanceID is free)
        return create_submission(session, incoming)
    from server.services.submission_edits import resend

    return resend(session, form, existing, xml, files, access)


def _authorize_submission(
    session: Session, sender: Sender, project_id: int, target: SubmissionTarget
) -> Access:
    if sender.access is not None:
        authorize_form(
            session, sender.access, "submission.create", target.form, assigned=target.assigned
        )
        return sender.access
    return authorize(session, sender.principal, "submission.create", project_id, form=target.form)


def receive_rest(
    session: Session, project_id: int, xml_form_id: str, xml: bytes, sender: Sender,
    limits: XmlLimits,
) -> Receipt:
    """POST …/forms/{id}/submissions: like Central, the same XML twice is a 409 the second time."""
    parsed = parse_submission_xml(xml, limits)
    if parsed.form_id != xml_form_id:
        raise Problem(FORM_ID_MISMATCH)
    target = target_definition(session, project_id, parsed)
    authorize(session, sender.principal, "submission.create", project_id, form=target.form)
    if target.form.state == "closed":
        raise Problem(FORM_NOT_ACCEPTING)
    if target.existing_def_id is not None:
        raise Problem(SUBMISSION_EXISTS)
    return create_submission(session, IncomingVersion(target, parsed, xml, {}, sender))


def known_version(session: Session, target: SubmissionTarget) -> SubmissionDef | None:
    """The version of the target form that already has the submission's instanceID, as the
    target query found it (None also when a purge removed it since)."""
    if target.existing_def_id is None:
        return None
    return session.get(SubmissionDef, target.existing_def_id)


def find_definition(session: Session, form: Form, instance_id: str) -> SubmissionDef | None:
    """The submission version with this instanceID in the form, if any."""
    params = {"form_id": form.id, "instance_id": instance_id}
    return session.exec(_definition_query(), params=params).first()


@cache
def _definition_query() -> SelectOfScalar[SubmissionDef]:
    # Built once, as every submission looks its instanceID up (building costs more than running).
    return select(SubmissionDef).where(
        SubmissionDef.form_id == bindparam("form_id"),
        SubmissionDef.instance_id == bindparam("instance_id"),
    )


def get_submission(
    session: Session, form: Form, instance_id: str, *, visible: Any = None,
    deleted: bool = False,
) -> Submission:
    """A live submission (with `deleted`, one in the trash) by its (first) instanceID; 404
    otherwise, also when out of scope."""
    trashed = col(Submission.deleted_at).is_not(None)
    query = select(Submission).where(Submission.form_id == form.id,
                                     Submission.instance_id == instance_id,
                                     trashed if deleted else ~trashed)
    if visible is not None:
        query = query.where(visible)
    found = session.exec(query).first()
    if found is None:
        detail = (f"No deleted submission {instance_id!r}." if deleted
                  else f"Submission {instance_id!r} does not exist.")
        raise Problem(errors.NOT_FOUND, detail)
    return found


def current_definition_of(session: Session, submission: Submission) -> SubmissionDef:
    """The submission's current version."""
    found = session.exec(
        select(SubmissionDef).where(
            SubmissionDef.submission_id == submission.id, col(SubmissionDef.current).is_(True)
        )
    ).first()
    assert found is not None, "every submission has a current version"
    return found


def create_submission(session: Session, incoming: IncomingVersion) -> Receipt:
    """A new logical submission with its first version."""
    submission, definition, reading = _new_rows(session, incoming)
    # Blobs first: from the stamp to the commit, PostgreSQL holds the server clock's row lock.
    slots = _slot_blobs(session, reading.document, incoming, previous=None)
    # Stamped before the rows exist, so that each is written by one INSERT (no UPDATE after).
    with session.no_autoflush:
        stamp_server_write(session, submission, definition, None, incoming.form.xml_form_id)
    insert_new_submission(session, submission, definition, slots)
    _entities(session, submission, definition, "create", incoming)
    return Receipt(submission, definition, created=True)


def _create_at_once(session: Session, incoming: IncomingVersion) -> Receipt | None:
    """A new submission written by one statement (submission_at_once); None when it is not
    new, makes entities, or the statement could not write it."""
    if incoming.target.existing_def_id is not None:
        return None
    if load_schema(incoming.form_def).entity is not None:
        return None
    submission, definition, reading = _new_rows(session, incoming)
    files = {name: (sent.stored, sent.content_type) for name, sent in incoming.files.items()}
    referenced = referenced_files(reading.document, reading.schema)
    slots, new_blobs = slots_of(referenced, files, incoming.target.known_blobs)
    stamp_server_write(
        session, submission, definition, None, incoming.form.xml_form_id, stamp=PLACEHOLDER
    )
    if not insert_at_once(session, submission, definition, slots, new_blobs):
        return None
    return Receipt(submission, definition, created=True)


def _new_rows(
    session: Session, incoming: IncomingVersion
) -> tuple[Submission, SubmissionDef, Reading]:
    """A new submission and its first version, neither added nor stamped yet."""
    form, parsed, sender = incoming.form, incoming.parsed, incoming.sender
    schema = load_schema(incoming.form_def)
    submission = new_row(
        Submission,
        project_id=form.project_id,
        form_id=form.id or 0,
        instance_id=parsed.instance_id or "",
        submitter_id=sender.principal.actor_id,
        device_id=sender.device_id,
        user_agent=sender.user_agent,
        version=1,
    )
    reading = reading_for(schema, parsed, incoming.early)
    return submission, _new_definition(session, submission, reading, incoming), reading


def add_version(session: Session, previous: SubmissionDef, incoming: IncomingVersion) -> Receipt:
    """A new current version after `previous` (an edit that passed Central's edit rules)."""
    submission = session.get(Submission, previous.submission_id)
    assert submission is not None
    schema = load_schema(incoming.form_def)
    previous.current = False
    session.add(previous)
    submission.version += 1
    submission.review_state = "edited"
    submission.updated_at = utcnow()
    reading = reading_for(schema, incoming.parsed, incoming.early)
    definition = _new_definition(session, submission, reading, incoming)
    definition.deprecated_id = incoming.parsed.deprecated_id
    session.add(definition)
    session.flush()  # the slots need its id
    slots = _slot_blobs(session, reading.document, incoming, previous)
    insert_slots(session, definition, slots)
    stamp_server_write(session, submission, definition, previous, incoming.form.xml_form_id)
    mark_changed(session, "submission", submission.id or 0)
    _entities(session, submission, definition, "edit", incoming)
    return Receipt(submission, definition, created=True)


def _entities(
    session: Session, submission: Submission, definition: SubmissionDef, action: str,
    incoming: IncomingVersion,
) -> None:
    # Imported here: entity_submissions builds on the record kinds, one of which
    # (sync_submissions) builds on this module; imported at the top, this module could not be
    # imported first.
    from server.services.entity_submissions import process_submission

    process_submission(session, submission, definition, action, incoming.parsed)


def _new_definition(
    session: Session, submission: Submission, reading: Reading, incoming: IncomingVersion
) -> SubmissionDef:
    """A version of `submission` (not yet added); sets the submission's stored scope value."""
    scope_field = incoming.target.scope_field
    document = reading.document
    parsed, sender = incoming.parsed, incoming.sender
    definition = new_row(
        SubmissionDef,
        submission_id=submission.id or 0,
        form_id=submission.form_id,
        form_def_id=incoming.form_def.id or 0,
        version=submission.version,
        instance_id=parsed.instance_id or "",
        instance_name=parsed.instance_name,
        xml=incoming.xml,
        data=document,
        validation=reading.validation,
        submitter_id=sender.principal.actor_id,
        device_id=sender.device_id,
        user_agent=sender.user_agent,
        current=True,
    )
    if scope_field:
        # Copied onto the record so that scope filters are plain SQL on every read path.
        submission.scope_value = location_value(document, scope_field)
    return definition


def _slot_blobs(
    session: Session, document: dict[str, Any], incoming: IncomingVersion,
    previous: SubmissionDef | None,
) -> list[tuple[str, int | None]]:
    """The version's attachment slots in order, with their blobs: sent now, else carried over."""
    carried: dict[str, int | None] = {}
    if previous is not None:
        for slot in attachments_of(session, previous):
            carried[slot.name] = slot.blob_id
    files, known = incoming.files, incoming.target.known_blobs
    return [
        (name, _blob_id(session, files[name], known) if name in files else carried.get(name))
        for name in referenced_files(document, load_schema(incoming.form_def))
    ]


def _blob_id(session: Session, incoming: IncomingFile, known: dict[str, int] | None = None) -> int:
    # `known`: blob ids the target query found, so that stored content costs no lookup here.
    found = (known or {}).get(incoming.stored.sha256)
    if found is not None:
        return found
    return ensure_blob_id(session, incoming.stored, incoming.content_type)


def attachments_of(session: Session, definition: SubmissionDef) -> list[SubmissionAttachment]:
    """The attachment slots of a submission version, in the order the XML names them."""
    return list(
        session.exec(
            select(SubmissionAttachment)
            .where(SubmissionAttachment.submission_def_id == definition.id)
            .order_by(col(SubmissionAttachment.position))
        )
    )


def fill_attachments(
    session: Session, definition: SubmissionDef, files: dict[str, IncomingFile]
) -> int:
    """Put files into the version's slots of the same name (fill or replace); others are ignored."""
    filled = 0
    for slot in attachments_of(session, definition):
        incoming = files.get(slot.name)
        if incoming is not None:
            slot.blob_id = _blob_id(session, incoming)
            session.add(slot)
            filled += 1
    return filled
