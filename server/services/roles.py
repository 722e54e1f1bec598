"""Project roles, form assignments of app users, record scopes and personal-data grants."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session, col, select

from server import errors
from server.errors import Problem
from server.models import (
    Actor,
    ActorScope,
    AppUser,
    FormAssignment,
    PersonalDataGrant,
    ProjectRole,
    ProjectScope,
    User,
)
from server.policy import ADMIN, APP_USER, PROJECT_ROLES, Role, find_role
from server.services.scope import SCOPE_MODES


def role_or_404(key: str) -> Role:
    role = find_role(key)
    if role is None:
        raise Problem(errors.NOT_FOUND, f"no role {key!r}")
    return role


def live_actor(session: Session, actor_id: int, kind: str) -> Actor:
    """A live actor of the given type ("user" or "field_key"), or 404."""
    actor = session.get(Actor, actor_id)
    if actor is None or actor.deleted_at is not None or actor.type != kind:
        raise Problem(errors.NOT_FOUND, f"actor {actor_id} not found")
    return actor


def site_admin_target(session: Session, role_key: str, actor_id: int) -> User:
    """The web user a site-wide role is granted to or revoked from: 400 for any role but admin
    (the only site-wide one), 404 when no live web user has this id."""
    if role_or_404(role_key).system != ADMIN:
        raise Problem(errors.REQUEST_INVALID, "only the admin role is assigned site-wide")
    live_actor(session, actor_id, "user")
    user = session.get(User, actor_id)
    assert user is not None
    return user


def assign_project_role(
    session: Session, project_id: int, actor_id: int, role: Role
) -> ProjectRole:
    """Give a web user a role in the project; one role per project (this replaces it)."""
    if role.system not in PROJECT_ROLES:
        raise Problem(errors.REQUEST_INVALID,
                      f"the role {role.system!r} cannot be assigned in a project")
    live_actor(session, actor_id, "user")
    row = session.get(ProjectRole, (project_id, actor_id))
    if row is None:
        row = ProjectRole(project_id=project_id, actor_id=actor_id, role=role.system)
    row.role = role.system
    session.add(row)
    return row


def unassign_project_role(session: Session, project_id: int, actor_id: int, role: Role) -> None:
    row = session.get(ProjectRole, (project_id, actor_id))
    if row is None or row.role != role.system:
        raise Problem(errors.NOT_FOUND, f"actor {actor_id} does not have role {role.system!r} here")
    session.delete(row)


def project_assignments(session: Session, project_id: int,
                        role: Role | None = None) -> list[ProjectRole]:
    query = select(ProjectRole).where(ProjectRole.project_id == project_id)
    if role is not None:
        query = query.where(ProjectRole.role == role.system)
    return list(session.exec(query.order_by(col(ProjectRole.actor_id))))


def assignment_json(actor_id: int, role_system: str) -> dict[str, Any]:
    """ODK Central's assignment shape."""
    role = find_role(role_system)
    return {"actorId": actor_id, "roleId": role.id if role else None}


def check_form_exists(session: Session, project_id: int, xml_form_id: str) -> None:
    """404 for an unknown form (checked through the forms service once it is installed)."""
    try:
        from server.services.forms import find_form
    except ImportError:
        return
    if find_form(session, project_id, xml_form_id) is None:
        raise Problem(errors.NOT_FOUND, f"form {xml_form_id!r} not found")


def assign_form(session: Session, project_id: int, xml_form_id: str, actor_id: int,
                role: Role) -> bool:
    """Let an app user of this project see and fill the form; False when it already could."""
    if role.system != APP_USER:
        raise Problem(errors.REQUEST_INVALID, "forms are assigned to app users (role app-user, 2)")
    _app_user_of(session, project_id, actor_id)
    check_form_exists(session, project_id, xml_form_id)
    if session.get(FormAssignment, (project_id, xml_form_id, actor_id)) is not None:
        return False
    session.add(FormAssignment(project_id=project_id, xml_form_id=xml_form_id, actor_id=actor_id))
    return True


def unassign_form(session: Session, project_id: int, xml_form_id: str, actor_id: int,
                  role: Role) -> None:
    row = session.get(FormAssignment, (project_id, xml_form_id, actor_id))
    if row is None or role.system != APP_USER:
        raise Problem(errors.NOT_FOUND, f"actor {actor_id} is not assigned to this form")
    session.delete(row)


def form_assignments(session: Session, project_id: int, xml_form_id: str) -> list[FormAssignment]:
    check_form_exists(session, project_id, xml_form_id)
    return list(session.exec(select(FormAssignment).where(
        FormAssignment.project_id == project_id, FormAssignment.xml_form_id == xml_form_id,
    ).order_by(col(FormAssignment.actor_id))))


def assigned_form_ids(session: Session, project_id: int, actor_id: int) -> set[str]:
    """The xmlFormIds assigned to an app user (formList shows only these)."""
    return set(session.exec(select(FormAssignment.xml_form_id).where(
        FormAssignment.project_id == project_id, FormAssignment.actor_id == actor_id,
    )))


def _app_user_of(session: Session, project_id: int, actor_id: int) -> AppUser:
    live_actor(session, actor_id, "field_key")
    app_user = session.get(AppUser, actor_id)
    if app_user is None or app_user.project_id != project_id:
        raise Problem(errors.NOT_FOUND, f"app user {actor_id} not found in this project")
    return app_user


def set_project_scope(
    session: Session, project_id: int, mode: str, field: str | None
) -> ProjectScope:
    """Restrict what collectors and app users see: none, own, location or own_or_location."""
    if mode not in SCOPE_MODES:
        raise Problem(errors.REQUEST_INVALID, f"scope mode must be one of {', '.join(SCOPE_MODES)}")
    if mode in ("location", "own_or_location") and not (field or "").strip():
        raise Problem(errors.REQUEST_INVALID, f"scope mode {mode!r} needs a field path")
    row = session.get(ProjectScope, project_id) or ProjectScope(project_id=project_id)
    previous_field = row.field
    row.mode, row.field = mode, (field or "").strip() or None
    session.add(row)
    if row.field != previous_field:
        from server.services.scope_refresh import refresh_scope_values

        refresh_scope_values(session, project_id, row.field)
    return row


def set_actor_scope(session: Session, project_id: int, actor_id: int,
                    values: list[str]) -> ActorScope:
    """The location values one collector or app user of the project may see."""
    actor = session.get(Actor, actor_id)
    if actor is None or actor.deleted_at is not None:
        raise Problem(errors.NOT_FOUND, f"actor {actor_id} not found")
    cleaned = sorted({str(v).strip() for v in values if str(v).strip()})
    row = session.get(ActorScope, (project_id, actor_id)) or ActorScope(
        project_id=project_id, actor_id=actor_id
    )
    row.scope_values = cleaned
    session.add(row)
    return row


def grant_personal_data(session: Session, project_id: int, actor_id: int, granted_by: int) -> bool:
    live_actor(session, actor_id, "user")
    if session.get(PersonalDataGrant, (project_id, actor_id)) is not None:
        return False
    session.add(PersonalDataGrant(project_id=project_id, actor_id=actor_id, granted_by=granted_by))
    return True


def revoke_personal_data(session: Session, project_id: int, actor_id: int) -> None:
    row = session.get(PersonalDataGrant, (project_id, actor_id))
    if row is None:
        raise Problem(errors.NOT_FOUND, "no personal-data grant for this actor")
    session.delete(row)
