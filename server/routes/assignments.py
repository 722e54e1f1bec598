"""Roles, project role assignments, site-wide admins and form assignments of app users."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from sqlmodel import Session

from server import errors
from server.auth.deps import CurrentPrincipal
from server.auth.principal import Principal
from server.errors import Problem
from server.http.deps import ReadUoW, WriteUoW
from server.policy import ADMIN, ROLE_VERBS, ROLES, find_role
from server.services import roles as role_service
from server.services.audit import record_audit, request_id_of

router = APIRouter(tags=["roles and assignments"])
PROJECT = "/v1/projects/{projectId}/assignments"
FORM = "/v1/projects/{projectId}/forms/{xmlFormId}/assignments"


@router.get("/v1/roles")
def list_roles() -> list[dict[str, Any]]:
    """Every role (ODK Central's shape; `aliases` are Central's system names we accept)."""
    return [
        {"id": r.id, "name": r.name, "system": r.system, "aliases": list(r.aliases),
         "createdAt": None, "updatedAt": None,
         "verbs": sorted(ROLE_VERBS.get(r.system, ())) if r.system != ADMIN else ["*"]}
        for r in ROLES
    ]


@router.post("/v1/assignments/{roleId}/{actorId}")
def grant_site_role(roleId: str, actorId: int, principal: CurrentPrincipal,  # noqa: N803
                    request: Request, uow: WriteUoW) -> dict[str, Any]:
    """Make a web user a site-wide admin (the only site-wide role)."""
    user = role_service.site_admin_target(uow.session, roleId, actorId)
    user.is_admin = True
    uow.session.add(user)
    _audit_role(request, uow.session, principal, "role.grant", actorId, {"role": ADMIN})
    uow.commit()
    return {"actorId": actorId, "roleId": 1}


@router.delete("/v1/assignments/{roleId}/{actorId}")
def revoke_site_role(roleId: str, actorId: int, principal: CurrentPrincipal,  # noqa: N803
                     request: Request, uow: WriteUoW) -> dict[str, bool]:
    user = role_service.site_admin_target(uow.session, roleId, actorId)
    if not user.is_admin:
        raise Problem(errors.NOT_FOUND, f"user {actorId} is not an admin")
    user.is_admin = False
    uow.session.add(user)
    _audit_role(request, uow.session, principal, "role.revoke", actorId, {"role": ADMIN})
    uow.commit()
    return {"success": True}


def _audit_role(request: Request, session: Session, principal: Principal, action: str,
                actor_id: int, details: dict[str, Any]) -> None:
    """A web user's role granted or revoked (site-wide or in a project), on the record."""
    record_audit(session, principal.actor_id, action, target=f"user:{actor_id}",
                 details=details, request_id=request_id_of(request))


def _audit_assignment(request: Request, session: Session, principal: Principal, action: str,
                      project_id: int, xml_form_id: str, actor_id: int) -> None:
    """An app user's form assignment created or deleted, on the record."""
    record_audit(session, principal.actor_id, action, target=f"form:{project_id}/{xml_form_id}",
                 details={"actorId": actor_id}, request_id=request_id_of(request))


@router.get(PROJECT)
def list_project_assignments(projectId: int, uow: ReadUoW) -> list[dict[str, Any]]:  # noqa: N803
    rows = role_service.project_assignments(uow.session, projectId)
    return [role_service.assignment_json(r.actor_id, r.role) for r in rows]


@router.get(PROJECT + "/{roleId}")
def list_role_holders(projectId: int, roleId: str, uow: ReadUoW) -> list[dict[str, Any]]:  # noqa: N803
    role = role_service.role_or_404(roleId)
    rows = role_service.project_assignments(uow.session, projectId, role)
    return [role_service.assignment_json(r.actor_id, r.role) for r in rows]


@router.post(PROJECT + "/{roleId}/{actorId}")
def assign_project_role(projectId: int, roleId: str, actorId: int,  # noqa: N803
                        principal: CurrentPrincipal, request: Request,
                        uow: WriteUoW) -> dict[str, Any]:
    """Give a web user a role here (manager, analyst/viewer, collector/formfill)."""
    role = role_service.role_or_404(roleId)
    role_service.assign_project_role(uow.session, projectId, actorId, role)
    _audit_role(request, uow.session, principal, "role.grant", actorId,
                {"projectId": projectId, "role": role.system})
    uow.commit()
    return role_service.assignment_json(actorId, role.system)


@router.delete(PROJECT + "/{roleId}/{actorId}")
def unassign_project_role(projectId: int, roleId: str, actorId: int,  # noqa: N803
                          principal: CurrentPrincipal, request: Request,
                          uow: WriteUoW) -> dict[str, bool]:
    role = role_service.role_or_404(roleId)
    role_service.unassign_project_role(uow.session, projectId, actorId, role)
    _audit_role(request, uow.session, principal, "role.revoke", actorId,
                {"projectId": projectId, "role": role.system})
    uow.commit()
    return {"success": True}


@router.get(FORM)
def list_form_assignments(projectId: int, xmlFormId: str,  # noqa: N803
                          uow: ReadUoW) -> list[dict[str, Any]]:
    rows = role_service.form_assignments(uow.session, projectId, xmlFormId)
    return [role_service.assignment_json(r.actor_id, r.role) for r in rows]


@router.get(FORM + "/{roleId}")
def list_form_role_holders(projectId: int, xmlFormId: str, roleId: str,  # noqa: N803
                           uow: ReadUoW) -> list[dict[str, Any]]:
    role = role_service.role_or_404(roleId)
    rows = role_service.form_assignments(uow.session, projectId, xmlFormId)
    return [role_service.assignment_json(r.actor_id, r.role) for r in rows if r.role == role.system]


@router.post(FORM + "/{roleId}/{actorId}")
def assign_form(projectId: int, xmlFormId: str, roleId: str, actorId: int,  # noqa: N803
                principal: CurrentPrincipal, request: Request, uow: WriteUoW) -> dict[str, Any]:
    """Let an app user see and fill this form (`roleId` is app-user or 2, as in ODK Central)."""
    role = role_service.role_or_404(roleId)
    role_service.assign_form(uow.session, projectId, xmlFormId, actorId, role)
    _audit_assignment(request, uow.session, principal, "form.assignment.create", projectId,
                      xmlFormId, actorId)
    uow.commit()
    # Central answers {"success": true}; pyodk reads that key.
    return role_service.assignment_json(actorId, role.system) | {"success": True}


@router.delete(FORM + "/{roleId}/{actorId}")
def unassign_form(projectId: int, xmlFormId: str, roleId: str, actorId: int,  # noqa: N803
                  principal: CurrentPrincipal, request: Request, uow: WriteUoW) -> dict[str, bool]:
    role = find_role(roleId)
    if role is None:
        raise Problem(errors.NOT_FOUND, f"no role {roleId!r}")
    role_service.unassign_form(uow.session, projectId, xmlFormId, actorId, role)
    _audit_assignment(request, uow.session, principal, "form.assignment.delete", projectId,
                      xmlFormId, actorId)
    uow.commit()
    return {"success": True}
