"""Submissions as a sync record kind: load with a row lock, save merged states as new versions.

A submission's sync fields are its current version's data document (keyed by field path)
without meta/instanceID and meta/deprecatedID, which name versions rather than the record.
Every merged op becomes a new immutable SubmissionDef with its own instanceID whose
deprecatedID is the previous one, with instance XML generated from the document so ODK tools
read it like any edit, validated like OpenRosa submissions and stored even when invalid.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from typing import Any

from sqlmodel import Session

from forms.document_keys import field_key_refusal, sync_fields
from forms.instance import document_to_instance_xml, referenced_files
from forms.schema import FormSchema
from server.errors import Problem
from server.models import (
    Form,
    FormDef,
    Submission,
    SubmissionAttachment,
    SubmissionDef,
)
from server.models.base import utcnow
from server.policy import Access, authorize_form
from server.services import sync_submission_batch as batch
from server.services.blobs import find_blob
from server.services.changes import mark_changed
from server.services.forms import find_form, load_schema
from server.services.records import (
    Change,
    FeedPosition,
    OpRejected,
    register_kind,
    state_from_stored,
    state_to_meta,
)
from server.services.row_insert import EncodedJSON
from server.services.scope import (
    load_scope,
    location_value,
    project_scope_setting,
    submission_visible,
)
from server.services.submissions import attachments_of, current_definition_of, validation_json
from sync.merge import MergeResult
from sync.ops import Op
from sync.records import DELETION, FieldWrite, RecordState

_CACHE = "kenesh_sync_submissions"
# The validation outcome of nearly every staged version, encoded once.
_VALID_TEXT = EncodedJSON({"status": "valid", "issues": [], "notChecked": []})


class SubmissionKind:
    """The "submission" record kind (container: the form's xmlFormId)."""

    name = "submission"

    def check_write(
        self, session: Session, access: Access, project_id: int, container: str
    ) -> None:
        """The form must exist, be published and open, and the caller may submit to it."""
        cache = _cache(session)
        key = ("check", project_id, container, access.principal.actor_id)
        if key not in cache:
            cache[key] = _write_refusal(session, access, project_id, container)
        refusal = cache[key]
        if refusal is not None:
            raise OpRejected(*refusal)

    def load(
        self, session: Session, project_id: int, container: str, record_id: str
    ) -> RecordState | None:
        """The submission with this (first) instanceID in the form, its row locked."""
        form = _form(session, project_id, container)
        if form is None:
            return None
        cache = _cache(session)
        hit, loaded = batch.take_prepared(cache, form.id or 0, record_id)
        if hit and loaded is None:
            return None
        if loaded is not None:
            submission, current = loaded
        else:
            batch.finish(session, cache)  # the record may be one of the batch's staged ones
            submission = batch.locked_row(session, form.id or 0, record_id)
            if submission is None:
                return None
            current = current_definition_of(session, submission)
        _cache(session)[("row", form.id, record_id)] = (submission, current)
        fallback = FieldWrite(
            current.version, current.hlc or "0000000000000-00000-server",
            f"user:{current.submitter_id}", current.op_id or current.instance_id,
        )
        return state_from_stored(
            record_id, submission.version, sync_fields(current.data),
            submission.deleted_at is not None, submission.field_meta, fallback,
        )

    def save(
        self, session: Session, project_id: int, container: str, result: MergeResult, op: Op,
        actor_id: int | None,
    ) -> int:
        """A new SubmissionDef for a new version; only meta and flags when the version is kept."""
        form = _form(session, project_id, container)
        if form is None:
            raise OpRejected("form_unknown", f"Form {container!r} does not exist.")
        loaded = _cache(session).get(("row", form.id, op.record_id))
        state = result.state
        if loaded is not None:
            batch.finish(session, _cache(session))
        if loaded is not None and state.version == loaded[0].version:
            submission = loaded[0]
        else:
            made = _new_version(session, form, loaded, result, op, actor_id)
            if made is None:  # staged for the batch's insert, meta and flags included
                return state.version
            submission, current = made
            _cache(session)[("row", form.id, op.record_id)] = (submission, current)
        submission.field_meta = state_to_meta(state)
        submission.conflict = state.conflict
        session.add(submission)
        mark_changed(session, "submission", submission.id or 0)
        return state.version

    def writable(self, session: Session, access: Access, container: str, record_id: str) -> bool:
        """Whether a loaded record is within the caller's record scope (own and/or location)."""
        cache = _cache(session)
        form = _form(session, access.project_id or 0, container)
        loaded = cache.get(("row", form.id if form else None, record_id))
        if form is None or loaded is None:
            return True
        key = ("scope", access.project_id, access.principal.actor_id, access.role, form.sensitive)
        if key not in cache:
            # Once per push and form kind, not once per op: the setting cannot change meanwhile.
            cache[key] = load_scope(session, access, sensitive=bool(form.sensitive))
        return submission_visible(access.principal, cache[key], loaded[0])

    def prepare(
        self, session: Session, access: Access, project_id: int,
        keys: Iterable[tuple[str, str]],
    ) -> None:
        """Load and lock the records a push names in forms the caller may write, at once; stage
        new records until ``finish_batch`` (see server/services/sync_submission_batch.py)."""
        forms: dict[int, Form] = {}
        wanted: dict[int, set[str]] = {}
        for container, record_id in keys:
            try:
                self.check_write(session, access, project_id, container)
            except OpRejected:
                continue  # its ops are rejected without reading any record
            form = _form(session, project_id, container)
            if form is not None:
                forms[form.id or 0] = form
                wanted.setdefault(form.id or 0, set()).add(record_id)
        batch.prepare(session, _cache(session), forms.values(), wanted)

    def finish_batch(self, session: Session, *, last: bool = False) -> None:
        """Insert the push's staged records; later writes go straight to the session again.
        ``last``: only the push's closing statements follow."""
        batch.finish(session, _cache(session), end=True, last=last)

    def changes(
        self, session: Session, access: Access, project_id: int, after: FeedPosition, limit: int
    ) -> list[Change]:
        """Submissions after ``after`` in feed order, within the caller's scope."""
        from server.services.sync_submission_feed import submission_changes

        return submission_changes(session, access, project_id, after, limit)

    def history(
        self, session: Session, access: Access, project_id: int, record_id: str
    ) -> list[dict[str, Any]]:
        """Every version of the submission from 1, however it was created."""
        from server.services.submission_history import submission_history

        return submission_history(session, access, project_id, record_id)


def _cache(session: Session) -> dict[Any, Any]:
    cache: dict[Any, Any] | None = session.info.get(_CACHE)
    if cache is None:
        cache = session.info[_CACHE] = {}
    return cache


def _form(session: Session, project_id: int, xml_form_id: str) -> Form | None:
    cache = _cache(session)
    key = ("form", project_id, xml_form_id)
    if key not in cache:
        cache[key] = find_form(session, project_id, xml_form_id)
    return cache[key]  # type: ignore[no-any-return]


def _write_refusal(
    session: Session, access: Access, project_id: int, container: str
) -> tuple[str, str] | None:
    form = _form(session, project_id, container)
    if form is None or form.current_def_id is None:
        return "form_unknown", f"Form {container!r} does not exist or is not published."
    if form.state == "closed":
        return "form_closed", f"Form {container!r} is closed and accepts no submissions."
    try:
        # The gate's decision for the project (role, personal-data grant) is reused, as on the
        # OpenRosa route: only an app user's assignment of the form is asked of the database.
        authorize_form(session, access, "submission.create", form)
    except Problem:
        return "not_permitted", f"You may not submit to form {container!r}."
    return None


def _schema(session: Session, form: Form) -> tuple[FormDef, FormSchema]:
    cache = _cache(session)
    key = ("schema", form.current_def_id)
    if key not in cache:
        form_def = batch.form_def(session, form.current_def_id or 0)
        cache[key] = (form_def, load_schema(form_def))
    return cache[key]  # type: ignore[no-any-return]


def _check_keys(fields: Mapping[str, Any], schema: FormSchema) -> None:
    for key in fields:
        refusal = field_key_refusal(key, schema.root_name)
        if refusal is not None:
            raise OpRejected(*refusal)


def _new_version(
    session: Session, form: Form, loaded: tuple[Submission, SubmissionDef] | None,
    result: MergeResult, op: Op, actor_id: int | None,
) -> tuple[Submission, SubmissionDef] | None:
    """The record's new version; None when it is a new record staged for the batch's insert."""
    form_def, schema = _schema(session, form)
    _check_keys(op.fields, schema)
    state = result.state
    previous = loaded[1] if loaded is not None else None
    instance_id = op.record_id if previous is None else f"uuid:{uuid.uuid4()}"
    document = dict(state.fields)
    try:
        xml = document_to_instance_xml(
            document, schema, instance_id=instance_id,
            deprecated_id=previous.instance_id if previous else None,
        )
    except (ValueError, TypeError, AttributeError) as error:
        raise OpRejected("fields_invalid", f"The fields do not fit the form: {error}") from None
    root = f"/{schema.root_name}/meta/"
    document[root + "instanceID"] = instance_id
    if previous is not None:
        document[root + "deprecatedID"] = previous.instance_id
    values = dict(
        form_id=form.id or 0, form_def_id=form_def.id or 0,
        version=state.version, instance_id=instance_id,
        deprecated_id=previous.instance_id if previous else None, xml=xml, data=document,
        validation=validation_json(schema, document), submitter_id=actor_id,
        device_id=op.device_id, hlc=op.hlc, op_id=op.op_id,
        changed_fields=[*result.changed_fields, *([DELETION] if result.deleted_changed else [])],
        current=True,
    )
    if loaded is None and _stageable(session, schema, op, document):
        record = _new_record_values(session, form, state, op, actor_id)
        # Columns always null here are left out: the tables have no defaults, so they are
        # stored null all the same, and SQLite's driver adapts a None at some cost each.
        del values["deprecated_id"]
        values["created_at"] = record["created_at"]  # the record's and its version's one time
        if _plainly_valid(values["validation"]):
            values["validation"] = _VALID_TEXT
        batch.stage(_cache(session), record, values)
        return None
    submission = _record_row(session, form, loaded, state, op, actor_id)
    session.flush()
    definition = SubmissionDef(submission_id=submission.id or 0, **values)
    if previous is not None:
        previous.current = False
        session.add(previous)
        session.flush()  # the old version stops being current before the new one is
    session.add(definition)
    session.flush()
    _attach(session, definition, schema, op, previous)
    # Entities the form creates or updates follow JSON submissions as they follow OpenRosa ones.
    from server.services.entity_submissions import process_submission

    process_submission(session, submission, definition, "create" if previous is None else "edit")
    return submission, definition


def _stageable(
    session: Session, schema: FormSchema, op: Op, document: Mapping[str, Any]
) -> bool:
    """A new record whose insert can wait for the batch's: it has no attachment slots and
    makes no entity, so nothing else needs its rows before the batch ends."""
    return (
        batch.active(_cache(session)) and schema.entity is None and not op.attachments
        and not referenced_files(document, schema)
    )


def _plainly_valid(validation: dict[str, Any]) -> bool:
    """Whether `validation` is exactly ``{"status": "valid", "issues": [], "notChecked": []}``,
    key order included (so its text is _VALID_TEXT's)."""
    if type(validation) is not dict or len(validation) != 3:
        return False
    status, issues, not_checked = validation.values()
    return (
        list(validation) == ["status", "issues", "notChecked"] and type(status) is str
        and status == "valid" and type(issues) is list and not issues
        and type(not_checked) is list and not not_checked
    )


def _new_record_values(
    session: Session, form: Form, state: RecordState, op: Op, actor_id: int | None,
) -> dict[str, Any]:
    """The submissions row ``_record_row`` and ``save`` would write for a new record, without
    the columns that are null for every new record (user_agent, review_state, updated_at, and
    scope_value without a scope field) and change_seq (the batch's insert gives it if known)."""
    now = batch.created_at(_cache(session))
    _, scope_field = _scope_setting(session, form.project_id)
    row = {
        "project_id": form.project_id, "form_id": form.id or 0, "instance_id": op.record_id,
        "submitter_id": actor_id, "device_id": op.device_id, "version": state.version,
        "conflict": state.conflict, "field_meta": state_to_meta(state),
        "created_at": now, "deleted_at": now if state.deleted else None,
    }
    # Without a scope field, left out (null) too: every staged row of a session lacks it, as
    # the setting is cached per session, so the batch's rows still have the same keys.
    if scope_field:
        row["scope_value"] = location_value(state.fields, scope_field)
    return row


def _record_row(
    session: Session, form: Form, loaded: tuple[Submission, SubmissionDef] | None,
    state: RecordState, op: Op, actor_id: int | None,
) -> Submission:
    now = utcnow()
    if loaded is None:
        submission = Submission(
            project_id=form.project_id, form_id=form.id or 0, instance_id=op.record_id,
            submitter_id=actor_id, device_id=op.device_id, version=state.version,
        )
    else:
        submission = loaded[0]
        submission.version = state.version
        submission.updated_at = now
        if submission.review_state not in ("approved", "rejected"):
            submission.review_state = "edited"
    if state.deleted and submission.deleted_at is None:
        submission.deleted_at = now
    elif not state.deleted:
        submission.deleted_at = None
    _, scope_field = _scope_setting(session, form.project_id)
    if scope_field:
        submission.scope_value = location_value(state.fields, scope_field)
    session.add(submission)
    return submission


def _scope_setting(session: Session, project_id: int) -> tuple[str, str | None]:
    cache = _cache(session)
    key = ("scope", project_id)
    if key not in cache:
        cache[key] = project_scope_setting(session, project_id)
    return cache[key]  # type: ignore[no-any-return]


def _attach(
    session: Session, definition: SubmissionDef, schema: FormSchema, op: Op,
    previous: SubmissionDef | None,
) -> None:
    carried = {s.name: s.blob_id for s in attachments_of(session, previous)} if previous else {}
    sent = {a.name: a.sha256 for a in op.attachments}
    names = dict.fromkeys([*referenced_files(definition.data, schema), *sent])
    for position, name in enumerate(names):
        blob_id = carried.get(name)
        if name in sent:
            blob = find_blob(session, sent[name])
            blob_id = blob.id if blob is not None else blob_id
        session.add(SubmissionAttachment(
            submission_def_id=definition.id or 0, name=name, blob_id=blob_id, position=position,
        ))
    if names:
        session.flush()


SUBMISSIONS = SubmissionKind()
register_kind(SUBMISSIONS)
