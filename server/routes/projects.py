"""Projects (ODK Central's shape), their record scope setting and personal-data grants."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from pydantic import BaseModel

from server.auth.deps import CurrentPrincipal, GrantedAccess
from server.http.deps import ReadUoW, WriteUoW
from server.services import projects as project_service
from server.services import roles as role_service
from server.services.audit import record_audit, request_id_of
from server.services.scope import project_scope_setting

router = APIRouter(prefix="/v1/projects", tags=["projects"])


class NewProject(BaseModel):
    name: str
    description: str | None = None


class ProjectChanges(BaseModel):
    name: str | None = None
    description: str | None = None
    archived: bool | None = None


class ScopeSetting(BaseModel):
    mode: str
    field: str | None = None


class ScopeValues(BaseModel):
    values: list[str]


@router.get("")
def list_projects(principal: CurrentPrincipal, uow: ReadUoW) -> list[dict[str, Any]]:
    """The projects the principal has a role in (every project for admins)."""
    return [project_service.project_json(p)
            for p in project_service.visible_projects(uow.session, principal)]


@router.post("")
def create_project(body: NewProject, principal: CurrentPrincipal, request: Request,
                   uow: WriteUoW) -> dict[str, Any]:
    project = project_service.create_project(uow.session, body.name, body.description)
    record_audit(uow.session, principal.actor_id, "project.create", target=f"project:{project.id}",
                 request_id=request_id_of(request))
    uow.commit()
    return project_service.project_json(project)


@router.get("/{projectId}")
def get_project(projectId: int, uow: ReadUoW) -> dict[str, Any]:  # noqa: N803 (Central's name)
    return project_service.project_json(project_service.get_project(uow.session, projectId))


@router.patch("/{projectId}")
def update_project(projectId: int, body: ProjectChanges, access: GrantedAccess,  # noqa: N803
                   request: Request, uow: WriteUoW) -> dict[str, Any]:
    project = project_service.get_project(uow.session, projectId)
    changes = body.model_dump(exclude_unset=True)
    project_service.update_project(uow.session, project, changes)
    record_audit(uow.session, access.principal.actor_id, "project.update",
                 target=f"project:{projectId}", details=changes, request_id=request_id_of(request))
    uow.commit()
    return project_service.project_json(project)


@router.delete("/{projectId}")
def delete_project(projectId: int, access: GrantedAccess, request: Request,  # noqa: N803
                   uow: WriteUoW) -> dict[str, bool]:
    project = project_service.get_project(uow.session, projectId)
    project_service.delete_project(uow.session, project)
    record_audit(uow.session, access.principal.actor_id, "project.delete",
                 target=f"project:{projectId}", request_id=request_id_of(request))
    uow.commit()
    return {"success": True}


@router.get("/{projectId}/scope")
def get_scope(projectId: int, uow: ReadUoW) -> dict[str, Any]:  # noqa: N803
    """The project's record scope for collectors and app users."""
    mode, field = project_scope_setting(uow.session, projectId)
    return {"mode": mode, "field": field}


@router.put("/{projectId}/scope")
def set_scope(projectId: int, body: ScopeSetting, access: GrantedAccess,  # noqa: N803
              request: Request, uow: WriteUoW) -> dict[str, Any]:
    row = role_service.set_project_scope(uow.session, projectId, body.mode, body.field)
    record_audit(uow.session, access.principal.actor_id, "project.scope",
                 target=f"project:{projectId}", details={"mode": row.mode, "field": row.field},
                 request_id=request_id_of(request))
    uow.commit()
    return {"mode": row.mode, "field": row.field}


@router.put("/{projectId}/scopes/{actorId}")
def set_actor_scope(projectId: int, actorId: int, body: ScopeValues,  # noqa: N803
                    access: GrantedAccess, request: Request, uow: WriteUoW) -> dict[str, Any]:
    """The location values (e.g. ayil aimaks) one collector or app user may see."""
    row = role_service.set_actor_scope(uow.session, projectId, actorId, body.values)
    record_audit(uow.session, access.principal.actor_id, "scope.set", target=f"actor:{actorId}",
                 details={"projectId": projectId, "values": row.scope_values},
                 request_id=request_id_of(request))
    uow.commit()
    return {"actorId": actorId, "values": row.scope_values}


@router.post("/{projectId}/personal-data-access/{actorId}")
def grant_personal_data(projectId: int, actorId: int, access: GrantedAccess,  # noqa: N803
                        request: Request, uow: WriteUoW) -> dict[str, bool]:
    """Let an analyst see personal data of this project's sensitive forms."""
    role_service.grant_personal_data(uow.session, projectId, actorId, access.principal.actor_id)
    record_audit(uow.session, access.principal.actor_id, "personal_data.grant",
                 target=f"actor:{actorId}", details={"projectId": projectId},
                 request_id=request_id_of(request))
    uow.commit()
    return {"success": True}


@router.delete("/{projectId}/personal-data-access/{actorId}")
def revoke_personal_data(projectId: int, actorId: int, access: GrantedAccess,  # noqa: N803
                         request: Request, uow: WriteUoW) -> dict[str, bool]:
    role_service.revoke_personal_data(uow.session, projectId, actorId)
    record_audit(uow.session, access.principal.actor_id, "personal_data.revoke",
                 target=f"actor:{actorId}", details={"projectId": projectId},
                 request_id=request_id_of(request))
    uow.commit()
    return {"success": True}
