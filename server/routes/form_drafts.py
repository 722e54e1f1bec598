"""ODK Central's draft routes: new draft (definition or copy), publish, delete, draft media."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response
from sqlalchemy.engine import Engine

from server import errors
from server.auth.deps import GrantedAccess
from server.db import UnitOfWork
from server.errors import Problem
from server.http.deps import EngineDep, SettingsDep, WriteUoW
from server.policy import Access
from server.policy_routes import register
from server.routes.form_access import V1, audit_form, is_true, read_upload
from server.routes.form_definitions import add_definition_routes, draft_view
from server.routes.form_json import json_response
from server.services import form_lifecycle, form_media
from server.services import forms as form_service
from server.services.audit import FORM_PUBLISH, request_id_of
from server.services.blobs import ensure_blob
from server.services.form_upload import PreparedDefinition, prepare_definition
from server.storage import BlobTooLarge, StoredBlob, store_async_stream

router = APIRouter(prefix=V1, tags=["form drafts"])
FORM = "/projects/{projectId}/forms/{xmlFormId}"
DRAFT = FORM + "/draft"
SUCCESS = {"success": True}


@router.post(DRAFT, response_model=None)
async def create_draft(
    projectId: int, xmlFormId: str, request: Request,  # noqa: N803
    settings: SettingsDep, engine: EngineDep, access: GrantedAccess,
    ignoreWarnings: str | None = None,  # noqa: N803
) -> Response:
    """A new draft from the body's definition; an empty body copies the published version."""
    upload = await read_upload(request)
    prepared = None
    if upload is not None:
        prepared = await run_in_threadpool(prepare_definition, settings, upload)
    await run_in_threadpool(
        _draft_in_transaction, engine, projectId, xmlFormId, prepared, access,
        is_true(ignoreWarnings), request_id_of(request),
    )
    return json_response(SUCCESS)


def _draft_in_transaction(
    engine: Engine, project_id: int, xml_form_id: str, prepared: PreparedDefinition | None,
    access: Access, ignore_warnings: bool, request_id: str | None,
) -> None:
    uow = UnitOfWork(engine, write=True)
    try:
        form = form_service.get_form(uow.session, project_id, xml_form_id)
        draft = form_lifecycle.create_draft(
            uow.session, form, prepared, ignore_warnings=ignore_warnings
        )
        audit_form(uow.session, access, "form.update.draft.set", project_id, xml_form_id,
                   {"newDraftDefId": draft.id}, request_id)
        uow.commit()
    finally:
        uow.close()


@router.post(DRAFT + "/publish", response_model=None)
def publish_draft(
    projectId: int, xmlFormId: str, request: Request, uow: WriteUoW,  # noqa: N803
    access: GrantedAccess, version: str | None = None,
) -> Response:
    """Publish the draft, optionally setting its version (the stored XForm is rewritten)."""
    form = form_service.get_form(uow.session, projectId, xmlFormId)
    definition = form_lifecycle.publish_draft(uow.session, form, version or None)
    audit_form(uow.session, access, FORM_PUBLISH, projectId, xmlFormId,
               {"newDefId": definition.id, "version": definition.version}, request_id_of(request))
    uow.commit()
    return json_response(SUCCESS)


@router.delete(DRAFT, response_model=None)
def delete_draft(
    projectId: int, xmlFormId: str, request: Request, uow: WriteUoW,  # noqa: N803
    access: GrantedAccess,
) -> Response:
    """Abandon the draft of a published form."""
    form = form_service.get_form(uow.session, projectId, xmlFormId)
    form_lifecycle.delete_draft(uow.session, form)
    audit_form(uow.session, access, "form.update.draft.delete", projectId, xmlFormId,
               request_id=request_id_of(request))
    uow.commit()
    return json_response(SUCCESS)


@router.post(DRAFT + "/attachments/{name}", response_model=None)
async def upload_attachment(
    projectId: int, xmlFormId: str, name: str, request: Request,  # noqa: N803
    settings: SettingsDep, engine: EngineDep, access: GrantedAccess,
) -> Response:
    """Fill a file the draft declares; the body is streamed to disk, never held in memory."""
    # Refuse undeclared names before reading a byte of the body.
    await run_in_threadpool(_declared_slot, engine, projectId, xmlFormId, name)
    try:
        stored = await store_async_stream(
            settings.data_dir, request.stream(), max_bytes=settings.max_body_bytes
        )
    except BlobTooLarge as exc:
        raise Problem(errors.REQUEST_TOO_LARGE, str(exc)) from exc
    content_type = request.headers.get("content-type")
    data = await run_in_threadpool(
        _fill_in_transaction, engine, projectId, xmlFormId, name, stored, content_type, access,
        request_id_of(request),
    )
    return json_response(data)


def _declared_slot(engine: Engine, project_id: int, xml_form_id: str, name: str) -> None:
    uow = UnitOfWork(engine, write=False)
    try:
        form = form_service.get_form(uow.session, project_id, xml_form_id)
        draft = form_service.get_draft(uow.session, form)
        assert draft.id is not None
        form_media.get_attachment(uow.session, draft.id, name)
    finally:
        uow.close()


def _fill_in_transaction(
    engine: Engine, project_id: int, xml_form_id: str, name: str, stored: StoredBlob,
    content_type: str | None, access: Access, request_id: str | None,
) -> dict[str, Any]:
    uow = UnitOfWork(engine, write=True)
    try:
        session = uow.session
        form = form_service.get_form(session, project_id, xml_form_id)
        draft = form_service.get_draft(session, form)
        assert draft.id is not None
        attachment = form_media.get_attachment(session, draft.id, name)
        blob = ensure_blob(session, stored, content_type)
        form_media.fill_attachment(session, attachment, blob, content_type)
        audit_form(session, access, "form.attachment.update", project_id, xml_form_id,
                   {"name": name, "sha256": blob.sha256}, request_id)
        uow.commit()
        return form_media.attachment_json(attachment, blob)
    finally:
        uow.close()


@router.delete(DRAFT + "/attachments/{name}", response_model=None)
def clear_attachment(
    projectId: int, xmlFormId: str, name: str, request: Request,  # noqa: N803
    uow: WriteUoW, access: GrantedAccess,
) -> Response:
    """Empty a file slot of the draft."""
    form = form_service.get_form(uow.session, projectId, xmlFormId)
    draft = form_service.get_draft(uow.session, form)
    assert draft.id is not None
    attachment = form_media.get_attachment(uow.session, draft.id, name)
    form_media.clear_attachment(uow.session, attachment)
    audit_form(uow.session, access, "form.attachment.update", projectId, xmlFormId,
               {"name": name, "sha256": None}, request_id_of(request))
    uow.commit()
    return json_response(SUCCESS)


_DRAFT_READ_PATHS = add_definition_routes(router, DRAFT, draft_view)

register({
    ("POST", V1 + DRAFT): "form.update",
    ("DELETE", V1 + DRAFT): "form.update",
    ("POST", V1 + DRAFT + "/publish"): "form.update",
    ("POST", V1 + DRAFT + "/attachments/{name}"): "form.update",
    ("DELETE", V1 + DRAFT + "/attachments/{name}"): "form.update",
    # Reading a draft is a manager's business: the routes check form.update themselves.
    **{("GET", V1 + path): "form.read" for path in _DRAFT_READ_PATHS},
})
