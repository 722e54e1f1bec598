"""Who may export what: record scope, sensitive forms, and the audit log of every download."""

from __future__ import annotations

import csv
import io

from sqlmodel import select

from server.db import unit_of_work
from server.models import Audit
from tests.exports.conftest import World, instance_xml, read_zip
from tests.factories import headers_for, make_user, publish_sensitive_form


def incident_xml(instance_id: str, what: str) -> bytes:
    return (f'<data id="incident" version="1"><what>{what}</what>'
            f"<meta><instanceID>{instance_id}</instanceID></meta></data>").encode()


def test_a_scoped_collectors_export_holds_only_their_records(world: World) -> None:
    collector_id = make_user(world.engine, "collector@example.kg", role="collector",
                             project=world.project_id)
    collector = headers_for(world.app, collector_id)
    world.submit(instance_xml("uuid:mine", "3", {"age": "41", "name": "Мой"}), collector)
    scope = world.client.put(f"/v1/projects/{world.project_id}/scope", json={"mode": "own"},
                             headers=world.manager)
    assert scope.status_code == 200, scope.text
    for fmt in ("csv", "csv.zip", "xlsx", "geojson"):
        assert world.export(f"submissions.{fmt}", collector).status_code == 200, fmt
    rows = list(csv.DictReader(io.StringIO(world.export("submissions.csv", collector).text)))
    assert [row["KEY"] for row in rows] == ["uuid:mine"]
    everything = world.export("submissions.csv").text
    assert "uuid:old" in everything and "uuid:mine" in everything


def test_an_analyst_needs_a_personal_data_grant_to_export_a_sensitive_form(world: World) -> None:
    publish_sensitive_form(world.client, world.project_id, world.manager)
    world.submit(incident_xml("uuid:incident", "threat"))
    analyst_id = make_user(world.engine, "analyst@example.kg", role="analyst",
                           project=world.project_id)
    analyst = headers_for(world.app, analyst_id)
    url = world.url("submissions.csv.zip", form="incident")
    assert world.client.get(url, headers=analyst).status_code == 403
    assert world.client.get(world.url("submissions.csv"), headers=analyst).status_code == 200
    grant = f"/v1/projects/{world.project_id}/personal-data-access/{analyst_id}"
    assert world.client.post(grant, headers=world.manager).status_code in (200, 204)
    response = world.client.get(url, headers=analyst, params={"attachments": "false"})
    assert response.status_code == 200
    assert read_zip(response.content)["incident.csv"][0]["what"] == "threat"


def test_every_export_is_in_the_audit_log_with_its_filters(world: World) -> None:
    world.export("submissions.csv", **{"$filter": "district eq 'osh'"}, lang="ky")
    world.export("submissions.xlsx", reviewState="approved,received")
    with unit_of_work(world.engine, write=False) as uow:
        rows = uow.session.exec(select(Audit).where(Audit.action == "export.download")
                                .order_by(Audit.id)).all()
    assert [(r.actor_id, r.target) for r in rows] == [(world.manager_id, "form:consult")] * 2
    assert rows[0].details is not None and rows[1].details is not None
    assert rows[0].details["filter"] == "district eq 'osh'" and rows[0].details["lang"] == "ky"
    assert rows[0].details["format"] == "csv"
    assert rows[1].details["review_states"] == ["approved", "received"]
    assert rows[0].request_id


def test_a_refused_export_writes_no_audit_row(world: World) -> None:
    assert world.export("submissions.csv", **{"$filter": "age gt"}).status_code == 400
    with unit_of_work(world.engine, write=False) as uow:
        found = uow.session.exec(select(Audit).where(Audit.action == "export.download")).all()
    assert found == []
