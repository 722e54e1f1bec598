"""Projects and app users in ODK Central's shapes; who sees which project; QR provisioning."""

from __future__ import annotations

import base64
import json
import re
import zlib

from tests.factories import bearer, headers_for, make_app_user, make_project, make_user

KEY = re.compile(r"[A-Za-z0-9!$]{64}")


def test_an_admin_creates_reads_updates_and_soft_deletes_a_project(app, client, engine) -> None:
    admin = headers_for(app, make_user(engine, "admin@example.kg", admin=True))
    created = client.post("/v1/projects", headers=admin, json={"name": "Osh oblast"}).json()
    assert set(created) == {"id", "name", "description", "archived", "keyId", "createdAt",
                            "updatedAt", "deletedAt"}
    assert created["name"] == "Osh oblast"
    assert (created["archived"], created["deletedAt"]) == (False, None)
    url = f"/v1/projects/{created['id']}"
    patched = client.patch(url, headers=admin, json={"description": "LSG monitoring",
                                                     "archived": True}).json()
    assert (patched["description"], patched["archived"]) == ("LSG monitoring", True)
    assert patched["updatedAt"] is not None
    assert client.delete(url, headers=admin).json() == {"success": True}
    assert client.get(url, headers=admin).status_code == 404
    assert client.get("/v1/projects", headers=admin).json() == []


def test_users_see_only_the_projects_they_have_a_role_in(app, client, engine) -> None:
    mine, _other = make_project(engine, "Batken"), make_project(engine, "Jalal-Abad")
    analyst = headers_for(app, make_user(engine, "an@example.kg", role="analyst", project=mine))
    assert [p["id"] for p in client.get("/v1/projects", headers=analyst).json()] == [mine]


def test_an_analyst_cannot_change_a_project_and_an_outsider_cannot_see_it(
    app, client, engine
) -> None:
    project = make_project(engine)
    analyst = headers_for(app, make_user(engine, "an@example.kg", role="analyst", project=project))
    outsider = headers_for(app, make_user(engine, "out@example.kg"))
    patched = client.patch(f"/v1/projects/{project}", headers=analyst, json={"name": "x"})
    assert patched.status_code == 403
    assert client.get(f"/v1/projects/{project}", headers=outsider).status_code == 404


def test_a_manager_creates_an_app_user_with_a_central_style_key(app, client, engine) -> None:
    project = make_project(engine)
    manager = headers_for(app, make_user(engine, "m@example.kg", role="manager", project=project))
    response = client.post(f"/v1/projects/{project}/app-users", headers=manager,
                           json={"displayName": "Kara-Bak WIG phone"})
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"projectId", "id", "displayName", "createdAt", "type", "token",
                         "updatedAt", "deletedAt"}
    assert (body["projectId"], body["type"], body["displayName"]) == (
        project, "field_key", "Kara-Bak WIG phone")
    assert KEY.fullmatch(body["token"])
    listed = client.get(f"/v1/projects/{project}/app-users", headers=manager).json()
    assert [(a["id"], a["token"]) for a in listed] == [(body["id"], body["token"])]


def test_app_users_and_their_keys_are_hidden_from_analysts_and_collectors(
    app, client, engine
) -> None:
    project = make_project(engine)
    make_app_user(engine, project)
    for role in ("analyst", "collector"):
        user = make_user(engine, f"{role}@example.kg", role=role, project=project)
        headers = headers_for(app, user)
        assert client.get(f"/v1/projects/{project}/app-users", headers=headers).status_code == 403


def test_deleting_an_app_user_stops_its_key_at_once(app, client, engine) -> None:
    project = make_project(engine)
    actor, key = make_app_user(engine, project)
    manager = headers_for(app, make_user(engine, "m@example.kg", role="manager", project=project))
    deleted = client.delete(f"/v1/projects/{project}/app-users/{actor}", headers=manager)
    assert deleted.status_code == 200
    assert client.get("/v1/projects", headers=bearer(key)).json()["code"] == "auth.token_revoked"
    assert client.get(f"/v1/projects/{project}/app-users", headers=manager).json() == []


def test_revoking_a_key_by_token_leaves_the_app_user_listed_without_a_token(
    app, client, engine
) -> None:
    project = make_project(engine)
    actor, key = make_app_user(engine, project)
    manager = headers_for(app, make_user(engine, "m@example.kg", role="manager", project=project))
    collector = headers_for(app, make_user(engine, "c@ex.kg", role="collector", project=project))
    assert client.delete(f"/v1/sessions/{key}", headers=collector).status_code == 403
    assert client.delete(f"/v1/sessions/{key}", headers=manager).status_code == 200
    listed = client.get(f"/v1/projects/{project}/app-users", headers=manager).json()
    assert [(a["id"], a["token"]) for a in listed] == [(actor, None)]
    actions = [a["action"] for a in client.get(
        "/v1/audits", headers=headers_for(app, make_user(engine, "ad@example.kg", admin=True))
    ).json()]
    assert "app-user.revoke" in actions


def test_the_qr_code_carries_collects_settings_for_this_key(app, client, engine) -> None:
    project = make_project(engine, "Batken monitoring")
    actor, key = make_app_user(engine, project)
    manager = headers_for(app, make_user(engine, "m@example.kg", role="manager", project=project))
    url = f"/v1/projects/{project}/app-users/{actor}/qr"
    body = client.get(url, headers=manager).json()
    settings = json.loads(zlib.decompress(base64.b64decode(body["payload"])))
    assert settings == {
        "general": {"server_url": f"http://testserver/v1/key/{key}/projects/{project}",
                    "form_update_mode": "match_exactly", "autosend": "wifi_and_cellular"},
        "project": {"name": "Batken monitoring"},
        "admin": {},
    }
    assert base64.b64decode(body["png"]).startswith(b"\x89PNG")
    png = client.get(url + "?format=png", headers=manager)
    assert png.headers["content-type"] == "image/png" and png.content.startswith(b"\x89PNG")


def test_the_key_never_appears_in_the_audit_log(app, client, engine) -> None:
    project = make_project(engine)
    admin = headers_for(app, make_user(engine, "ad@example.kg", admin=True))
    key = client.post(f"/v1/projects/{project}/app-users", headers=admin,
                      json={"displayName": "Phone"}).json()["token"]
    assert key not in client.get("/v1/audits", headers=admin).text


def test_an_app_users_key_reaches_nothing_once_its_project_is_deleted(app, client, engine) -> None:
    # The gate learns whether the app user's project is live from the key's own lookup; a
    # project's deletion also revokes its app users' keys, so they are refused as unknown.
    project, other = make_project(engine), make_project(engine, "Batken")
    _actor, key = make_app_user(engine, project)
    openrosa = {"X-OpenRosa-Version": "1.0"}
    assert client.get(f"/v1/key/{key}/projects/{project}/formList", headers=openrosa).status_code == 200
    assert client.get(f"/v1/key/{key}/projects/{other}/formList", headers=openrosa).status_code == 404
    admin = headers_for(app, make_user(engine, "admin@example.kg", admin=True))
    assert client.delete(f"/v1/projects/{project}", headers=admin).status_code == 200
    gone = client.get(f"/v1/key/{key}/projects/{project}/formList", headers=openrosa)
    assert gone.status_code == 403
    assert "<OpenRosaResponse" in gone.text
    assert client.get(f"/v1/projects/{project}", headers=bearer(key)).json()["code"] == (
        "auth.token_revoked"
    )
