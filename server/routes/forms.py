"""ODK Central's form routes: create (XLSForm or XForm), list, read, state, delete, versions."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Body, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response
from sqlalchemy.engine import Engine

from server import errors
from server.auth.deps import GrantedAccess
from server.db import UnitOfWork
from server.errors import Problem
from server.http.deps import EngineDep, ReadUoW, SettingsDep, WriteUoW
from server.models.base import iso
from server.policy import Access, authorize, may_manage_forms, sees_closed_forms
from server.policy_routes import register
from server.routes.form_access import (
    KEY_PREFIX,
    V1,
    audit_form,
    check_readable,
    is_true,
    read_upload,
    readable_form,
)
from server.routes.form_definitions import add_definition_routes, current_view, version_view
from server.routes.form_json import (
    form_json,
    json_response,
    versions_json,
    view_json,
    wants_extended,
)
from server.services import form_lifecycle
from server.services import forms as form_service
from server.services.audit import FORM_PUBLISH, request_id_of
from server.services.form_upload import PreparedDefinition, prepare_definition

router = APIRouter(prefix=V1, tags=["forms"])
# ODK Collect configured with an app user's key URL downloads forms and media under it.
device_router = APIRouter(prefix=KEY_PREFIX, tags=["forms"])
FORMS = "/projects/{projectId}/forms"
FORM = FORMS + "/{xmlFormId}"


@router.get(FORMS, response_model=None)
def list_forms(
    projectId: int, request: Request, uow: ReadUoW, access: GrantedAccess,  # noqa: N803
    deleted: bool = False,
) -> Response:
    """Forms of the project; drafts only for managers, closed forms not for data collectors;
    with `deleted=true`, the trash (for those who may delete forms)."""
    if deleted:
        authorize(uow.session, access.principal, "form.delete", projectId)
        return json_response([
            {"id": f.id, **form_json(f, form_service.shown_definition(uow.session, f)),
             "deletedAt": iso(f.deleted_at)}
            for f in form_lifecycle.deleted_forms(uow.session, projectId)
        ])
    views = form_service.list_forms(
        uow.session, projectId,
        include_drafts=may_manage_forms(access), include_closed=sees_closed_forms(access),
    )
    extended = wants_extended(request.headers.get("x-extended-metadata"))
    return json_response([view_json(uow.session, access, v, extended=extended) for v in views])


@router.post(FORMS, response_model=None)
async def create_form(
    projectId: int,  # noqa: N803
    request: Request,
    settings: SettingsDep,
    engine: EngineDep,
    access: GrantedAccess,
    publish: str | None = None,
    ignoreWarnings: str | None = None,  # noqa: N803
) -> Response:
    """Upload a new form (XLSForm or XForm body); it is a draft unless ?publish=true."""
    upload = await read_upload(request)
    if upload is None:
        raise Problem(errors.REQUEST_INVALID, "The request has no form definition in its body.")
    # Conversion takes the most time, so it runs before the write transaction begins.
    prepared = await run_in_threadpool(prepare_definition, settings, upload)
    data = await run_in_threadpool(
        _create_in_transaction, engine, projectId, prepared, access,
        is_true(publish), is_true(ignoreWarnings), request_id_of(request),
    )
    return json_response(data)


def _create_in_transaction(
    engine: Engine, project_id: int, prepared: PreparedDefinition, access: Access,
    publish: bool, ignore_warnings: bool, request_id: str | None,
) -> dict[str, Any]:
    uow = UnitOfWork(engine, write=True)
    try:
        session = uow.session
        project = form_service.get_project(session, project_id)
        actor = access.principal.actor_id
        view = form_lifecycle.create_form(
            session, project, prepared, actor_id=actor, publish=publish,
            ignore_warnings=ignore_warnings,
        )
        form = view.form
        audit_form(session, access, "form.create", form.project_id, form.xml_form_id,
                   request_id=request_id)
        if publish:
            # As Central writes it (and as the draft publication does): the new definition's id.
            audit_form(session, access, FORM_PUBLISH, form.project_id,
                       form.xml_form_id, {"newDefId": view.definition.id}, request_id)
        uow.commit()
        return form_json(view.form, view.definition)
    finally:
        uow.close()


@router.patch(FORM, response_model=None)
def update_form(
    projectId: int, xmlFormId: str, request: Request, uow: WriteUoW,  # noqa: N803
    access: GrantedAccess, body: dict[str, Any] = Body(...),  # noqa: B008
) -> Response:
    """Change the form's state: open, closing or closed."""
    form = form_service.get_form(uow.session, projectId, xmlFormId)
    if "state" in body:
        form_lifecycle.set_state(uow.session, form, body["state"])
    audit_form(uow.session, access, "form.update", projectId, xmlFormId,
               {"data": {"state": body.get("state")}}, request_id_of(request))
    uow.commit()
    return json_response(form_json(form, form_service.shown_definition(uow.session, form)))


@router.delete(FORM, response_model=None)
def delete_form(
    projectId: int, xmlFormId: str, request: Request, uow: WriteUoW,  # noqa: N803
    access: GrantedAccess,
) -> Response:
    """Soft-delete the form."""
    form = form_service.get_form(uow.session, projectId, xmlFormId)
    form_lifecycle.delete_form(uow.session, form)
    audit_form(uow.session, access, "form.delete", projectId, xmlFormId,
               request_id=request_id_of(request))
    uow.commit()
    return json_response({"success": True})


@router.post(FORMS + "/{formId}/restore", response_model=None)
def restore_form(
    projectId: int, formId: str, request: Request, uow: WriteUoW,  # noqa: N803
    access: GrantedAccess,
) -> Response:
    """Take a deleted form out of the trash by its numeric id (as listed by ?deleted=true)."""
    if not formId.isdigit():
        raise Problem(errors.REQUEST_INVALID, "A form is restored by its numeric id.")
    form = form_lifecycle.restore_form(uow.session, projectId, int(formId))
    audit_form(uow.session, access, "form.restore", projectId, form.xml_form_id,
               request_id=request_id_of(request))
    uow.commit()
    return json_response({"success": True})


@router.get(FORM + "/versions", response_model=None)
def list_versions(
    projectId: int, xmlFormId: str, request: Request, uow: ReadUoW,  # noqa: N803
    access: GrantedAccess,
) -> Response:
    """Every published version of the form, newest first."""
    form = readable_form(uow.session, access, projectId, xmlFormId)
    extended = wants_extended(request.headers.get("x-extended-metadata"))
    versions = form_service.list_versions(uow.session, form)
    for definition in versions:
        check_readable(access, form, definition)
    return json_response(versions_json(uow.session, access, form, versions, extended=extended))


# Read-only routes of the form (through its published definition) and of each version.
# They come after the routes above, and ".xml" before the bare path, so that "{xmlFormId}"
# never swallows a ".xml" suffix.
_CURRENT_PATHS = add_definition_routes(router, FORM, current_view)
_VERSION_PATHS = add_definition_routes(router, FORM + "/versions/{version}", version_view)
_DEVICE_PATHS = add_definition_routes(device_router, FORM, current_view)

register({
    ("GET", V1 + FORMS): "form.list",
    ("POST", V1 + FORMS): "form.create",
    ("PATCH", V1 + FORM): "form.update",
    ("DELETE", V1 + FORM): "form.delete",
    ("POST", V1 + FORMS + "/{formId}/restore"): "form.delete",
    ("GET", V1 + FORM + "/versions"): "form.read",
    **{("GET", V1 + path): "form.read" for path in _CURRENT_PATHS + _VERSION_PATHS},
    **{("GET", KEY_PREFIX + path): "form.read" for path in _DEVICE_PATHS},
})
