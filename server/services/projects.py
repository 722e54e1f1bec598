"""Projects: the unit of access. ODK Central's JSON shape; deleting is a soft delete."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session, col, select

from server import errors
from server.auth.principal import Principal
from server.errors import Problem
from server.models import AppUser, Project, ProjectRole
from server.models.base import iso, utcnow


def project_json(project: Project) -> dict[str, Any]:
    return {
        "id": project.id, "name": project.name, "description": project.description,
        "archived": project.archived, "keyId": project.key_id,
        "createdAt": iso(project.created_at), "updatedAt": iso(project.updated_at),
        "deletedAt": iso(project.deleted_at),
    }


def visible_projects(session: Session, principal: Principal) -> list[Project]:
    """Live projects the principal may know about: all for admins, else those with a role."""
    query = select(Project).where(col(Project.deleted_at).is_(None)).order_by(col(Project.name))
    if principal.kind == "app_user":
        query = query.where(Project.id == principal.project_id)
    elif not principal.is_admin:
        mine = select(ProjectRole.project_id).where(ProjectRole.actor_id == principal.actor_id)
        query = query.where(col(Project.id).in_(mine))
    return list(session.exec(query))


def get_project(session: Session, project_id: int) -> Project:
    """A live project, or 404."""
    project = session.get(Project, project_id)
    if project is None or project.deleted_at is not None:
        raise Problem(errors.NOT_FOUND, f"project {project_id} not found")
    return project


def create_project(session: Session, name: str, description: str | None = None) -> Project:
    name = name.strip()
    if not name:
        raise Problem(errors.REQUEST_INVALID, "a project needs a name")
    project = Project(name=name, description=description)
    session.add(project)
    session.flush()
    return project


def update_project(session: Session, project: Project, changes: dict[str, Any]) -> Project:
    """Apply a PATCH: name, description, archived."""
    if "name" in changes:
        if not str(changes["name"] or "").strip():
            raise Problem(errors.REQUEST_INVALID, "a project needs a name")
        project.name = str(changes["name"]).strip()
    if "description" in changes:
        project.description = changes["description"]
    if "archived" in changes and changes["archived"] is not None:
        project.archived = bool(changes["archived"])
    project.updated_at = utcnow()
    session.add(project)
    return project


def delete_project(session: Session, project: Project) -> None:
    """Soft delete: the project and everything in it disappear from the API; app user keys stop."""
    from server.services.sessions import revoke_actor_sessions

    project.deleted_at = utcnow()
    session.add(project)
    for app_user in session.exec(select(AppUser).where(AppUser.project_id == project.id)):
        revoke_actor_sessions(session, app_user.actor_id)
