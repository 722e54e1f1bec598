"""ODK Central's JSON for forms and versions (pyodk needs these keys, present even when null)."""

from __future__ import annotations

from typing import Any

from fastapi.responses import JSONResponse
from sqlmodel import Session

from server.models import Actor, Form, FormDef
from server.models.base import iso
from server.policy import Access
from server.services import forms as form_service
from server.services.forms import FormView
from server.services.scope import submission_scope
from server.services.submission_views import submission_stats

EXTENDED_HEADER = "x-extended-metadata"


def form_json(form: Form, definition: FormDef | None) -> dict[str, Any]:
    """A form described through one of its definitions (current, draft, or a version)."""
    is_draft = definition is not None and definition.id == form.draft_def_id
    schema = form_service.load_schema(definition) if definition is not None else None
    return {
        "projectId": form.project_id,
        "xmlFormId": form.xml_form_id,
        "name": definition.name if definition else None,
        "version": definition.version if definition else None,
        "enketoId": definition.enketo_id if definition and is_draft else None,
        "enketoOnceId": None,
        "hash": definition.hash if definition else None,
        "sha": definition.sha if definition else None,
        "sha256": definition.sha256 if definition else None,
        "draftToken": definition.draft_token if definition and is_draft else None,
        "keyId": definition.key_id if definition else None,
        "state": form.state,
        "createdAt": iso(form.created_at),
        "updatedAt": iso(form.updated_at),
        "publishedAt": iso(definition.published_at) if definition else None,
        "webformsEnabled": False,
        "sensitive": form.sensitive,
        "entityRelated": bool(schema and schema.entity),
        "warnings": form_service.stored_warnings(definition),
    }


def actor_json(actor: Actor | None) -> dict[str, Any] | None:
    """ODK Central's Actor shape (id, type, displayName and the three timestamps)."""
    if actor is None:
        return None
    return {
        "id": actor.id, "type": actor.type, "displayName": actor.display_name,
        "createdAt": iso(actor.created_at), "updatedAt": iso(actor.updated_at),
        "deletedAt": iso(actor.deleted_at),
    }


def form_stats(session: Session, access: Access, form: Form) -> dict[str, Any]:
    """The per-form part of the extended metadata: submission counts and the newest
    submission, of the records the caller may see."""
    return submission_stats(session, form, submission_scope(session, access, form))


def extended_json(
    session: Session, access: Access, form: Form, definition: FormDef | None,
    stats: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """form_json plus ODK Central's extended metadata (X-Extended-Metadata: true); the
    submission counts are of the records the caller may see (`stats`, when already computed
    for this form and caller)."""
    data = form_json(form, definition)
    data.update(form_stats(session, access, form) if stats is None else stats)
    data["excelContentType"] = definition.xlsx_content_type if definition else None
    data["publicLinks"] = 0
    data["createdBy"] = actor_json(form_service.form_creator(session, form))
    return data


def view_json(
    session: Session, access: Access, view: FormView, *, extended: bool = False
) -> dict[str, Any]:
    """A FormView as JSON, extended when the client asked for it."""
    if extended:
        return extended_json(session, access, view.form, view.definition)
    return form_json(view.form, view.definition)


def versions_json(
    session: Session, access: Access, form: Form, versions: list[FormDef], *, extended: bool
) -> list[dict[str, Any]]:
    """Published versions of a form as JSON. Extended, each is ODK Central's extended version
    (excelContentType, and the actor who published it as publishedBy, or null when the audit
    log does not say) plus what the extended read of that version gives: the form's submission
    stats, computed once for all of them."""
    if not extended:
        return [form_json(form, definition) for definition in versions]
    stats = form_stats(session, access, form)
    publishers = form_service.version_publishers(session, form)
    return [
        extended_json(session, access, form, definition, stats)
        | {"publishedBy": actor_json(publishers.get(definition.id or 0))}
        for definition in versions
    ]


def json_response(data: Any, status_code: int = 200) -> JSONResponse:
    """A JSON response (the body is built after the commit, from loaded rows)."""
    return JSONResponse(data, status_code=status_code)


def wants_extended(header: str | None) -> bool:
    """ODK Central's X-Extended-Metadata: true."""
    return (header or "").strip().lower() == "true"
