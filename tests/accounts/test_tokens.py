"""Bad credentials: each kind of bad token gets its own 401 code; app user keys follow Central."""

from __future__ import annotations

import base64
import json
from datetime import timedelta

import jwt
import pytest
from fastapi import APIRouter

from server.auth.deps import CurrentPrincipal
from server.auth.tokens import new_app_user_key
from server.policy_routes import ROUTE_VERBS
from tests.factories import (
    bearer,
    headers_for,
    make_app_user,
    make_project,
    make_user,
    session_token,
)

SECRET = "test-secret-key-not-for-production-0123456789"  # tests/conftest.py's settings


def _code(response) -> str:  # type: ignore[no-untyped-def]
    return response.json()["code"]


def _me(client, token: str):  # type: ignore[no-untyped-def]
    return client.get("/v1/users/current", headers=bearer(token))


def _b64(data: dict) -> str:  # type: ignore[type-arg]
    return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")


def test_no_credentials_is_401_whatever_the_url_names(client) -> None:
    for url in ("/v1/users/current", "/v1/projects/999999", "/v1/projects/999999/app-users"):
        response = client.get(url)
        assert response.status_code == 401
        assert _code(response) == "auth.required"


def test_an_expired_token_is_401_token_expired(app, client, engine) -> None:
    actor = make_user(engine, "a@example.kg")
    token = session_token(app, actor, ttl=timedelta(seconds=-10))
    assert _code(_me(client, token)) == "auth.token_expired"


def test_a_token_signed_with_another_key_is_401_token_invalid(app, client, engine) -> None:
    actor = make_user(engine, "a@example.kg")
    good = jwt.decode(session_token(app, actor), SECRET, algorithms=["HS256"])
    forged = jwt.encode(good, "someone-elses-key-of-sufficient-length-123", algorithm="HS256")
    response = _me(client, forged)
    assert response.status_code == 401
    assert _code(response) == "auth.token_invalid"


@pytest.mark.parametrize("alg", ["none", "HS512"])
def test_a_token_naming_another_algorithm_is_refused(app, client, engine, alg) -> None:
    actor = make_user(engine, "a@example.kg")
    claims = jwt.decode(session_token(app, actor), SECRET, algorithms=["HS256"])
    if alg == "none":
        token = f"{_b64({'alg': 'none', 'typ': 'JWT'})}.{_b64(claims)}."
    else:
        token = jwt.encode(claims, SECRET, algorithm=alg)  # same key, switched algorithm
    response = _me(client, token)
    assert response.status_code == 401
    assert _code(response) == "auth.token_invalid"


@pytest.mark.parametrize("token", ["garbage", "a.b.c", "x" * 63, "Basic abc"])
def test_a_malformed_token_is_401_token_malformed(client, token) -> None:
    response = _me(client, token)
    assert response.status_code == 401
    assert _code(response) == "auth.token_malformed"


def test_an_unknown_authorization_scheme_is_401_token_malformed(client) -> None:
    # Bearer and Basic are the schemes Kenesh reads (Basic: tests/accounts/test_basic_auth.py).
    response = client.get("/v1/users/current", headers={"Authorization": "Digest YTpi"})
    assert _code(response) == "auth.token_malformed"


def test_a_revoked_session_is_401_token_revoked(app, client, engine) -> None:
    actor = make_user(engine, "a@example.kg")
    token = session_token(app, actor)
    client.delete("/v1/sessions/current", headers=bearer(token))
    assert _code(_me(client, token)) == "auth.token_revoked"


def test_an_app_user_key_on_a_web_user_route_is_403(client, engine) -> None:
    _actor, key = make_app_user(engine, make_project(engine))
    for url in ("/v1/users", "/v1/users/current", "/v1/projects", "/v1/audits"):
        response = client.get(url, headers=bearer(key))
        assert response.status_code == 403, url
        assert _code(response) == "auth.forbidden"


def test_an_unknown_bearer_key_is_401_and_a_revoked_one_401_token_revoked(client, engine) -> None:
    project = make_project(engine)
    actor, key = make_app_user(engine, project)
    unknown = client.get("/v1/projects", headers=bearer(new_app_user_key()))
    assert _code(unknown) == "auth.token_invalid"
    admin = headers_for(client.app, make_user(engine, "admin@example.kg", admin=True))
    client.delete(f"/v1/projects/{project}/app-users/{actor}", headers=admin)
    assert _code(client.get("/v1/projects", headers=bearer(key))) == "auth.token_revoked"


@pytest.fixture
def key_route(app, monkeypatch):  # type: ignore[no-untyped-def]
    """A /v1/key/ route like ODK Collect's, reporting who it sees."""
    router = APIRouter()

    @router.get("/v1/key/{token}/projects/{projectId}/whoami")
    def whoami(token: str, projectId: int, principal: CurrentPrincipal) -> dict[str, int]:  # noqa: N803
        return {"actorId": principal.actor_id}

    path = "/v1/key/{token}/projects/{projectId}/whoami"
    monkeypatch.setitem(ROUTE_VERBS, ("GET", path), "form.list")
    app.include_router(router)
    return "/v1/key/{key}/projects/{project}/whoami"


def test_key_urls_answer_as_odk_central_does(client, engine, key_route) -> None:
    project = make_project(engine)
    actor, key = make_app_user(engine, project)
    ok = client.get(key_route.format(key=key, project=project))
    assert ok.status_code == 200 and ok.json() == {"actorId": actor}
    unknown = client.get(key_route.format(key=new_app_user_key(), project=project))
    assert (unknown.status_code, _code(unknown)) == (403, "auth.key_unknown")
    malformed = client.get(key_route.format(key="short-key", project=project))
    assert (malformed.status_code, _code(malformed)) == (401, "auth.token_malformed")


def test_a_revoked_key_in_the_url_is_403(app, client, engine, key_route) -> None:
    project = make_project(engine)
    _actor, key = make_app_user(engine, project)
    manager = make_user(engine, "m@example.kg", role="manager", project=project)
    revoked = client.delete(f"/v1/sessions/{key}", headers=headers_for(app, manager))
    assert revoked.json() == {"success": True}
    response = client.get(key_route.format(key=key, project=project))
    assert (response.status_code, _code(response)) == (403, "auth.key_unknown")


def test_a_key_of_another_project_does_not_reveal_this_one(client, engine, key_route) -> None:
    mine, other = make_project(engine, "Mine"), make_project(engine, "Other")
    _actor, key = make_app_user(engine, other)
    response = client.get(key_route.format(key=key, project=mine))
    assert response.status_code == 404
