"""A record's history (GET …/records/submission/{id}/versions) never reveals that a record exists.

A caller who may not read the record (an app user, an analyst without a personal-data grant on
a sensitive form, a collector outside the record's scope) gets the 404 of a missing record.
"""

from __future__ import annotations

import uuid
from typing import Any

from tests.factories import bearer, headers_for, make_user, publish_sensitive_form
from tests.odk.conftest import OPENROSA, Setup, instance_xml
from tests.odk.conftest import odk as odk  # noqa: F401 - the fixture, shared with tests/odk


def _history(client: Any, setup: Setup, record: str, headers: dict[str, str]) -> Any:
    url = f"/v1/projects/{setup.project_id}/records/submission/{record}/versions"
    return client.get(url, headers=headers)


def _same_as_missing(client: Any, setup: Setup, record: str, headers: dict[str, str]) -> None:
    found = _history(client, setup, record, headers)
    missing = _history(client, setup, f"uuid:{uuid.uuid4()}", headers)
    assert found.status_code == missing.status_code == 404, found.text
    assert found.json()["code"] == missing.json()["code"]


def test_an_app_user_cannot_tell_an_existing_record_from_a_missing_one(
    client: Any, odk: Setup  # noqa: F811
) -> None:
    record = f"uuid:{uuid.uuid4()}"
    sent = client.post(
        f"/v1/key/{odk.key}/projects/{odk.project_id}/submission", headers=OPENROSA,
        files={"xml_submission_file": ("s.xml", instance_xml(instance_id=record), "text/xml")},
    )
    assert sent.status_code == 201, sent.text
    _same_as_missing(client, odk, record, bearer(odk.key))  # even its own record
    assert _history(client, odk, record, odk.manager).status_code == 200


def test_an_analyst_without_a_grant_cannot_tell_a_sensitive_record_exists(
    app: Any, client: Any, engine: Any, odk: Setup  # noqa: F811
) -> None:
    base = f"/v1/projects/{odk.project_id}"
    publish_sensitive_form(client, odk.project_id, odk.manager)
    record = f"uuid:{uuid.uuid4()}"
    xml = (f'<data id="incident" version="1"><what>threat</what>'
           f"<meta><instanceID>{record}</instanceID></meta></data>").encode()
    sent = client.post(f"{base}/forms/incident/submissions", content=xml, headers=odk.manager)
    assert sent.status_code == 200, sent.text
    analyst_id = make_user(engine, "analyst@example.kg", role="analyst", project=odk.project_id)
    analyst = headers_for(app, analyst_id)
    _same_as_missing(client, odk, record, analyst)
    grant = client.post(f"{base}/personal-data-access/{analyst_id}", headers=odk.manager)
    assert grant.status_code in (200, 204)
    assert _history(client, odk, record, analyst).status_code == 200
