"""Roles, project and form assignments, personal-data grants and scope settings over HTTP."""

from __future__ import annotations

from server.auth.principal import Principal
from server.db import unit_of_work
from server.errors import Problem
from server.policy import authorize
from server.services.scope import load_scope
from tests.factories import headers_for, make_app_user, make_project, make_user


def _form(engine, project: int, xml_form_id: str = "incident_report") -> None:
    """A bare form row (enough for assignments; the forms API makes real ones)."""
    from server.models import Form

    with unit_of_work(engine) as uow:
        uow.session.add(Form(project_id=project, xml_form_id=xml_form_id))
        uow.commit()


def _manager(app, engine, project):  # type: ignore[no-untyped-def]
    return headers_for(app, make_user(engine, "m@example.kg", role="manager", project=project))


def _denied(engine, principal: Principal, verb: str, project: int, **kw) -> int | None:  # type: ignore[no-untyped-def]
    with unit_of_work(engine, write=False) as uow:
        try:
            authorize(uow.session, principal, verb, project, **kw)
        except Problem as problem:
            return problem.status
    return None


def test_roles_list_centrals_ids_and_accepts_centrals_names(app, client, engine) -> None:
    headers = headers_for(app, make_user(engine, "u@example.kg"))
    roles = {r["system"]: r for r in client.get("/v1/roles", headers=headers).json()}
    assert {s: r["id"] for s, r in roles.items()} == {
        "admin": 1, "app-user": 2, "manager": 3, "analyst": 4, "collector": 5}
    assert roles["analyst"]["aliases"] == ["viewer"]
    assert roles["collector"]["aliases"] == ["formfill"]


def test_a_manager_assigns_roles_by_name_alias_or_id(app, client, engine) -> None:
    project = make_project(engine)
    manager = _manager(app, engine, project)
    user = make_user(engine, "new@example.kg")
    url = f"/v1/projects/{project}/assignments"
    for role_key, role_id in (("viewer", 4), ("formfill", 5), ("3", 3), ("analyst", 4)):
        response = client.post(f"{url}/{role_key}/{user}", headers=manager)
        assert response.json() == {"actorId": user, "roleId": role_id}
    assert {"actorId": user, "roleId": 4} in client.get(url, headers=manager).json()
    assert client.get(f"/v1/projects/{project}", headers=headers_for(app, user)).status_code == 200
    assert client.delete(f"{url}/analyst/{user}", headers=manager).status_code == 200
    assert client.get(f"/v1/projects/{project}", headers=headers_for(app, user)).status_code == 404


def test_admin_is_not_a_project_role(app, client, engine) -> None:
    project = make_project(engine)
    user = make_user(engine, "new@example.kg")
    response = client.post(f"/v1/projects/{project}/assignments/admin/{user}",
                           headers=_manager(app, engine, project))
    assert response.status_code == 400


def test_an_app_user_reaches_only_the_forms_assigned_to_it(app, client, engine) -> None:
    project = make_project(engine)
    manager = _manager(app, engine, project)
    actor, _key = make_app_user(engine, project)
    phone = Principal(actor_id=actor, kind="app_user", display_name="Phone", project_id=project)
    _form(engine, project)
    assert _denied(engine, phone, "form.fill", project, xml_form_id="incident_report") == 403
    base = f"/v1/projects/{project}/forms/incident_report/assignments"
    client.post(f"{base}/app-user/{actor}", headers=manager)
    assert _denied(engine, phone, "form.fill", project, xml_form_id="incident_report") is None
    assert client.get(base, headers=manager).json() == [{"actorId": actor, "roleId": 2}]
    assert client.delete(f"{base}/2/{actor}", headers=manager).status_code == 200
    assert _denied(engine, phone, "form.fill", project, xml_form_id="incident_report") == 403


def test_forms_are_assigned_only_to_app_users_of_the_project(app, client, engine) -> None:
    project, other = make_project(engine), make_project(engine, "Other")
    manager = _manager(app, engine, project)
    stranger, _ = make_app_user(engine, other)
    web_user = make_user(engine, "w@example.kg")
    mine, _ = make_app_user(engine, project)
    _form(engine, project)
    base = f"/v1/projects/{project}/forms/incident_report/assignments"
    assert client.post(f"{base}/app-user/{stranger}", headers=manager).status_code == 404
    assert client.post(f"{base}/app-user/{web_user}", headers=manager).status_code == 404
    missing = f"/v1/projects/{project}/forms/no_such_form/assignments/app-user/{mine}"
    assert client.post(missing, headers=manager).status_code == 404


def test_an_analyst_needs_a_grant_for_personal_data_of_sensitive_forms(app, client, engine) -> None:
    project = make_project(engine)
    manager = _manager(app, engine, project)
    actor = make_user(engine, "an@example.kg", role="analyst", project=project)
    analyst = Principal(actor_id=actor, kind="user", display_name="Analyst")
    for verb in ("submission.list", "submission.read", "export", "odata"):
        assert _denied(engine, analyst, verb, project, sensitive=True) == 403, verb
        assert _denied(engine, analyst, verb, project, sensitive=False) is None, verb
    assert _denied(engine, analyst, "form.read", project, sensitive=True) is None
    client.post(f"/v1/projects/{project}/personal-data-access/{actor}", headers=manager)
    assert _denied(engine, analyst, "export", project, sensitive=True) is None
    client.delete(f"/v1/projects/{project}/personal-data-access/{actor}", headers=manager)
    assert _denied(engine, analyst, "export", project, sensitive=True) == 403


def test_a_manager_sets_the_projects_scope_and_a_users_places(app, client, engine) -> None:
    project = make_project(engine)
    manager = _manager(app, engine, project)
    actor, _key = make_app_user(engine, project)
    field = "/data/location/ayil_aimak"
    assert client.put(f"/v1/projects/{project}/scope", headers=manager,
                      json={"mode": "location"}).status_code == 400
    client.put(f"/v1/projects/{project}/scope", headers=manager,
               json={"mode": "own_or_location", "field": field})
    client.put(f"/v1/projects/{project}/scopes/{actor}", headers=manager,
               json={"values": ["Kara-Bak", " Kara-Bak", ""]})
    phone = Principal(actor_id=actor, kind="app_user", display_name="Phone", project_id=project)
    with unit_of_work(engine, write=False) as uow:
        scope = load_scope(uow.session, authorize(uow.session, phone, "sync", project))
    assert (scope.own, scope.field, scope.values) == (True, field, frozenset({"Kara-Bak"}))
