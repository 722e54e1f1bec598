"""The one place that decides who may do what: roles, verbs, `can()` (pure) and `authorize()`."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Any

from sqlalchemy import bindparam
from sqlmodel import Session, col, select

from server import errors
from server.auth.principal import Principal
from server.errors import Problem
from server.models import FormAssignment, PersonalDataGrant, Project, ProjectRole

ADMIN, APP_USER, MANAGER = "admin", "app-user", "manager"
ANALYST, COLLECTOR = "analyst", "collector"
PUBLIC = "public"  # the route table's verb for routes that need no credentials


@dataclass(frozen=True)
class Role:
    """A role as GET /v1/roles shows it (ids and system names follow ODK Central)."""

    id: int
    system: str
    name: str
    aliases: tuple[str, ...] = ()


ROLES = (
    Role(1, ADMIN, "Administrator"),
    Role(2, APP_USER, "App User"),
    Role(3, MANAGER, "Project Manager"),
    Role(4, ANALYST, "Analyst", ("viewer",)),
    Role(5, COLLECTOR, "Data Collector", ("formfill",)),
)
# Roles a web user can hold in a project (admin is site-wide, app-user is a kind of actor).
PROJECT_ROLES = (MANAGER, ANALYST, COLLECTOR)


def find_role(key: str | int) -> Role | None:
    """A role by numeric id, system name or ODK Central alias (viewer, formfill)."""
    text = str(key).strip().lower()
    for role in ROLES:
        if text in (str(role.id), role.system, *role.aliases):
            return role
    return None


# Verbs any signed-in web user has without a project role.
WEB_USER_SITE_VERBS = frozenset({"project.list", "user.current", "role.list", "session.end"})

_READ = frozenset({
    "project.read", "form.list", "form.read", "submission.list", "submission.read", "export",
    "odata", "dataset.read", "entity.read", "conflict.read", "record.read",
})
_FILL = frozenset({"form.list", "form.read", "form.fill", "submission.create", "sync",
                   "dataset.read", "entity.read", "record.read"})

ROLE_VERBS: dict[str, frozenset[str]] = {
    MANAGER: _READ | _FILL | {
        "project.update", "app_user.manage", "assignment.manage", "scope.manage",
        "personal_data.grant", "form.create", "form.update", "form.delete", "submission.update",
        "submission.review", "submission.delete", "dataset.manage", "entity.update",
        "conflict.resolve", "sync.quarantine",
    },
    ANALYST: _READ,
    # Collectors read records too, but only within the project's record scope
    # (server.services.scope).
    COLLECTOR: _FILL | {"project.read", "submission.list", "submission.read", "odata",
                        "export"},
    APP_USER: _FILL,
}
# Verbs that show an individual's data: on sensitive forms an analyst needs a grant for them.
PERSONAL_DATA_VERBS = frozenset({
    "submission.list", "submission.read", "export", "odata", "entity.read", "conflict.read",
})
# An app user reaches a form only when the form is assigned to it.
APP_USER_FORM_VERBS = frozenset({"form.read", "form.fill", "submission.create"})

ALL_VERBS = frozenset().union(*ROLE_VERBS.values(), WEB_USER_SITE_VERBS, {
    "project.create", "project.delete", "user.manage", "audit.read",
})


def can(
    principal: Principal, verb: str, *, project_role: str | None, form_assigned: bool = False,
    sensitive: bool = False, personal_data_granted: bool = False,
) -> bool:
    """Whether `principal`, with `project_role` in the project (None: no project), may `verb`."""
    if principal.is_admin:
        return True
    if project_role is None:
        return principal.kind == "user" and verb in WEB_USER_SITE_VERBS
    if verb not in ROLE_VERBS.get(project_role, frozenset()):
        return False
    if project_role == APP_USER and verb in APP_USER_FORM_VERBS and not form_assigned:
        return False
    if project_role == ANALYST and sensitive and verb in PERSONAL_DATA_VERBS:
        return personal_data_granted
    return True


@dataclass(frozen=True)
class Access:
    """What authorize() found: the principal's role in the project and what it may see."""

    principal: Principal
    project_id: int | None
    role: str | None
    personal_data: bool  # may see personal data of the project's sensitive forms


def project_role_of(session: Session, principal: Principal, project_id: int) -> str | None:
    """The principal's role in the project (admin, manager, analyst, collector, app-user)."""
    if principal.is_admin:
        return ADMIN
    if principal.kind == "app_user":
        return APP_USER if principal.project_id == project_id else None
    row = session.get(ProjectRole, (project_id, principal.actor_id))
    return row.role if row else None


def form_assigned(session: Session, actor_id: int, project_id: int, xml_form_id: str) -> bool:
    params = {"project_id": project_id, "xml_form_id": xml_form_id, "actor_id": actor_id}
    return session.exec(_assignment_query(), params=params).first() is not None


@cache
def _assignment_query() -> Any:
    # Built once: an app user's every submission asks it (building costs more than running).
    return select(FormAssignment.actor_id).where(
        FormAssignment.project_id == bindparam("project_id"),
        FormAssignment.xml_form_id == bindparam("xml_form_id"),
        FormAssignment.actor_id == bindparam("actor_id"),
    )


def personal_data_granted(
    session: Session, role: str | None, actor_id: int, project_id: int
) -> bool:
    if role in (ADMIN, MANAGER):
        return True
    if role != ANALYST:
        return False
    return session.get(PersonalDataGrant, (project_id, actor_id)) is not None


def authorize(
    session: Session, principal: Principal, verb: str, project_id: int | None = None, *,
    form: Any = None, xml_form_id: str | None = None, sensitive: bool | None = None,
) -> Access:
    """Allow `verb` or raise: 404 when the principal may not know the project exists, else 403.

    `form` is a forms row (its `xml_form_id` and `sensitive` are read); without it, pass
    `xml_form_id` and `sensitive` when the verb concerns one form.
    """
    if project_id is None:
        if not can(principal, verb, project_role=None):
            raise Problem(errors.FORBIDDEN)
        return Access(principal, None, ADMIN if principal.is_admin else None, principal.is_admin)
    live = _project_live(session, principal, project_id)
    role = project_role_of(session, principal, project_id)
    if not live or role is None:
        raise Problem(errors.NOT_FOUND)
    if form is not None:
        xml_form_id = form.xml_form_id
        sensitive = bool(getattr(form, "sensitive", False)) if sensitive is None else sensitive
    assigned = role == APP_USER and xml_form_id is not None and form_assigned(
        session, principal.actor_id, project_id, xml_form_id
    )
    granted = personal_data_granted(session, role, principal.actor_id, project_id)
    allowed = can(
        principal, verb, project_role=role, form_assigned=assigned, sensitive=bool(sensitive),
        personal_data_granted=granted,
    )
    if not allowed:
        raise Problem(errors.FORBIDDEN)
    return Access(principal, project_id, role, granted)


require = authorize  # the contract's other name for it


def _project_live(session: Session, principal: Principal, project_id: int) -> bool:
    if principal.is_app_user and principal.project_live is not None:
        # Read with the key: an app user reaches only its own project (others are a 404).
        return principal.project_id == project_id and principal.project_live
    params = {"project_id": project_id}
    return session.exec(_live_project_query(), params=params).first() is not None


@cache
def _live_project_query() -> Any:
    # Built once: the policy gate asks it on every request, in a session of its own where
    # session.get would miss its identity map and build a query each time.
    return select(Project.id).where(
        Project.id == bindparam("project_id"), col(Project.deleted_at).is_(None)
    )


def authorize_form(
    session: Session, access: Access, verb: str, form: Any, *, assigned: bool | None = None
) -> None:
    """Allow `verb` on one form for a principal the gate already let into the project.

    Reuses the gate's decision (role, personal-data grant) so a hot route such as OpenRosa
    submission asks the database only whether an app user has the form assigned; `assigned`:
    the answer, when the caller read it already.
    """
    if access.project_id is None or access.project_id != form.project_id:
        authorize(session, access.principal, verb, form.project_id, form=form)
        return
    if access.role != APP_USER:
        assigned = False
    elif assigned is None:
        assigned = form_assigned(
            session, access.principal.actor_id, form.project_id, form.xml_form_id
        )
    allowed = can(
        access.principal, verb, project_role=access.role, form_assigned=assigned,
        sensitive=bool(form.sensitive), personal_data_granted=access.personal_data,
    )
    if not allowed:
        raise Problem(errors.FORBIDDEN)


# Rules that need more than a verb: the routes ask them here instead of deciding themselves.


def may_manage_forms(access: Access) -> bool:
    """Managers (and admins) see drafts and may change forms."""
    return can(access.principal, "form.update", project_role=access.role)


def sees_closed_forms(access: Access) -> bool:
    """Data collectors and app users only ever see open and closing forms (ODK Central's
    open_form.read); everyone else who may read forms sees closed ones too."""
    return access.principal.is_admin or access.role not in (COLLECTOR, APP_USER)


def authorize_form_definition(access: Access, *, published: bool, closed: bool) -> None:
    """ODK Central's canReadForm: an unpublished definition (a draft) needs form.update, a
    closed form more than a data collector's reading right; raise 403 otherwise."""
    if not published:
        if not may_manage_forms(access):
            raise Problem(errors.FORBIDDEN, "Only project managers can see form drafts.")
    elif closed and not sees_closed_forms(access):
        raise Problem(errors.FORBIDDEN, "This form is closed.")


def own_session_id(principal: Principal) -> str:
    """The web session the request was made with, to end it (DELETE /v1/sessions/current)."""
    if principal.session_id is None:
        raise Problem(errors.FORBIDDEN, "Only web sessions can be ended this way.")
    return principal.session_id


def authorize_session_end(principal: Principal, owner_actor_id: int) -> None:
    """A web session is ended by its owner or by an admin."""
    if owner_actor_id != principal.actor_id and not principal.is_admin:
        raise Problem(errors.FORBIDDEN, "Only the session's owner or an admin can end it.")


def authorize_password_change(principal: Principal, actor_id: int) -> None:
    """Users change only their own password (an admin too: it takes the old one)."""
    if actor_id != principal.actor_id:
        raise Problem(errors.FORBIDDEN, "Users change only their own password.")
