"""HTTP Basic authentication of web users, as ODK Central accepts it (ODK Collect set up with a
server URL, a username and a password; `curl -u`): every API route, web users only, HTTPS only,
failures counted toward the sign-in limits.

These requests go through the app in-process over `https://testserver` (what a TLS deployment
looks like to the app); tests/accounts/test_basic_auth_live.py covers real HTTP through uvicorn.
"""

from __future__ import annotations

import base64
import uuid
from collections.abc import Iterator
from typing import Any
from xml.etree import ElementTree

import pytest
from fastapi.testclient import TestClient
from sqlmodel import select

from server.db import unit_of_work
from server.models import Audit
from server.services.ratelimit import MAX_FAILURES_PER_EMAIL, failures_for
from tests.factories import PASSWORD, headers_for, make_app_user, make_project, make_user
from tests.odk.conftest import OPENROSA, error_message, instance_xml, publish_form

EMAIL = "collector@example.kg"
LIST_NS = "{http://openrosa.org/xforms/xformsList}"
COLLECT_CHALLENGE = 'Basic realm="kenesh", charset="UTF-8"'


def basic(email: str, password: str, encoding: str = "utf-8") -> dict[str, str]:
    token = base64.b64encode(f"{email}:{password}".encode(encoding)).decode()
    return {"Authorization": f"Basic {token}"}


@pytest.fixture
def https(app: Any) -> Iterator[TestClient]:
    with TestClient(app, base_url="https://testserver", raise_server_exceptions=False) as c:
        yield c


@pytest.fixture
def project(app: Any, engine: Any, https: TestClient) -> dict[str, Any]:
    project_id = make_project(engine)
    manager = headers_for(app, make_user(engine, "manager@example.kg", role="manager",
                                         project=project_id))
    publish_form(https, manager, project_id, "open_day", "1")
    collector = make_user(engine, EMAIL, role="collector", project=project_id)
    return {"id": project_id, "manager": manager, "collector": collector,
            "base": f"/v1/projects/{project_id}"}


def submit(client: TestClient, base: str, xml: bytes, headers: dict[str, str]) -> Any:
    files = [("xml_submission_file", ("submission.xml", xml, "text/xml"))]
    return client.post(f"{base}/submission", files=files, headers={**OPENROSA, **headers})


def test_collect_lists_downloads_and_submits_with_email_and_password(
    https: TestClient, project: dict[str, Any]
) -> None:
    creds = basic(EMAIL, PASSWORD)
    listing = https.get(f"{project['base']}/formList", headers={**OPENROSA, **creds})
    assert listing.status_code == 200, listing.text
    forms = ElementTree.fromstring(listing.content).findall(f"{LIST_NS}xform")
    assert [f.findtext(f"{LIST_NS}formID") for f in forms] == ["open_day"]
    download_url = forms[0].findtext(f"{LIST_NS}downloadUrl") or ""
    assert download_url.endswith(f"{project['base']}/forms/open_day.xml")
    download = https.get(download_url.removeprefix("http://testserver"), headers=creds)
    assert download.status_code == 200 and b"open_day" in download.content
    assert https.head(f"{project['base']}/submission", headers={**OPENROSA, **creds}).status_code == 204

    instance_id = f"uuid:{uuid.uuid4()}"
    sent = submit(https, project["base"], instance_xml(instance_id=instance_id), creds)
    assert sent.status_code == 201, sent.text
    assert "full submission upload was successful!" in sent.text
    stored = https.get(f"{project['base']}/forms/open_day/submissions/{instance_id}",
                       headers=project["manager"])
    assert stored.json()["submitterId"] == project["collector"]


def test_basic_works_on_the_rest_api_too_but_is_no_session(
    https: TestClient, project: dict[str, Any]
) -> None:
    creds = basic(EMAIL, PASSWORD)
    me = https.get("/v1/users/current", headers=creds)
    assert me.status_code == 200 and me.json()["email"] == EMAIL
    # Nothing to end: each Basic request stands alone, as in Central.
    assert https.delete("/v1/sessions/current", headers=creds).status_code == 403


def test_wrong_password_is_401_in_the_openrosa_envelope_with_a_challenge(
    https: TestClient, project: dict[str, Any]
) -> None:
    response = https.get(f"{project['base']}/formList",
                         headers={**OPENROSA, **basic(EMAIL, "not the password")})
    assert response.status_code == 401
    assert response.headers["Content-Type"] == "text/xml; charset=utf-8"
    assert error_message(response) == "Could not authenticate with the provided credentials."
    assert response.headers["WWW-Authenticate"] == COLLECT_CHALLENGE


def test_an_unknown_email_gets_the_same_answer_as_a_wrong_password(
    https: TestClient, project: dict[str, Any]
) -> None:
    url = f"{project['base']}/formList"
    unknown = https.get(url, headers={**OPENROSA, **basic("nobody@example.kg", PASSWORD)})
    wrong = https.get(url, headers={**OPENROSA, **basic(EMAIL, "not the password")})
    assert (unknown.status_code, unknown.text) == (wrong.status_code, wrong.text)


@pytest.mark.parametrize("suffix,method", [
    ("/formList", "GET"), ("/forms/open_day/manifest", "GET"), ("/submission", "HEAD"),
    ("/submission", "POST"),
])
def test_openrosa_without_credentials_is_401_with_a_basic_challenge(
    https: TestClient, project: dict[str, Any], suffix: str, method: str
) -> None:
    response = https.request(method, project["base"] + suffix, headers=OPENROSA)
    assert response.status_code == 401
    # Collect answers only a challenge naming Basic first, with a realm, by sending its
    # username and password (ODK Central sends none: central-backend issue #851).
    assert response.headers["WWW-Authenticate"] == COLLECT_CHALLENGE
    if method != "HEAD":
        assert error_message(response) == "Authentication is required."


def test_the_rest_api_challenges_for_bearer_and_basic(
    https: TestClient, project: dict[str, Any]
) -> None:
    for url in (f"{project['base']}/forms/open_day.xml", "/v1/users/current"):
        response = https.get(url)
        assert response.status_code == 401
        assert response.json()["code"] == "auth.required"
        assert response.headers["WWW-Authenticate"] == f'Bearer realm="kenesh", {COLLECT_CHALLENGE}'


def test_key_urls_ignore_basic_credentials_and_never_challenge(
    https: TestClient, engine: Any, project: dict[str, Any]
) -> None:
    _actor, key = make_app_user(engine, project["id"], forms=("open_day",))
    url = f"/v1/key/{key}/projects/{project['id']}/formList"
    # The key in the URL wins, as in Central, whatever the header says.
    ok = https.get(url, headers={**OPENROSA, **basic(EMAIL, "not the password")})
    assert ok.status_code == 200 and "open_day" in ok.text
    malformed = https.get(f"/v1/key/short/projects/{project['id']}/formList", headers=OPENROSA)
    assert malformed.status_code == 401 and "WWW-Authenticate" not in malformed.headers


def test_basic_failures_count_toward_the_sign_in_lockout(
    https: TestClient, client: TestClient, project: dict[str, Any]
) -> None:
    url = f"{project['base']}/formList"
    wrong = {**OPENROSA, **basic(EMAIL, "a wrong guess")}
    statuses = [https.get(url, headers=wrong).status_code for _ in range(MAX_FAILURES_PER_EMAIL)]
    assert statuses == [401] * MAX_FAILURES_PER_EMAIL
    locked = https.get(url, headers=wrong)
    assert locked.status_code == 429
    assert int(locked.headers["Retry-After"]) > 0
    assert "Too many failed sign-ins" in error_message(locked)
    # Locked for the right password too, and for the sign-in route: one counter per email.
    right = https.get(url, headers={**OPENROSA, **basic(EMAIL, PASSWORD)})
    assert right.status_code == 429
    sign_in = client.post("/v1/sessions", json={"email": EMAIL, "password": PASSWORD})
    assert sign_in.status_code == 429
    with unit_of_work(https.app.state.engine, write=False) as uow:  # type: ignore[attr-defined]
        assert failures_for(uow.session, EMAIL) == MAX_FAILURES_PER_EMAIL


def test_sign_in_failures_count_toward_basic_too(
    https: TestClient, client: TestClient, project: dict[str, Any]
) -> None:
    for _ in range(MAX_FAILURES_PER_EMAIL):
        client.post("/v1/sessions", json={"email": EMAIL, "password": "a wrong guess"})
    response = https.get("/v1/users/current", headers=basic(EMAIL, PASSWORD))
    assert (response.status_code, response.json()["code"]) == (429, "auth.too_many_attempts")


def test_failures_are_audited_and_successes_are_not(
    https: TestClient, engine: Any, project: dict[str, Any]
) -> None:
    https.get("/v1/users/current", headers=basic(EMAIL, "a wrong guess"))
    https.get("/v1/users/current", headers=basic(EMAIL, PASSWORD))
    with unit_of_work(engine, write=False) as uow:
        rows = list(uow.session.exec(select(Audit).where(Audit.target == f"user:{EMAIL}")))
        logins = list(uow.session.exec(select(Audit).where(Audit.action == "user.login")))
    assert [(r.action, r.actor_id, (r.details or {}).get("scheme")) for r in rows] == [
        ("user.login.failed", project["collector"], "basic")
    ]
    # Central writes nothing per Basic request either; a row per phone request would bury
    # the log (sign-ins through POST /v1/sessions are still audited).
    assert logins == []


@pytest.mark.parametrize("authorization", [
    "Basic !!!not-base64!!!",
    "Basic " + base64.b64encode(b"no-colon-here").decode(),
    "Basic " + base64.b64encode(f"{EMAIL}:".encode()).decode(),
    "Basic " + base64.b64encode(b":password-without-email").decode(),
])
def test_garbled_basic_credentials_are_401_auth_failed(
    https: TestClient, project: dict[str, Any], authorization: str
) -> None:
    response = https.get("/v1/users/current", headers={"Authorization": authorization})
    assert (response.status_code, response.json()["code"]) == (401, "auth.failed")


def test_passwords_with_colons_and_collects_latin1_encoding_are_read(
    https: TestClient, engine: Any
) -> None:
    make_user(engine, "colon@example.kg", password="a:b:c password")
    make_user(engine, "latin@example.kg", password="café au lait!")
    assert https.get("/v1/users/current",
                     headers=basic("colon@example.kg", "a:b:c password")).status_code == 200
    # okhttp (ODK Collect) encodes ISO-8859-1; curl and Python encode UTF-8: both work.
    for encoding in ("latin-1", "utf-8"):
        headers = basic("Latin@Example.kg", "café au lait!", encoding)
        assert https.get("/v1/users/current", headers=headers).status_code == 200, encoding


def test_a_deleted_user_cannot_use_basic(
    https: TestClient, app: Any, engine: Any, project: dict[str, Any]
) -> None:
    admin = headers_for(app, make_user(engine, "admin@example.kg", admin=True))
    assert https.delete(f"/v1/users/{project['collector']}", headers=admin).status_code == 200
    response = https.get("/v1/users/current", headers=basic(EMAIL, PASSWORD))
    assert (response.status_code, response.json()["code"]) == (401, "auth.failed")


def test_basic_over_plain_http_from_another_machine_is_refused(
    client: TestClient, project: dict[str, Any]
) -> None:
    # The in-process client is plain http from a non-loopback address ("testclient").
    response = client.get("/v1/users/current", headers=basic(EMAIL, PASSWORD))
    assert (response.status_code, response.json()["code"]) == (401, "auth.https_only")
    xml = client.get(f"{project['base']}/formList", headers={**OPENROSA, **basic(EMAIL, PASSWORD)})
    assert xml.status_code == 401
    assert error_message(xml) == "Basic authentication is only accepted over HTTPS."
    with unit_of_work(client.app.state.engine, write=False) as uow:  # type: ignore[attr-defined]
        assert failures_for(uow.session, EMAIL) == 0  # the password was never looked at
