"""A body above the limit on an OpenRosa route gets 413 in the OpenRosa XML envelope."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from server.app import create_app
from tests.factories import make_app_user, make_project
from tests.odk.conftest import error_message

LIMIT = 1000


@pytest.fixture
def small_limit_client(settings, engine):  # type: ignore[no-untyped-def]
    settings.max_body_bytes = LIMIT
    with TestClient(create_app(settings, engine=engine), raise_server_exceptions=False) as c:
        yield c


def _paths(engine) -> list[tuple[str, str]]:  # type: ignore[no-untyped-def]
    project = make_project(engine)
    _actor, key = make_app_user(engine, project)
    paths = []
    for prefix in (f"/v1/projects/{project}", f"/v1/key/{key}/projects/{project}"):
        paths += [
            ("GET", f"{prefix}/formList"),
            ("GET", f"{prefix}/forms/survey/manifest"),
            ("POST", f"{prefix}/submission"),
        ]
    return paths


def _assert_openrosa_413(response) -> None:  # type: ignore[no-untyped-def]
    assert response.status_code == 413, response.text
    assert response.headers["content-type"] == "text/xml; charset=utf-8"
    assert response.headers["x-openrosa-version"] == "1.0"
    assert f"limit of {LIMIT} bytes" in error_message(response)


def test_a_declared_body_above_the_limit_gets_the_openrosa_envelope(
    small_limit_client, engine
) -> None:
    for method, path in _paths(engine):
        response = small_limit_client.request(
            method, path, content=b"x" * (LIMIT + 1),
            headers={"X-OpenRosa-Version": "1.0", "Content-Type": "multipart/form-data; b=x"},
        )
        _assert_openrosa_413(response)


def test_a_streamed_submission_above_the_limit_gets_the_openrosa_envelope(
    small_limit_client, engine
) -> None:
    project = make_project(engine)
    _actor, key = make_app_user(engine, project)
    boundary = "kenesh"

    def chunks():  # no Content-Length: the limit counts the bytes as they come
        yield f"--{boundary}\r\n".encode()
        yield b'Content-Disposition: form-data; name="xml_submission_file"; filename="a.xml"\r\n'
        yield b"Content-Type: text/xml\r\n\r\n"
        for _ in range(5):
            yield b"<data>" + b"y" * 300 + b"</data>"

    response = small_limit_client.post(
        f"/v1/key/{key}/projects/{project}/submission", content=chunks(),
        headers={"X-OpenRosa-Version": "1.0",
                 "Content-Type": f"multipart/form-data; boundary={boundary}"},
    )
    _assert_openrosa_413(response)


def test_a_body_above_the_limit_elsewhere_stays_a_problem_document(
    small_limit_client, engine
) -> None:
    project = make_project(engine)
    response = small_limit_client.post(
        f"/v1/projects/{project}/app-users", content=b"x" * (LIMIT + 1)
    )
    assert response.status_code == 413
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["code"] == "request.too_large"
