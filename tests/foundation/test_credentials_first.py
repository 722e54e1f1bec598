"""Credentials are checked before the body: a broken body without valid credentials gets 401."""

from __future__ import annotations

import pytest

from tests.factories import bearer, headers_for, make_app_user, make_project, make_user

BROKEN_JSON = b'{"name": "unfinished'
JSON = {"Content-Type": "application/json"}


@pytest.fixture
def project(engine) -> int:  # type: ignore[no-untyped-def]
    return make_project(engine)


def _routes(project: int) -> list[tuple[str, str]]:
    return [
        ("POST", "/v1/users"),
        ("POST", "/v1/projects"),
        ("PATCH", f"/v1/projects/{project}"),
        ("POST", f"/v1/projects/{project}/app-users"),
        ("PUT", "/v1/users/1/password"),
    ]


def test_a_broken_json_body_without_credentials_gets_401(client, project) -> None:
    for method, path in _routes(project):
        response = client.request(method, path, content=BROKEN_JSON, headers=JSON)
        assert response.status_code == 401, (method, path, response.text)
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["code"] == "auth.required"
        assert "WWW-Authenticate" in response.headers


def test_a_broken_json_body_with_a_malformed_token_gets_the_token_problem(client, project) -> None:
    for method, path in _routes(project):
        response = client.request(
            method, path, content=BROKEN_JSON, headers={**JSON, **bearer("not-a-token")}
        )
        assert response.status_code == 401, (method, path, response.text)
        assert response.json()["code"] == "auth.token_malformed"


def test_a_broken_json_body_from_an_actor_without_the_right_gets_403(
    app, client, engine, project
) -> None:
    _actor, key = make_app_user(engine, project)
    response = client.post(
        "/v1/projects", content=BROKEN_JSON, headers={**JSON, **bearer(key)}
    )
    assert response.status_code == 403
    assert response.json()["code"] == "auth.forbidden"


def test_a_broken_json_body_with_valid_credentials_is_still_a_400(
    app, client, engine, project
) -> None:
    admin = headers_for(app, make_user(engine, "admin@example.kg", admin=True))
    for method, path in _routes(project):
        response = client.request(method, path, content=BROKEN_JSON, headers={**JSON, **admin})
        assert response.status_code == 400, (method, path, response.text)
        assert response.json()["code"] == "request.invalid"


def test_signing_in_with_a_broken_body_is_a_400(client) -> None:
    # The one route that needs no credentials: nothing to check first.
    response = client.post("/v1/sessions", content=BROKEN_JSON, headers=JSON)
    assert response.status_code == 400
    assert response.json()["code"] == "request.invalid"
