"""Every role against every route of the app, with the status each must get written out below.

The table says, route by route, which roles may call it. It is written here by hand, not taken
from server.policy, so a route given the wrong verb in the policy fails. The routes come from the
app itself: a route added without a row here, or without a policy entry, fails too.

Allowed roles call against a world where what the route names exists (matrix_world.py), and must
get the route's success status (200 unless the row says otherwise). Denied roles must get 401
without credentials, 404 on a project they have no role in (its existence is not revealed), and
403 otherwise. Web users have no key, so they skip the /v1/key/{token}/… routes.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from fastapi.routing import APIRoute, iter_route_contexts
from fastapi.testclient import TestClient

from server.app import create_app
from server.policy_routes import route_verb
from server.settings import Settings
from tests.accounts.matrix_world import (
    DRAFTS,
    FORM,
    OPENROSA,
    SENSITIVE,
    World,
    build_world,
    csv_body,
    csv_uploaded,
    draft_again,
    edit_body,
    fill,
    json_body,
    new_blob,
    new_form_body,
    new_instance_id,
    openrosa_body,
    own_actor,
    own_session,
    push_body,
    xml_body,
)
from tests.conftest import _empty_all_tables
from tests.factories import PASSWORD, bearer, make_project

ANONYMOUS, OUTSIDER, OTHER_PHONE, PHONE = "anonymous", "outsider", "app_user_other", "app_user"
ROLES = (ANONYMOUS, OUTSIDER, OTHER_PHONE, PHONE, "collector", "analyst", "manager", "admin")
ADMIN = frozenset({"admin"})
MANAGERS = ADMIN | {"manager"}  # forms, app users, roles, review, conflicts
REVIEWERS = MANAGERS | {"analyst"}  # see conflicts
READERS = REVIEWERS | {"collector"}  # see records (collectors within their record scope)
FILLERS = MANAGERS | {"collector", PHONE}  # fill forms, submit, sync
EVERYONE = READERS | {PHONE}  # see forms and entity lists (app users: assigned forms' only)
WEB = READERS | {OUTSIDER}  # any signed-in web user, with or without a project role
PUBLIC = frozenset(ROLES)
KEY = frozenset({PHONE})  # /v1/key/{token}/…: only app users have a key


@dataclass(frozen=True)
class Case:
    """Who may call a route, and how an allowed call is made and answered."""

    allowed: frozenset[str]
    ok: int = 200
    # A fresh target per allowed call: path parameters (and "_auth", "_content") to use.
    fresh: Callable[[World, str], dict[str, Any]] | None = None
    # Request arguments (json, content, files, params, headers) from the filled parameters.
    body: Callable[[World, dict[str, Any]], dict[str, Any]] | None = None
    after: Callable[[World, str], None] | None = None  # after an allowed call
    form: str = FORM  # the form {xmlFormId} names


P = "/v1/projects/{projectId}"
F = P + "/forms/{xmlFormId}"
S = F + "/submissions"
I = S + "/{instanceId}"  # noqa: E741
D = P + "/datasets/{name}"
E = D + "/entities"
K = "/v1/key/{token}/projects/{projectId}"
# What a form, each version and the draft serve. Our forms were uploaded as .xlsx, so the
# handler answers 404 for the original file in the other formats (no such file was uploaded).
DEFINITION = (".xml", ".xlsx", ".xls", ".csv", ".md", "", "/attachments", "/attachments/{name}")
NOT_UPLOADED = (".xls", ".csv", ".md")


def served(suffix: str) -> int:
    return 404 if suffix.endswith(NOT_UPLOADED) else 200


TABLE: dict[tuple[str, str], Case] = {
    ("GET", "/healthz"): Case(PUBLIC),
    ("GET", "/readyz"): Case(PUBLIC),
    # Sessions, users, site roles, audit log.
    ("POST", "/v1/sessions"): Case(PUBLIC, body=json_body(
        lambda w: {"email": "admin@matrix.kg", "password": PASSWORD})),
    ("DELETE", "/v1/sessions/current"): Case(WEB, fresh=lambda w, r: {"_auth": w.session_of(r)}),
    ("DELETE", "/v1/sessions/{token}"): Case(WEB, fresh=own_session),
    ("GET", "/v1/users/current"): Case(WEB),
    ("GET", "/v1/users"): Case(ADMIN),
    ("POST", "/v1/users"): Case(ADMIN, body=json_body(
        lambda w: {"email": f"{w.unique('new')}@matrix.kg"})),
    ("GET", "/v1/users/{actorId}"): Case(ADMIN),
    ("DELETE", "/v1/users/{actorId}"): Case(ADMIN, fresh=lambda w, r: {"actorId": w.new_user()}),
    ("PUT", "/v1/users/{actorId}/password"): Case(
        WEB, fresh=own_actor, body=json_body(lambda w: {"old": PASSWORD, "new": PASSWORD}),
        after=World.refresh),
    ("POST", "/v1/assignments/{roleId}/{actorId}"): Case(
        ADMIN, fresh=lambda w, r: {"actorId": w.new_user()}),
    ("DELETE", "/v1/assignments/{roleId}/{actorId}"): Case(
        ADMIN, fresh=lambda w, r: {"actorId": w.new_admin()}),
    ("GET", "/v1/roles"): Case(WEB),
    ("GET", "/v1/audits"): Case(ADMIN),
    # Projects, record scope, personal-data grants, app users, project and form assignments.
    ("GET", "/v1/projects"): Case(WEB),
    ("POST", "/v1/projects"): Case(ADMIN, body=json_body(lambda w: {"name": w.unique("p")})),
    ("GET", P): Case(READERS),
    ("PATCH", P): Case(MANAGERS, body=json_body(lambda w: {"description": "Matrix"})),
    ("DELETE", P): Case(ADMIN, fresh=lambda w, r: {"projectId": make_project(w.engine)}),
    ("GET", P + "/scope"): Case(MANAGERS),
    ("PUT", P + "/scope"): Case(MANAGERS, body=json_body(lambda w: {"mode": "none"})),
    ("PUT", P + "/scopes/{actorId}"): Case(
        MANAGERS, body=json_body(lambda w: {"values": ["Kara-Bak"]})),
    ("POST", P + "/personal-data-access/{actorId}"): Case(
        MANAGERS, fresh=lambda w, r: {"actorId": w.new_user("analyst")}),
    ("DELETE", P + "/personal-data-access/{actorId}"): Case(
        MANAGERS, fresh=lambda w, r: {"actorId": w.granted_analyst()}),
    ("GET", P + "/app-users"): Case(MANAGERS),
    ("POST", P + "/app-users"): Case(MANAGERS, body=json_body(lambda w: {"displayName": "Ph"})),
    ("DELETE", P + "/app-users/{appUserId}"): Case(
        MANAGERS, fresh=lambda w, r: {"appUserId": w.new_app_user()}),
    ("GET", P + "/app-users/{appUserId}/qr"): Case(MANAGERS),
    ("GET", P + "/assignments"): Case(MANAGERS),
    ("GET", P + "/assignments/{roleId}"): Case(MANAGERS),
    ("POST", P + "/assignments/{roleId}/{actorId}"): Case(
        MANAGERS, fresh=lambda w, r: {"actorId": w.new_user()}),
    ("DELETE", P + "/assignments/{roleId}/{actorId}"): Case(
        MANAGERS, fresh=lambda w, r: {"actorId": w.new_user("collector")}),
    ("GET", F + "/assignments"): Case(MANAGERS),
    ("GET", F + "/assignments/{roleId}"): Case(MANAGERS),
    ("POST", F + "/assignments/{roleId}/{actorId}"): Case(
        MANAGERS, fresh=lambda w, r: {"actorId": w.new_app_user()}),
    ("DELETE", F + "/assignments/{roleId}/{actorId}"): Case(
        MANAGERS, fresh=lambda w, r: {"actorId": w.new_app_user((FORM,))}),
    # Forms, their versions and drafts.
    ("GET", P + "/forms"): Case(EVERYONE),
    ("POST", P + "/forms"): Case(MANAGERS, body=new_form_body),
    ("PATCH", F): Case(MANAGERS, body=json_body(lambda w: {"state": "open"})),
    ("DELETE", F): Case(MANAGERS, fresh=lambda w, r: {"xmlFormId": w.new_form()}),
    ("POST", P + "/forms/{formId}/restore"): Case(
        MANAGERS, fresh=lambda w, r: {"formId": w.deleted_form()}),
    ("GET", F + "/versions"): Case(EVERYONE),
    **{("GET", F + base + suffix): Case(EVERYONE, served(suffix))
       for base in ("", "/versions/{version}") for suffix in DEFINITION},
    ("POST", F + "/draft"): Case(MANAGERS, form=DRAFTS),
    ("POST", F + "/draft/publish"): Case(
        MANAGERS, form=DRAFTS, body=lambda w, p: {"params": {"version": w.unique("v")}},
        after=draft_again),
    ("DELETE", F + "/draft"): Case(MANAGERS, form=DRAFTS, after=draft_again),
    ("POST", F + "/draft/attachments/{name}"): Case(MANAGERS, form=DRAFTS, body=csv_body),
    ("DELETE", F + "/draft/attachments/{name}"): Case(MANAGERS, form=DRAFTS, fresh=csv_uploaded),
    **{("GET", F + "/draft" + suffix): Case(MANAGERS, served(suffix), form=DRAFTS)
       for suffix in DEFINITION},
    # Submissions, exports, OData.
    ("GET", S): Case(READERS),
    ("POST", S): Case(FILLERS, body=xml_body),
    ("GET", I + ".xml"): Case(READERS),
    ("GET", I): Case(READERS),
    ("PUT", I): Case(MANAGERS, fresh=lambda w, r: {"instanceId": w.submit()}, body=edit_body),
    ("PATCH", I): Case(MANAGERS, body=json_body(lambda w: {"reviewState": "approved"})),
    ("DELETE", I): Case(MANAGERS, fresh=lambda w, r: {"instanceId": w.submit()}),
    ("POST", I + "/restore"): Case(
        MANAGERS, fresh=lambda w, r: {"instanceId": w.deleted_submission()}),
    ("GET", I + "/versions"): Case(READERS),
    ("GET", I + "/attachments"): Case(READERS),
    ("GET", I + "/attachments/{name}"): Case(READERS),
    ("POST", I + "/attachments/{name}"): Case(
        MANAGERS, body=lambda w, p: {"content": b"\xff\xd8 another photo",
                                     "headers": {"Content-Type": "image/jpeg"}}),
    ("GET", I + "/comments"): Case(READERS),
    ("POST", I + "/comments"): Case(MANAGERS, body=json_body(lambda w: {"body": "Checked"})),
    ("GET", I + "/entities"): Case(READERS),
    **{("GET", S + ext): Case(READERS) for ext in (".csv.zip", ".csv", ".xlsx", ".geojson")},
    **{("GET", F + ".svc" + s): Case(READERS)
       for s in ("", "/$metadata", "/{table}", "/{table}/{path:path}")},
    # OpenRosa, for web sessions and (below) app user keys.
    ("GET", P + "/formList"): Case(EVERYONE),
    ("GET", F + "/manifest"): Case(FILLERS),
    ("HEAD", P + "/submission"): Case(EVERYONE, 204),
    ("GET", P + "/submission"): Case(EVERYONE, 204),
    ("POST", P + "/submission"): Case(FILLERS, 201, body=openrosa_body),
    ("GET", K + "/formList"): Case(KEY),
    ("GET", K + "/forms/{xmlFormId}/manifest"): Case(KEY),
    ("HEAD", K + "/submission"): Case(KEY, 204),
    ("GET", K + "/submission"): Case(KEY, 204),
    ("POST", K + "/submission"): Case(KEY, 201, body=openrosa_body),
    **{("GET", K + "/forms/{xmlFormId}" + suffix): Case(KEY, served(suffix))
       for suffix in DEFINITION},
    ("GET", K + "/datasets/{name}/integrity"): Case(KEY),
    # Sync, device blobs, conflicts, record history.
    ("POST", P + "/sync/push"): Case(FILLERS, body=push_body),
    ("GET", P + "/sync/pull"): Case(FILLERS),
    ("GET", P + "/sync/quarantine"): Case(MANAGERS),
    ("PUT", P + "/blobs/{sha256}"): Case(
        FILLERS, 201, fresh=new_blob, body=lambda w, p: {"content": p.get("_content", b"x")}),
    ("GET", P + "/conflicts"): Case(REVIEWERS),
    ("POST", P + "/conflicts/{conflictId}/resolve"): Case(
        MANAGERS, fresh=lambda w, r: {"conflictId": w.new_conflict()},
        body=json_body(lambda w: {"choose": "kept"})),
    ("GET", P + "/records/{kind}/{recordId}/versions"): Case(READERS),
    # Entity lists and entities (app users: the lists their assigned forms use).
    ("GET", P + "/datasets"): Case(EVERYONE),
    ("POST", P + "/datasets"): Case(MANAGERS, body=json_body(lambda w: {"name": w.unique("l")})),
    ("GET", D): Case(EVERYONE),
    ("PATCH", D): Case(MANAGERS, body=json_body(lambda w: {"approvalRequired": False})),
    ("POST", D + "/properties"): Case(
        MANAGERS, body=json_body(lambda w: {"name": w.unique("prop")})),
    ("GET", D + "/entities.csv"): Case(EVERYONE),
    ("GET", D + "/integrity"): Case(EVERYONE),
    **{("GET", D + ".svc" + s): Case(EVERYONE) for s in ("", "/$metadata", "/Entities")},
    ("GET", E): Case(EVERYONE),
    ("POST", E): Case(MANAGERS, body=json_body(
        lambda w: {"uuid": new_instance_id()[5:], "label": "Tree", "data": {}})),
    ("GET", E + "/{uuid}"): Case(EVERYONE),
    ("PATCH", E + "/{uuid}"): Case(
        MANAGERS, body=lambda w, p: {"json": {"label": "Well"}, "params": {"force": "true"}}),
    ("DELETE", E + "/{uuid}"): Case(MANAGERS, fresh=lambda w, r: {"uuid": w.new_entity()}),
    ("POST", E + "/{uuid}/restore"): Case(
        MANAGERS, fresh=lambda w, r: {"uuid": w.deleted_entity()}),
    ("GET", E + "/{uuid}/versions"): Case(EVERYONE),
}


def app_routes() -> list[tuple[str, str]]:
    """(method, path template) of every route of a freshly built app."""
    app = create_app(Settings(secret_key="matrix" * 8, database_url="sqlite:///:memory:"))
    found = set()
    for ctx in iter_route_contexts(app.routes):
        if isinstance(ctx.original_route, APIRoute) and ctx.path:
            found.update((method, ctx.path) for method in ctx.original_route.methods)
    return sorted(found, key=lambda r: (r[1], r[0]))


ROUTES = app_routes()


def test_every_route_has_an_entry_in_the_policy_table() -> None:
    missing = [f"{method} {path}" for method, path in ROUTES if route_verb(method, path) is None]
    assert missing == []


def test_every_route_has_a_row_in_the_expected_table() -> None:
    assert sorted(set(ROUTES) - set(TABLE)) == []
    assert sorted(set(TABLE) - set(ROUTES)) == []  # rows of routes that no longer exist


@pytest.fixture(scope="module")
def world(migrated_database, tmp_path_factory) -> Iterator[World]:  # type: ignore[no-untyped-def]
    """One world per database for the whole module (the routes' writes leave it usable)."""
    db, engine = migrated_database
    settings = Settings(database_url=db.url, secret_key="matrix-secret-key-0123456789-abcdef",
                        data_dir=tmp_path_factory.mktemp("matrix"),
                        public_url="http://testserver")
    app = create_app(settings, engine=engine)
    try:
        with TestClient(app, raise_server_exceptions=False) as client:
            yield build_world(client, app, engine)
    finally:
        _empty_all_tables(engine)


def denied_status(role: str, path: str) -> int:
    if role == ANONYMOUS:
        return 401
    if "{projectId}" in path and role in (OUTSIDER, OTHER_PHONE):
        return 404  # a project one has no role in does not exist, as far as one can tell
    if path.endswith("/records/{kind}/{recordId}/versions"):
        return 404  # nor does a record one may not read (the route's verb is any reader's)
    return 403


def call(world: World, method: str, path: str, case: Case, role: str,
         fresh: dict[str, Any]) -> Any:
    key_route = path.startswith("/v1/key/")
    token = fresh.get("_auth", world.tokens.get(role))
    values = {**world.defaults(path, case.form), "token": token or "no-credentials", **fresh}
    if key_route and role == ANONYMOUS:
        values["token"] = "not-a-well-formed-key"
    request = case.body(world, values) if case.body else {}
    headers = {**OPENROSA, **(bearer(token) if token and not key_route else {}),
               **request.pop("headers", {})}
    url = fill(path, {k: str(v) for k, v in values.items() if not k.startswith("_")})
    return world.client.request(method, url, headers=headers, **request)


# Where the app does not yet do what the table says: each fails until fixed (strict xfail).
KNOWN_GAPS: dict[tuple[str, str], str] = {}


def route_params(routes: list[tuple[str, str]]) -> list[Any]:
    return [pytest.param(r, id=f"{r[0]} {r[1]}", marks=[pytest.mark.xfail(
        reason=KNOWN_GAPS[r], strict=True)] if r in KNOWN_GAPS else []) for r in routes]


@pytest.mark.parametrize("route", route_params(ROUTES))
def test_each_role_gets_the_status_the_table_gives_it(world: World, route: tuple[str, str]) -> None:
    method, path = route
    case = TABLE[route]
    failures = []
    # Denied roles first: a call that is refused must change nothing the allowed ones need.
    for role in sorted(ROLES, key=lambda r: r in case.allowed):
        if path.startswith("/v1/key/") and role not in (ANONYMOUS, PHONE, OTHER_PHONE):
            continue  # web users have no key to put in the URL
        allowed = role in case.allowed
        fresh = case.fresh(world, role) if allowed and case.fresh else {}
        response = call(world, method, path, case, role, fresh)
        expected = case.ok if allowed else denied_status(role, path)
        if response.status_code != expected:
            failures.append(f"{role}: got {response.status_code}, expected {expected}: "
                            f"{response.text[:200]}")
        if allowed and case.after:
            case.after(world, role)
    assert failures == []


# On a sensitive form an analyst sees aggregate counts only until a manager grants personal
# data; an app user reaches no form that is not assigned to it. Form reads stay open to analysts.
FORM_READS = [(m, p) for m, p in ROUTES if m == "GET" and p.startswith(F)
              and "/draft" not in p and "/assignments" not in p and p != F + "/manifest"]


def personal(path: str) -> bool:
    """Routes that show records of people: submissions, their exports and OData."""
    return "/submissions" in path or ".svc" in path


@pytest.mark.parametrize("route", FORM_READS, ids=[p for _, p in FORM_READS])
def test_sensitive_forms_hide_records_from_analysts_without_a_grant(
    world: World, route: tuple[str, str]
) -> None:
    method, path = route
    case = TABLE[route]
    expected = {"analyst": 403 if personal(path) else case.ok, "granted_analyst": case.ok,
                "manager": case.ok, PHONE: 403}
    got = {}
    for role in expected:
        got[role] = call(world, method, path, Case(case.allowed, form=SENSITIVE), role,
                         {}).status_code
    assert got == expected



def test_rules_beyond_the_verb_whose_session_and_whose_password(world: World) -> None:
    """A web session is ended by its owner or an admin; a password changed by its owner only."""

    def as_role(role: str, method: str, url: str, **kwargs: Any) -> int:
        headers = bearer(world.tokens[role])
        return world.client.request(method, url, headers=headers, **kwargs).status_code  # type: ignore[no-any-return]

    analyst_session = world.session_of("analyst")
    assert as_role("manager", "DELETE", f"/v1/sessions/{analyst_session}") == 403
    assert as_role("admin", "DELETE", f"/v1/sessions/{analyst_session}") == 200
    password = {"json": {"old": PASSWORD, "new": "another long passphrase"}}
    analyst = world.actors["analyst"]
    for role in ("manager", "admin"):
        assert as_role(role, "PUT", f"/v1/users/{analyst}/password", **password) == 403
    assert as_role("analyst", "GET", "/v1/users/current") == 200  # no session of theirs ended
