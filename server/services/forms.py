"""Form lookups: projects, forms, their drafts and published versions, and stored schemas.

The writes (create, draft, publish, state, delete) live in server.services.form_lifecycle.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from sqlalchemy import bindparam
from sqlalchemy import select as core_select
from sqlmodel import Session, col, select

from forms.schema import FormSchema
from forms.schema_json import schema_from_json
from server import errors
from server.driver_sql import DriverStatement, attached, compiled_for
from server.errors import Problem
from server.models import Actor, Audit, Form, FormDef, Project
from server.services.audit import FORM_PUBLISH, form_target

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
    # Run by the driver (server/driver_sql.py): every pushed batch looks its forms up, and
    # through the ORM the lookup cost several times what the statement does.
    row = compiled_for(_FIND_FORM, _find_form_statement, session).first(
        session, {"project_id": project_id, "xml_form_id": xml_form_id}
    )
    if row is None:
        return None
    return attached(session, Form, dict(zip(_FORM_COLUMNS, row, strict=True)))


_FIND_FORM: dict[str, DriverStatement] = {}
_FORM_COLUMNS = [c.key for c in Form.__table__.columns]  # type: ignore[attr-defined]


def _find_form_statement(_dialect: str) -> Any:
    c = Form.__table__.c  # type: ignore[attr-defined]
    return core_select(*(c[name] for name in _FORM_COLUMNS)).where(
        c.project_id == bindparam("project_id", type_=c.project_id.type),
        c.xml_form_id == bindparam("xml_form_id", type_=c.xml_form_id.type),
        c.deleted_at.is_(None),
    )


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


def list_versions(session: Session, form: Form) -> list[FormDef]:
    """Every published definition of the form, newest first."""
    return list(
        session.exec(
            select(FormDef)
            .where(FormDef.form_id == form.id, col(FormDef.published_at).is_not(None))
            .order_by(col(FormDef.published_at).desc(), col(FormDef.id).desc())
        )
    )


def form_creator(session: Session, form: Form) -> Actor | None:
    """The actor who created the form (ODK Central's createdBy), if it is still stored."""
    return session.get(Actor, form.created_by) if form.created_by is not None else None


def version_publishers(session: Session, form: Form) -> dict[int, Actor]:
    """Who published each version (definition id -> actor), from the audit log in one query,
    as ODK Central reads it: a publication's row names the new definition (newDefId). Rows
    written before 2026-11-30 for a publication at creation name none: those versions show
    no publisher."""
    target = form_target(form.project_id, form.xml_form_id)
    rows = session.exec(
        select(Audit.details, Actor)
        .join(Actor, col(Actor.id) == col(Audit.actor_id))
        .where(Audit.action == FORM_PUBLISH, Audit.target == target)
        .order_by(col(Audit.logged_at), col(Audit.id))
    ).all()
    publishers: dict[int, Actor] = {}
    for details, actor in rows:
        def_id = (details or {}).get("newDefId")
        if isinstance(def_id, int):
            publishers[def_id] = actor
    return publishers


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


def schema_known(definition: FormDef) -> bool:
    """Whether load_schema knows this definition's schema without reading its row."""
    return (definition.id, definition.sha256) in _schemas_by_row


@lru_cache(maxsize=256)
def _schema_cached(_sha256: str, text: str) -> FormSchema:
    # Keyed by the XForm's sha256 too, so equal texts of different forms never mix.
    return schema_from_json(text)


def stored_warnings(definition: FormDef | None) -> dict[str, Any] | None:
    """The warnings accepted with ignoreWarnings=true when this definition was uploaded."""
    if definition is None or not definition.warnings_json:
        return None
    return json.loads(definition.warnings_json)  # type: ignore[no-any-return]
