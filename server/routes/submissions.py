"""Submissions over ODK Central's REST API: list, read, create, edit, review, comments, files."""

from __future__ import annotations

from typing import Any
from urllib.parse import unquote

from fastapi import APIRouter, Request
from fastapi.responses import Response

from server import errors
from server.auth.deps import GrantedAccess
from server.errors import Problem
from server.http.body import json_object
from server.http.deps import ReadUoW, SettingsDep, WriteUoW
from server.policy import authorize_form
from server.policy_routes import register
from server.routes.form_access import blob_response, readable_form, readable_submission
from server.services import submission_views as views
from server.services import trash
from server.services.audit import record_audit, request_id_of
from server.services.scope import submission_scope
from server.services.submission_edits import edit_rest
from server.services.submissions import (
    IncomingFile,
    Sender,
    XmlLimits,
    current_definition_of,
    fill_attachments,
    receive_rest,
)
from server.storage import store_async_stream

router = APIRouter(tags=["submissions"])


BASE = "/v1/projects/{projectId}/forms/{xmlFormId}/submissions"


def _audit_sensitive(request: Request, session: Any, form: Any, action: str, target: str) -> None:
    # Reading a sensitive form's records is always on the record (incident reports).
    if form.sensitive:
        record_audit(
            session,
            request.state.principal.actor_id,
            action,
            target,
            request_id=request_id_of(request),
        )


def _read_record(
    request: Request, session: Any, access: Any, project_id: int, xml_form_id: str,
    instance_id: str,
) -> Any:
    """The caller's submission, its reading audited when the form is sensitive."""
    form, submission = readable_submission(session, access, project_id, xml_form_id, instance_id)
    _audit_sensitive(request, session, form, "submission.read", submission.instance_id)
    return submission


def _move_in_trash(
    request: Request, project_id: int, xml_form_id: str, instance_id: str, uow: Any,
    access: Any, *, restore: bool,
) -> dict[str, bool]:
    """Delete a live submission, or restore one from the trash, and commit."""
    _, submission = readable_submission(
        uow.session, access, project_id, xml_form_id, instance_id, deleted=restore
    )
    move = trash.restore_submission if restore else trash.delete_submission
    move(uow.session, submission, access.principal.actor_id, request_id_of(request))
    uow.commit()
    return {"success": True}


@router.get(BASE)
def list_submissions(
    projectId: int, xmlFormId: str, uow: ReadUoW, access: GrantedAccess, deleted: bool = False,
    lang: str | None = None,
) -> list[dict[str, Any]]:
    form = readable_form(uow.session, access, projectId, xmlFormId)
    if deleted:  # the trash is for those who may empty it
        authorize_form(uow.session, access, "submission.delete", form)
    rows = views.list_submissions(
        uow.session, form, visible=submission_scope(uow.session, access, form), deleted=deleted
    )
    return [views.submission_json(s, d, lang) for s, d in rows]


@router.post(BASE)
async def create_submission(
    request: Request, projectId: int, xmlFormId: str, uow: WriteUoW, settings: SettingsDep,
    deviceID: str | None = None,
) -> dict[str, Any]:
    xml = await request.body()
    sender = Sender(request.state.principal, deviceID, request.headers.get("user-agent"))
    receipt = receive_rest(uow.session, projectId, xmlFormId, xml, sender, XmlLimits.of(settings))
    uow.commit()
    return views.submission_json(receipt.submission, receipt.definition)


@router.get(BASE + "/{instanceId}.xml")
def submission_xml(
    request: Request,
    projectId: int,
    xmlFormId: str,
    instanceId: str,
    uow: WriteUoW,
    access: GrantedAccess,
) -> Response:
    submission = _read_record(request, uow.session, access, projectId, xmlFormId, instanceId)
    uow.commit()
    return Response(
        current_definition_of(uow.session, submission).xml, media_type="application/xml"
    )


@router.get(BASE + "/{instanceId}")
def get_one(
    request: Request,
    projectId: int,
    xmlFormId: str,
    instanceId: str,
    uow: WriteUoW,
    access: GrantedAccess,
    lang: str | None = None,
) -> dict[str, Any]:
    submission = _read_record(request, uow.session, access, projectId, xmlFormId, instanceId)
    uow.commit()
    current = current_definition_of(uow.session, submission)
    return views.submission_json(submission, current, lang)


@router.put(BASE + "/{instanceId}")
async def edit(
    request: Request,
    projectId: int,
    xmlFormId: str,
    instanceId: str,
    uow: WriteUoW,
    access: GrantedAccess,
    settings: SettingsDep,
) -> dict[str, Any]:
    xml = await request.body()
    form = readable_form(uow.session, access, projectId, xmlFormId)
    sender = Sender(request.state.principal, None, request.headers.get("user-agent"), access)
    receipt = edit_rest(uow.session, form, unquote(instanceId), xml, sender,
                        XmlLimits.of(settings))
    uow.commit()
    return views.submission_json(receipt.submission, receipt.definition)


@router.patch(BASE + "/{instanceId}")
async def review(
    request: Request,
    projectId: int,
    xmlFormId: str,
    instanceId: str,
    uow: WriteUoW,
    access: GrantedAccess,
) -> dict[str, Any]:
    body = await json_object(request)
    form, submission = readable_submission(uow.session, access, projectId, xmlFormId, instanceId)
    views.set_review_state(uow.session, submission, body)
    uow.commit()
    return views.submission_json(submission, current_definition_of(uow.session, submission))


@router.delete(BASE + "/{instanceId}")
def delete(
    request: Request, projectId: int, xmlFormId: str, instanceId: str, uow: WriteUoW,
    access: GrantedAccess,
) -> dict[str, bool]:
    return _move_in_trash(request, projectId, xmlFormId, instanceId, uow, access, restore=False)


@router.post(BASE + "/{instanceId}/restore")
def restore(
    request: Request, projectId: int, xmlFormId: str, instanceId: str, uow: WriteUoW,
    access: GrantedAccess,
) -> dict[str, bool]:
    return _move_in_trash(request, projectId, xmlFormId, instanceId, uow, access, restore=True)


@router.get(BASE + "/{instanceId}/versions")
def versions(
    request: Request, projectId: int, xmlFormId: str, instanceId: str, uow: WriteUoW,
    access: GrantedAccess,
) -> list[dict[str, Any]]:
    # Every version's XML leaves the server: as much a read as the current one's.
    submission = _read_record(request, uow.session, access, projectId, xmlFormId, instanceId)
    found = views.list_versions(uow.session, submission)
    uow.commit()
    return [views.version_json(d) | {"xml": d.xml.decode("utf-8", "replace")} for d in found]


@router.get(BASE + "/{instanceId}/attachments")
def attachments(
    projectId: int, xmlFormId: str, instanceId: str, uow: ReadUoW, access: GrantedAccess
) -> list[dict[str, Any]]:
    form, submission = readable_submission(uow.session, access, projectId, xmlFormId, instanceId)
    return views.attachment_list_json(uow.session, current_definition_of(uow.session, submission))


@router.get(BASE + "/{instanceId}/attachments/{name}")
def attachment(
    request: Request,
    settings: SettingsDep,
    projectId: int,
    xmlFormId: str,
    instanceId: str,
    name: str,
    uow: WriteUoW,
    access: GrantedAccess,
) -> Response:
    form, submission = readable_submission(uow.session, access, projectId, xmlFormId, instanceId)
    blob = views.attachment_file(uow.session, current_definition_of(uow.session, submission), name)
    _audit_sensitive(
        request, uow.session, form, "submission.attachment.read", f"{submission.instance_id}/{name}"
    )
    uow.commit()
    return blob_response(
        request, settings, blob, name, blob.content_type or "application/octet-stream"
    )


@router.post(BASE + "/{instanceId}/attachments/{name}")
async def upload_attachment(
    request: Request,
    settings: SettingsDep,
    projectId: int,
    xmlFormId: str,
    instanceId: str,
    name: str,
    uow: WriteUoW,
    access: GrantedAccess,
) -> dict[str, bool]:
    stored = await store_async_stream(settings.data_dir, request.stream())
    form, submission = readable_submission(uow.session, access, projectId, xmlFormId, instanceId)
    incoming = IncomingFile(name, stored, request.headers.get("content-type"))
    if not fill_attachments(
        uow.session, current_definition_of(uow.session, submission), {name: incoming}
    ):
        raise Problem(errors.NOT_FOUND, f"The submission references no file named {name!r}.")
    uow.commit()
    return {"success": True}


@router.get(BASE + "/{instanceId}/comments")
def comments(
    projectId: int, xmlFormId: str, instanceId: str, uow: ReadUoW, access: GrantedAccess
) -> list[dict[str, Any]]:
    _, submission = readable_submission(uow.session, access, projectId, xmlFormId, instanceId)
    return views.list_comments(uow.session, submission)


@router.post(BASE + "/{instanceId}/comments")
async def comment(
    request: Request,
    projectId: int,
    xmlFormId: str,
    instanceId: str,
    uow: WriteUoW,
    access: GrantedAccess,
) -> dict[str, Any]:
    body = await json_object(request)
    form, submission = readable_submission(uow.session, access, projectId, xmlFormId, instanceId)
    created = views.add_comment(
        uow.session, submission, request.state.principal.actor_id, body.get("body")
    )
    uow.commit()
    return views.comment_json(created)


register(
    {
        ("GET", BASE): "submission.list",
        ("POST", BASE): "submission.create",
        ("GET", BASE + "/{instanceId}.xml"): "submission.read",
        ("GET", BASE + "/{instanceId}"): "submission.read",
        ("PUT", BASE + "/{instanceId}"): "submission.update",
        ("PATCH", BASE + "/{instanceId}"): "submission.review",
        ("DELETE", BASE + "/{instanceId}"): "submission.delete",
        ("POST", BASE + "/{instanceId}/restore"): "submission.delete",
        ("GET", BASE + "/{instanceId}/versions"): "submission.read",
        ("GET", BASE + "/{instanceId}/attachments"): "submission.read",
        ("GET", BASE + "/{instanceId}/attachments/{name}"): "submission.read",
        # As ODK Central: replacing a stored submission's file is an update, for managers.
        ("POST", BASE + "/{instanceId}/attachments/{name}"): "submission.update",
        ("GET", BASE + "/{instanceId}/comments"): "submission.read",
        ("POST", BASE + "/{instanceId}/comments"): "submission.review",
    }
)
