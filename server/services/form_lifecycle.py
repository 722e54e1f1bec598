"""Form lifecycle: upload makes a draft, publish makes it current; published versions stay.

The writes: creating a form, replacing, publishing and dropping its draft, changing its state and
deleting it. The lookups they build on live in server.services.forms.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import secrets
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from forms.convert import set_form_version, xform_md5
from forms.schema import FormSchema
from forms.schema_json import schema_from_json, schema_to_json
from server import errors
from server.errors import Problem
from server.models import Form, FormDef, Project
from server.models.base import utcnow
from server.models.forms import FORM_STATES
from server.services import form_media
from server.services.blobs import ensure_blob
from server.services.entity_lists import publish_form_entities
from server.services.form_upload import PreparedDefinition, refuse_warnings, warnings_document
from server.services.forms import FormView, current_definition, find_form, get_draft, load_schema


def create_form(
    session: Session,
    project: Project,
    prepared: PreparedDefinition,
    *,
    actor_id: int | None,
    publish: bool,
    ignore_warnings: bool,
) -> FormView:
    """A new form whose first definition is a draft, or published at once with `publish`."""
    assert project.id is not None
    if find_form(session, project.id, prepared.xml_form_id) is not None:
        raise Problem(
            errors.FORM_EXISTS,
            f"A form with id {prepared.xml_form_id!r} already exists in this project.",
        )
    workflow = _deleted_form_warning(session, project.id, prepared.xml_form_id)
    if not ignore_warnings:
        refuse_warnings(prepared.xlsform_warnings, workflow)
    form = Form(
        project_id=project.id, xml_form_id=prepared.xml_form_id, state="open",
        sensitive=prepared.converted.sensitive, created_by=actor_id,
    )
    session.add(form)
    session.flush()
    definition = _add_definition(session, form, prepared, workflow, carry_from=None)
    form.draft_def_id = definition.id
    definition.draft_token = _new_token()
    session.add(form)
    session.flush()
    if publish:
        definition = publish_draft(session, form)
    return FormView(form, definition)


def create_draft(
    session: Session, form: Form, prepared: PreparedDefinition | None, *, ignore_warnings: bool
) -> FormDef:
    """Replace the form's draft with a new definition, or with a copy of the published one
    (with its media) when no definition is given."""
    current = current_definition(session, form)
    old_draft = session.get(FormDef, form.draft_def_id) if form.draft_def_id else None
    if prepared is None:
        if current is None:
            raise Problem(
                errors.REQUEST_INVALID,
                "Send a form definition: this form has no published version to copy.",
            )
        draft = _copy_definition(session, form, current)
    else:
        if prepared.xml_form_id != form.xml_form_id:
            raise Problem(
                errors.FORM_ID_MISMATCH,
                f"The definition is for form {prepared.xml_form_id!r}, not {form.xml_form_id!r}.",
            )
        workflow = _structure_warning(current, prepared.schema)
        if not ignore_warnings:
            refuse_warnings(prepared.xlsform_warnings, workflow)
        draft = _add_definition(
            session, form, prepared, workflow, carry_from=old_draft or current
        )
    # A draft keeps its test token across replacements, as ODK Central does.
    draft.draft_token = (old_draft.draft_token if old_draft else None) or _new_token()
    form.draft_def_id = draft.id
    _touch(session, form)
    return draft


def publish_draft(session: Session, form: Form, version: str | None = None) -> FormDef:
    """Make the draft the current version; 409 when its version string was published before."""
    draft = get_draft(session, form)
    if version is not None:
        _rewrite_version(draft, version)
    clash = session.exec(
        select(FormDef.id).where(
            FormDef.form_id == form.id,
            FormDef.version == draft.version,
            col(FormDef.published_at).is_not(None),
        )
    ).first()
    if clash is not None:
        raise _version_unchanged(form, draft.version)
    draft.published_at = utcnow()
    draft.draft_token = None
    draft.enketo_id = None
    form.current_def_id = draft.id
    form.draft_def_id = None
    form.sensitive = load_schema(draft).sensitive
    publish_form_entities(session, form, load_schema(draft))
    session.add(draft)
    _touch(session, form)
    try:
        session.flush()
    except IntegrityError as exc:  # a concurrent publish of the same version won the race
        raise _version_unchanged(form, draft.version) from exc
    return draft


def delete_draft(session: Session, form: Form) -> None:
    """Drop the draft of a published form (409 if never published, 404 if no draft)."""
    if form.current_def_id is None:
        raise Problem(
            errors.FORM_NOT_PUBLISHED,
            "The form has never been published: delete the whole form, or replace the draft.",
        )
    get_draft(session, form)
    # The definition row stays (a draft submission may point at it); it is unreachable.
    form.draft_def_id = None
    _touch(session, form)


def set_state(session: Session, form: Form, state: object) -> Form:
    """open, closing (not listed to devices, still accepts submissions) or closed."""
    if state not in FORM_STATES:
        raise Problem(
            errors.REQUEST_INVALID, f"state must be one of {', '.join(FORM_STATES)}, not {state!r}."
        )
    form.state = str(state)
    _touch(session, form)
    return form


def delete_form(session: Session, form: Form) -> None:
    """Soft-delete a form; its id can then be reused by a new form."""
    form.deleted_at = utcnow()
    _touch(session, form)


def deleted_forms(session: Session, project_id: int) -> list[Form]:
    """The project's forms in the trash, most recently deleted first."""
    return list(session.exec(
        select(Form).where(Form.project_id == project_id, col(Form.deleted_at).is_not(None))
        .order_by(col(Form.deleted_at).desc(), col(Form.id).desc())
    ))


def restore_form(session: Session, project_id: int, form_id: int) -> Form:
    """Take a form out of the trash by its numeric id, as Central does: several deleted forms
    may share an xmlFormId. 404 unless it is deleted; 409 while a live form uses its id."""
    form = session.get(Form, form_id)
    if form is None or form.project_id != project_id or form.deleted_at is None:
        raise Problem(errors.NOT_FOUND, f"No deleted form {form_id} in this project.")
    if find_form(session, project_id, form.xml_form_id) is not None:
        raise Problem(errors.FORM_EXISTS, f"A live form already uses {form.xml_form_id!r}.")
    form.deleted_at = None
    _touch(session, form)
    return form


# ---------------------------------------------------------------------------------------------
# Helpers


def _add_definition(
    session: Session,
    form: Form,
    prepared: PreparedDefinition,
    workflow: list[dict[str, Any]],
    *,
    carry_from: FormDef | None,
) -> FormDef:
    converted = prepared.converted
    files = prepared.store_files()  # only now: every refusal comes before this point
    xlsx_blob = (
        ensure_blob(session, files.original, prepared.original_type) if files.original else None
    )
    assert form.id is not None
    definition = FormDef(
        form_id=form.id, version=converted.version or "", name=converted.title or None,
        xml=converted.xform, hash=converted.md5, sha=_sha1(converted.xform),
        sha256=hashlib.sha256(converted.xform).hexdigest(),
        form_schema=schema_to_json(converted.schema),
        xlsx_blob_id=xlsx_blob.id if xlsx_blob else None,
        xlsx_content_type=prepared.original_type,
        warnings_json=_warnings_json(prepared.xlsform_warnings, workflow),
    )
    session.add(definition)
    session.flush()
    prefilled = {}
    if files.itemsets is not None:
        itemsets = ensure_blob(session, files.itemsets, "text/csv")
        prefilled["itemsets.csv"] = (itemsets, "text/csv")
    form_media.create_slots(
        session, definition, converted.media_types, carry_from=carry_from, prefilled=prefilled
    )
    return definition


def _copy_definition(session: Session, form: Form, source: FormDef) -> FormDef:
    assert form.id is not None
    copy = FormDef(
        form_id=form.id, version=source.version, name=source.name, xml=source.xml,
        hash=source.hash, sha=source.sha, sha256=source.sha256, form_schema=source.form_schema,
        xlsx_blob_id=source.xlsx_blob_id, xlsx_content_type=source.xlsx_content_type,
        xlsx_filename=source.xlsx_filename, warnings_json=source.warnings_json,
        key_id=source.key_id,
    )
    session.add(copy)
    session.flush()
    form_media.copy_slots(session, source, copy)
    return copy


def _rewrite_version(draft: FormDef, version: str) -> None:
    try:
        xml = set_form_version(draft.xml, version)
    except ValueError as exc:
        raise Problem(errors.REQUEST_INVALID, str(exc)) from exc
    schema = dataclasses.replace(schema_from_json(draft.form_schema), version=version)
    draft.xml = xml
    draft.version = version
    draft.hash = xform_md5(xml)
    draft.sha = _sha1(xml)
    draft.sha256 = hashlib.sha256(xml).hexdigest()
    draft.form_schema = schema_to_json(schema)


def _deleted_form_warning(
    session: Session, project_id: int, xml_form_id: str
) -> list[dict[str, Any]]:
    deleted = session.exec(
        select(Form.id).where(
            Form.project_id == project_id,
            Form.xml_form_id == xml_form_id,
            col(Form.deleted_at).is_not(None),
        )
    ).first()
    if deleted is None:
        return []
    return [{"type": "deletedFormExists", "details": {"xmlFormId": xml_form_id}}]


def _structure_warning(current: FormDef | None, schema: FormSchema) -> list[dict[str, Any]]:
    """Fields of the published version that the new definition drops (their data stays)."""
    if current is None:
        return []
    kept = {f.path for f in schema.walk()}
    removed = [f.name for f in load_schema(current).walk() if f.path not in kept]
    return [{"type": "structureChanged", "details": removed}] if removed else []


def _warnings_json(xlsform: tuple[str, ...], workflow: list[dict[str, Any]]) -> str | None:
    document = warnings_document(xlsform, workflow)
    return json.dumps(document, ensure_ascii=False) if document else None


def _version_unchanged(form: Form, version: str) -> Problem:
    return Problem(
        errors.FORM_VERSION_UNCHANGED,
        f"Form {form.xml_form_id!r} already has a published version {version!r}; "
        "publish with a different version.",
        xmlFormId=form.xml_form_id,
        version=version,
    )


def _touch(session: Session, form: Form) -> None:
    form.updated_at = utcnow()
    session.add(form)
    session.flush()


def _new_token() -> str:
    return secrets.token_urlsafe(48)[:64]


def _sha1(content: bytes) -> str:
    return hashlib.sha1(content, usedforsecurity=False).hexdigest()
