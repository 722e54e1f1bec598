"""Form lifecycle: upload makes a draft, publish makes it current; published versions stay."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache, lru_cache
from typing import Any

from sqlalchemy import bindparam
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import defer
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

EMPTY_VERSION_TOKEN = "___"  # how ODK Central's URLs spell the empty version string


@dataclass(frozen=True)
class FormView:
    """A form with the definition a response describes (current, draft or a version)."""

    form: Form
    definition: FormDef | None


# ---------------------------------------------------------------------------------------------
# Lookups (reused by the OpenRosa, submission and export services)


def get_project(session: Session, project_id: int) -> Project:
    """A live project; 404 otherwise."""
    project = session.get(Project, project_id)
    if project is None or project.deleted_at is not None:
        raise Problem(errors.NOT_FOUND, f"Project {project_id} does not exist.")
    return project


def find_form(session: Session, project_id: int, xml_form_id: str) -> Form | None:
    """The live form with this xmlFormId in the project, if any."""
    return session.exec(
        select(Form).where(
            Form.project_id == project_id,
            Form.xml_form_id == xml_form_id,
            col(Form.deleted_at).is_(None),
        )
    ).first()


def get_form(session: Session, project_id: int, xml_form_id: str) -> Form:
    """The live form with this xmlFormId in the project; 404 otherwise."""
    form = find_form(session, project_id, xml_form_id)
    if form is None:
        raise Problem(errors.NOT_FOUND, f"Form {xml_form_id!r} does not exist in this project.")
    return form


def current_definition(session: Session, form: Form) -> FormDef | None:
    """The published definition devices receive, if the form was ever published."""
    return session.get(FormDef, form.current_def_id) if form.current_def_id else None


def shown_definition(session: Session, form: Form) -> FormDef | None:
    """What `GET …/forms/{id}` describes: the published definition, else the draft."""
    return current_definition(session, form) or (
        session.get(FormDef, form.draft_def_id) if form.draft_def_id else None
    )


def get_draft(session: Session, form: Form) -> FormDef:
    """The form's draft; 404 when it has none."""
    draft = session.get(FormDef, form.draft_def_id) if form.draft_def_id else None
    if draft is None:
        raise Problem(errors.FORM_NO_DRAFT, f"Form {form.xml_form_id!r} has no draft.")
    return draft


def get_published_version(session: Session, form: Form, version: str) -> FormDef:
    """The published definition with this version string ("___" is the empty version); 404."""
    wanted = "" if version == EMPTY_VERSION_TOKEN else version
    found = session.exec(
        select(FormDef).where(
            FormDef.form_id == form.id,
            FormDef.version == wanted,
            col(FormDef.published_at).is_not(None),
        )
    ).first()
    if found is None:
        raise Problem(errors.NOT_FOUND, f"Form {form.xml_form_id!r} has no version {version!r}.")
    return found


def find_form_version(
    session: Session, project_id: int, xml_form_id: str, version: str | None
) -> tuple[Form | None, FormDef | None]:
    """The live form and its published definition with this version string, in one query.

    Either may be None (no such form; no such published version, or `version` is None).
    """
    if version is None:
        return find_form(session, project_id, xml_form_id), None
    wanted = "" if version == EMPTY_VERSION_TOKEN else version
    params = {"project_id": project_id, "xml_form_id": xml_form_id, "version": wanted}
    row = session.exec(_form_version_query(), params=params).first()
    return (row[0], row[1]) if row is not None else (None, None)


@cache
def _form_version_query() -> Any:
    # Built once: building the statement costs several times what running it does, and every
    # OpenRosa submission runs it. The XForm and its schema (tens of kB each) are loaded only
    # if read: load_schema knows the schema by row.
    published = (
        (col(FormDef.form_id) == Form.id)
        & (FormDef.version == bindparam("version"))
        & col(FormDef.published_at).is_not(None)
    )
    return (
        select(Form, FormDef)
        .outerjoin(FormDef, published)
        .where(
            Form.project_id == bindparam("project_id"),
            Form.xml_form_id == bindparam("xml_form_id"),
            col(Form.deleted_at).is_(None),
        )
        .options(defer(FormDef.xml), defer(FormDef.form_schema))  # type: ignore[arg-type]
    )


def list_versions(session: Session, form: Form) -> list[FormDef]:
    """Every published definition of the form, newest first."""
    return list(
        session.exec(
            select(FormDef)
            .where(FormDef.form_id == form.id, col(FormDef.published_at).is_not(None))
            .order_by(col(FormDef.published_at).desc(), col(FormDef.id).desc())
        )
    )


def list_forms(
    session: Session, project_id: int, *, include_drafts: bool, include_closed: bool
) -> list[FormView]:
    """The project's live forms by name; unpublished and closed ones only when asked for."""
    views = []
    forms = session.exec(
        select(Form).where(Form.project_id == project_id, col(Form.deleted_at).is_(None))
    )
    for form in forms:
        if form.current_def_id is None and not include_drafts:
            continue
        if form.state == "closed" and not include_closed:
            continue
        views.append(FormView(form, shown_definition(session, form)))
    views.sort(key=lambda v: ((v.definition and v.definition.name) or v.form.xml_form_id).lower())
    return views


def list_fillable_forms(
    session: Session, project_id: int, may_fill: Callable[[Form], bool]
) -> list[FormView]:
    """Forms a device may download: published, open (not closing or closed), and allowed by
    `may_fill` (the caller's policy check, e.g. an app user's form assignments)."""
    rows = session.exec(
        select(Form, FormDef)
        .join(FormDef, col(FormDef.id) == Form.current_def_id)
        .where(
            Form.project_id == project_id,
            Form.state == "open",
            col(Form.deleted_at).is_(None),
        )
    )
    views = [FormView(form, definition) for form, definition in rows if may_fill(form)]
    views.sort(key=lambda v: (v.definition and v.definition.name or v.form.xml_form_id).lower())
    return views


def load_schema(definition: FormDef) -> FormSchema:
    """The typed schema a definition was stored with."""
    # A stored definition's schema changes only with its XForm (and so its sha256): known by
    # row, its text (tens of kB) need not be loaded, nor hashed to find it in the cache below.
    row_key = (definition.id, definition.sha256)
    found = _schemas_by_row.get(row_key) if definition.id is not None else None
    if found is None:
        found = _schema_cached(definition.sha256, definition.form_schema)
        if definition.id is not None:
            if len(_schemas_by_row) >= 256:
                _schemas_by_row.clear()
            _schemas_by_row[row_key] = found
    return found


_schemas_by_row: dict[tuple[int | None, str], FormSchema] = {}


@lru_cache(maxsize=256)
def _schema_cached(_sha256: str, text: str) -> FormSchema:
    # Keyed by the XForm's sha256 too, so equal texts of different forms never mix.
    return schema_from_json(text)


def stored_warnings(definition: FormDef | None) -> dict[str, Any] | None:
    """The warnings accepted with ignoreWarnings=true when this definition was uploaded."""
    if definition is None or not definition.warnings_json:
        return None
    return json.loads(definition.warnings_json)  # type: ignore[no-any-return]


# ---------------------------------------------------------------------------------------------
# Changes


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
    xlsx_blob = (
        ensure_blob(session, prepared.original, prepared.original_type)
        if prepared.original else None
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
    if prepared.itemsets is not None:
        itemsets = ensure_blob(session, prepared.itemsets, "text/csv")
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
