"""Reading a sensitive form's records is on the record; an analyst without a grant sees counts.

Every path that shows a sensitive form's submissions to a person writes a `submission.read`
audit row: the single read, its XML, its versions (every version's XML), and a sync pull that
ships such records (one row per pull, naming the forms and how many records).
"""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from sqlmodel import col, select

from server.db import unit_of_work
from server.models import Audit
from tests.factories import headers_for, make_user, publish_sensitive_form
from tests.odk.conftest import Setup, instance_xml
from tests.odk.conftest import odk as odk  # noqa: F401 - the fixture, shared with tests/odk


def incident_xml(instance_id: str, what: str = "threat") -> bytes:
    return (f'<data id="incident" version="1"><what>{what}</what>'
            f"<meta><instanceID>{instance_id}</instanceID></meta></data>").encode()


def submit(client: Any, setup: Setup, form: str, xml: bytes) -> None:
    url = f"/v1/projects/{setup.project_id}/forms/{form}/submissions"
    response = client.post(url, content=xml, headers=setup.manager)
    assert response.status_code == 200, response.text


@pytest.fixture
def incident(client: Any, odk: Setup) -> str:  # noqa: F811
    """A sensitive form with one submission (and its id)."""
    publish_sensitive_form(client, odk.project_id, odk.manager)
    instance_id = f"uuid:{uuid.uuid4()}"
    submit(client, odk, "incident", incident_xml(instance_id))
    return instance_id


def reads(engine: Any) -> list[Audit]:
    with unit_of_work(engine, write=False) as uow:
        return list(uow.session.exec(
            select(Audit).where(Audit.action == "submission.read").order_by(col(Audit.id))
        ).all())


@pytest.mark.parametrize("suffix", ["", ".xml", "/versions"])
def test_each_read_of_a_sensitive_submission_writes_an_audit_row(
    client: Any, engine: Any, odk: Setup, incident: str, suffix: str  # noqa: F811
) -> None:
    url = f"/v1/projects/{odk.project_id}/forms/incident/submissions/{incident}{suffix}"
    response = client.get(url, headers=odk.manager)
    assert response.status_code == 200, response.text
    if suffix:  # the XML, of the current version or of every version
        assert "threat" in response.text
    [row] = reads(engine)
    assert (row.target, row.request_id) == (incident, response.headers["x-request-id"])
    assert row.actor_id is not None


def test_reading_an_ordinary_form_writes_no_audit_row(
    client: Any, engine: Any, odk: Setup  # noqa: F811
) -> None:
    instance_id = f"uuid:{uuid.uuid4()}"
    submit(client, odk, "open_day", instance_xml(instance_id=instance_id))
    base = f"/v1/projects/{odk.project_id}/forms/open_day/submissions/{instance_id}"
    for suffix in ("", ".xml", "/versions"):
        assert client.get(base + suffix, headers=odk.manager).status_code == 200
    assert reads(engine) == []


def test_a_pull_that_ships_sensitive_records_writes_one_audit_row(
    client: Any, engine: Any, odk: Setup, incident: str  # noqa: F811
) -> None:
    submit(client, odk, "incident", incident_xml(f"uuid:{uuid.uuid4()}"))
    submit(client, odk, "open_day", instance_xml())
    url = f"/v1/projects/{odk.project_id}/sync/pull"
    first = client.get(url, headers=odk.manager)
    assert first.status_code == 200, first.text
    shipped = [c["form_id"] for c in first.json()["changes"]]
    assert sorted(shipped) == ["incident", "incident", "open_day"]
    [row] = reads(engine)
    assert row.target == "sync/pull"
    assert row.details == {"forms": {"incident": 2}, "records": 2}
    assert row.request_id == first.headers["x-request-id"]
    # A pull with nothing new, or nothing sensitive, is not a read of sensitive records.
    again = client.get(url, params={"cursor": first.json()["cursor"]}, headers=odk.manager)
    assert again.json()["changes"] == []
    submit(client, odk, "open_day", instance_xml())
    assert client.get(url, params={"cursor": again.json()["cursor"]},
                      headers=odk.manager).json()["changes"]
    assert len(reads(engine)) == 1


def test_an_analyst_without_a_grant_sees_the_count_but_not_the_records(
    app: Any, client: Any, engine: Any, odk: Setup, incident: str  # noqa: F811
) -> None:
    analyst_id = make_user(engine, "analyst@example.kg", role="analyst", project=odk.project_id)
    analyst = headers_for(app, analyst_id)
    base = f"/v1/projects/{odk.project_id}/forms"
    listed = client.get(base, headers={**analyst, "X-Extended-Metadata": "true"})
    assert listed.status_code == 200, listed.text
    [form] = [f for f in listed.json() if f["xmlFormId"] == "incident"]
    assert form["submissions"] == 1 and form["sensitive"] is True
    for path in ("/incident/submissions", f"/incident/submissions/{incident}",
                 f"/incident/submissions/{incident}.xml", "/incident.svc/Submissions"):
        response = client.get(base + path, headers=analyst)
        assert response.status_code == 403, (path, response.status_code)
        assert "threat" not in response.text
    assert reads(engine) == []
