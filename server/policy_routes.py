"""Every /v1 route's verb: the policy gate enforces it, and the role x route matrix test reads it.

Add one entry per route: (METHOD, path template as FastAPI shows it) -> verb from server.policy
("public" for routes without credentials). Resource modules may also call `register({...})`.
A /v1 route missing here is refused at runtime (403) and fails the matrix test.
"""

from __future__ import annotations

ROUTE_VERBS: dict[tuple[str, str], str] = {
    # Probes for load balancers and orchestrators (server/routes/health.py).
    ("GET", "/healthz"): "public",
    ("GET", "/readyz"): "public",
    # Accounts, sessions, roles, audit (server/routes/sessions.py, users.py, audits.py).
    ("POST", "/v1/sessions"): "public",
    ("DELETE", "/v1/sessions/current"): "session.end",
    ("DELETE", "/v1/sessions/{token}"): "session.end",
    ("GET", "/v1/users/current"): "user.current",
    ("GET", "/v1/users"): "user.manage",
    ("POST", "/v1/users"): "user.manage",
    ("GET", "/v1/users/{actorId}"): "user.manage",
    ("DELETE", "/v1/users/{actorId}"): "user.manage",
    ("PUT", "/v1/users/{actorId}/password"): "user.current",
    ("POST", "/v1/assignments/{roleId}/{actorId}"): "user.manage",
    ("DELETE", "/v1/assignments/{roleId}/{actorId}"): "user.manage",
    ("GET", "/v1/roles"): "role.list",
    ("GET", "/v1/audits"): "audit.read",
    # Projects (server/routes/projects.py).
    ("GET", "/v1/projects"): "project.list",
    ("POST", "/v1/projects"): "project.create",
    ("GET", "/v1/projects/{projectId}"): "project.read",
    ("PATCH", "/v1/projects/{projectId}"): "project.update",
    ("DELETE", "/v1/projects/{projectId}"): "project.delete",
    ("GET", "/v1/projects/{projectId}/scope"): "scope.manage",
    ("PUT", "/v1/projects/{projectId}/scope"): "scope.manage",
    ("PUT", "/v1/projects/{projectId}/scopes/{actorId}"): "scope.manage",
    ("POST", "/v1/projects/{projectId}/personal-data-access/{actorId}"): "personal_data.grant",
    ("DELETE", "/v1/projects/{projectId}/personal-data-access/{actorId}"): "personal_data.grant",
    # App users (server/routes/app_users.py).
    ("GET", "/v1/projects/{projectId}/app-users"): "app_user.manage",
    ("POST", "/v1/projects/{projectId}/app-users"): "app_user.manage",
    ("DELETE", "/v1/projects/{projectId}/app-users/{appUserId}"): "app_user.manage",
    ("GET", "/v1/projects/{projectId}/app-users/{appUserId}/qr"): "app_user.manage",
    # Project and form assignments (server/routes/assignments.py).
    ("GET", "/v1/projects/{projectId}/assignments"): "assignment.manage",
    ("GET", "/v1/projects/{projectId}/assignments/{roleId}"): "assignment.manage",
    ("POST", "/v1/projects/{projectId}/assignments/{roleId}/{actorId}"): "assignment.manage",
    ("DELETE", "/v1/projects/{projectId}/assignments/{roleId}/{actorId}"): "assignment.manage",
    ("GET", "/v1/projects/{projectId}/forms/{xmlFormId}/assignments"): "assignment.manage",
    ("GET", "/v1/projects/{projectId}/forms/{xmlFormId}/assignments/{roleId}"): "assignment.manage",
    ("POST", "/v1/projects/{projectId}/forms/{xmlFormId}/assignments/{roleId}/{actorId}"):
        "assignment.manage",
    ("DELETE", "/v1/projects/{projectId}/forms/{xmlFormId}/assignments/{roleId}/{actorId}"):
        "assignment.manage",
}


def register(entries: dict[tuple[str, str], str]) -> None:
    """Add route entries from a resource module; one route cannot get two different verbs."""
    for key, verb in entries.items():
        if ROUTE_VERBS.get(key, verb) != verb:
            raise ValueError(f"route {key} already has verb {ROUTE_VERBS[key]!r}")
        ROUTE_VERBS[key] = verb


def route_verb(method: str, path: str) -> str | None:
    """The verb of a route template, or None when the route has no entry."""
    return ROUTE_VERBS.get((method.upper(), path))
