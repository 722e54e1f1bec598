"""App users of a project: create (with a key), list, delete (revokes the key), provisioning QR."""

from __future__ import annotations

import base64
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from pydantic import BaseModel, Field

from server import errors
from server.auth.deps import GrantedAccess
from server.errors import Problem
from server.http.deps import ReadUoW, SettingsDep, WriteUoW
from server.services import app_users as app_user_service
from server.services.audit import record_audit, request_id_of
from server.services.projects import get_project

router = APIRouter(prefix="/v1/projects/{projectId}/app-users", tags=["app users"])


class NewAppUser(BaseModel):
    display_name: str = Field(alias="displayName")


@router.get("")
def list_app_users(projectId: int, uow: ReadUoW) -> list[dict[str, Any]]:  # noqa: N803
    """The project's app users with their keys (only managers and admins reach this route)."""
    return [
        app_user_service.app_user_json(actor, app_user, key, show_token=True)
        for actor, app_user, key in app_user_service.list_app_users(uow.session, projectId)
    ]


@router.post("")
def create_app_user(projectId: int, body: NewAppUser, access: GrantedAccess,  # noqa: N803
                    request: Request, uow: WriteUoW) -> dict[str, Any]:
    actor, app_user, key = app_user_service.create_app_user(
        uow.session, projectId, body.display_name, access.principal.actor_id
    )
    # The key itself never goes into the audit log.
    record_audit(uow.session, access.principal.actor_id, "app-user.create",
                 target=f"app-user:{actor.id}", details={"projectId": projectId},
                 request_id=request_id_of(request))
    uow.commit()
    return app_user_service.app_user_json(actor, app_user, key.token, show_token=True)


@router.delete("/{appUserId}")
def delete_app_user(projectId: int, appUserId: int, access: GrantedAccess,  # noqa: N803
                    request: Request, uow: WriteUoW) -> dict[str, bool]:
    actor, _app_user = app_user_service.get_app_user(uow.session, projectId, appUserId)
    app_user_service.delete_app_user(uow.session, actor)
    record_audit(uow.session, access.principal.actor_id, "app-user.revoke",
                 target=f"app-user:{appUserId}", details={"deleted": True},
                 request_id=request_id_of(request))
    uow.commit()
    return {"success": True}


@router.get("/{appUserId}/qr", response_model=None)
def provisioning_qr(projectId: int, appUserId: int, settings: SettingsDep,  # noqa: N803
                    uow: ReadUoW, format: str = "json") -> dict[str, Any] | Response:
    """ODK Collect's provisioning code: JSON {payload, settings, png (base64)}, or ?format=png."""
    project = get_project(uow.session, projectId)
    actor, _app_user = app_user_service.get_app_user(uow.session, projectId, appUserId)
    key = app_user_service.live_key(uow.session, appUserId)
    if key is None:
        raise Problem(errors.NOT_FOUND, "this app user's key was revoked")
    collect = app_user_service.collect_settings(settings.public_url, project, key)
    payload = app_user_service.qr_payload(collect)
    png = app_user_service.qr_png(payload)
    if format == "png":
        return Response(png, media_type="image/png", headers={"Cache-Control": "no-store"})
    return {"payload": payload, "settings": collect,
            "png": base64.b64encode(png).decode(), "appUserId": actor.id}
