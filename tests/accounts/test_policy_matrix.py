"""Every role against every /v1 route: the status each gets follows from the policy table.

The routes come from the app itself, so a route added anywhere without an entry in
server/policy_routes.py fails here, and every entry's verb is checked against `can()`.
Denied: 401 without credentials, 404 where the principal may not know the project exists,
403 otherwise. Allowed: anything but 401/403/5xx (other resources named in the path may not
exist), and 2xx for reads whose every path parameter names something that exists.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from fastapi.routing import APIRoute

from server.app import create_app
from server.auth.principal import Principal
from server.policy import ANALYST, APP_USER, COLLECTOR, MANAGER, PUBLIC, can
from server.policy_routes import route_verb
from server.settings import Settings
from tests.factories import bearer, make_app_user, make_project, make_user, session_token

FORM = "matrix_form"
OPENROSA = {"X-OpenRosa-Version": "1.0"}  # harmless elsewhere, required by OpenRosa routes
PROJECT_PARAM = re.compile(r"/projects/\{(\w+)\}")
# Path parameters the world below fills with things that exist.
EXISTING = {"projectId", "appUserId", "actorId", "roleId", "token"}
ROLES = ("anonymous", "app_user_other", "outsider", "app_user", "collector", "analyst",
         "manager", "admin")
PROJECT_ROLE = {"app_user": APP_USER, "app_user_other": APP_USER, "collector": COLLECTOR,
                "analyst": ANALYST, "manager": MANAGER}


def api_routes() -> list[tuple[str, str]]:
    """(method, path template) of every /v1 route of a freshly built app."""
    from fastapi.routing import iter_route_contexts

    app = create_app(Settings(secret_key="matrix" * 8, database_url="sqlite:///:memory:"))
    found = set()
    for ctx in iter_route_contexts(app.routes):
        route = ctx.original_route
        if isinstance(route, APIRoute) and ctx.path and ctx.path.startswith("/v1"):
            found.update((method, ctx.path) for method in route.methods)
    return sorted(found, key=lambda r: (r[1], r[0]))


ROUTES = api_routes()


@dataclass
class World:
    project: int
    tokens: dict[str, str]  # role -> its credential (session JWT or app user key)
    params: dict[str, str]


def build_world(app, engine, tag: int) -> World:  # type: ignore[no-untyped-def]
    """Fresh projects, users and app users (a new set per route, so routes cannot interfere)."""
    project, other = make_project(engine, "Matrix"), make_project(engine, "Elsewhere")
    users = {
        "admin": make_user(engine, f"admin{tag}@m.kg", admin=True),
        "manager": make_user(engine, f"manager{tag}@m.kg", role=MANAGER, project=project),
        "analyst": make_user(engine, f"analyst{tag}@m.kg", role=ANALYST, project=project),
        "collector": make_user(engine, f"collector{tag}@m.kg", role=COLLECTOR, project=project),
        "outsider": make_user(engine, f"outsider{tag}@m.kg"),
    }
    tokens = {role: session_token(app, actor) for role, actor in users.items()}
    tokens["app_user"] = make_app_user(engine, project, "Phone", forms=(FORM,))[1]
    tokens["app_user_other"] = make_app_user(engine, other, "Phone elsewhere", forms=(FORM,))[1]
    target = make_user(engine, f"target{tag}@m.kg", role=COLLECTOR, project=project)
    spare_app_user, _ = make_app_user(engine, project, "Spare phone")
    params = {"projectId": str(project), "actorId": str(target), "appUserId": str(spare_app_user),
              "roleId": "collector", "xmlFormId": FORM}
    return World(project, tokens, params)


def expectation(role: str, verb: str, path: str) -> str:
    """'allowed', or the status a denied role must get."""
    if role == "anonymous":
        return "401"
    kind = "app_user" if role.startswith("app_user") else "user"
    principal = Principal(actor_id=1, kind=kind, display_name=role, is_admin=role == "admin")
    if PROJECT_PARAM.search(path):
        if role in ("outsider", "app_user_other"):
            return "404"
        project_role = PROJECT_ROLE.get(role)
    else:
        # An app user's requests always concern its own project.
        project_role = APP_USER if kind == "app_user" else None
    allowed = can(principal, verb, project_role=project_role, form_assigned=True)
    return "allowed" if allowed else "403"


def url_for(path: str, world: World, role: str) -> str:
    token = world.tokens.get(role, "no-credentials")
    values = {**world.params, "token": token}
    return re.sub(r"\{(\w+)(?::\w+)?\}", lambda m: values.get(m.group(1), "missing"), path)


def test_every_v1_route_has_an_entry_in_the_policy_table() -> None:
    missing = [f"{method} {path}" for method, path in ROUTES if route_verb(method, path) is None]
    assert missing == []


def test_each_role_gets_the_status_the_policy_gives_it_on_every_route(app, client, engine) -> None:
    failures: list[str] = []
    shared = build_world(app, engine, -1)  # reads change nothing, so they share one world
    for tag, (method, path) in enumerate(ROUTES):
        verb = route_verb(method, path)
        if verb is not None:
            world = shared if method == "GET" else build_world(app, engine, tag)
            failures += check_route(client, world, method, path, verb)
    assert failures == []


def check_route(client, world: World, method: str, path: str, verb: str) -> list[str]:  # type: ignore[no-untyped-def]
    """What went against the policy when every role called this route."""
    failures = []
    is_key_route = path.startswith("/v1/key/")
    params = set(re.findall(r"\{(\w+)", path))
    # Roles that must be refused go first, so allowed writes cannot change what they see.
    plan = sorted(((expectation(r, verb, path), r) for r in ROLES), key=lambda e: e[0] == "allowed")
    for expected, role in plan:
        if verb == PUBLIC and role != "anonymous":
            continue
        if is_key_route and not (role.startswith("app_user") or role == "anonymous"):
            continue  # web users have no key to put in the URL
        token = world.tokens.get(role)
        headers = {**OPENROSA, **(bearer(token) if token and not is_key_route else {})}
        url = url_for(path, world, role)
        if is_key_route and role == "anonymous":
            url = url.replace("no-credentials", "not-a-well-formed-key")
        status = client.request(method, url, headers=headers).status_code
        where = f"{role} {method} {path} ({verb}): got {status}"
        if status >= 500:
            failures.append(where)
        elif verb == PUBLIC:
            continue
        elif expected != "allowed":
            if status != int(expected):
                failures.append(f"{where}, expected {expected}")
        elif status in (401, 403):
            failures.append(f"{where}, but the policy allows it")
        elif method == "GET" and params <= EXISTING and not 200 <= status < 300:
            failures.append(f"{where}, expected 2xx")
    return failures
