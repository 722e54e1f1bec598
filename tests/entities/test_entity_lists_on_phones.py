"""Entity lists on phones: the example forms, the CSV in the manifest, scope, integrity."""

from __future__ import annotations

import csv
import io
import re
from typing import Any

from server.db import unit_of_work
from server.models import ActorScope, ProjectScope
from tests.entities.conftest import Lists
from tests.entities.forms import OPENROSA, add_activities, publish_example
from tests.factories import bearer, make_app_user


def _scope_officer(engine: Any, project_id: int, actor_id: int, places: list[str]) -> None:
    with unit_of_work(engine) as uow:
        uow.session.add(ProjectScope(project_id=project_id, mode="location",
                                     field="/data/location/ayil_aimak"))
        uow.session.add(ActorScope(project_id=project_id, actor_id=actor_id,
                                   scope_values=places))
        uow.commit()


def _kara_bulak_phone(lists: Lists, engine: Any) -> str:
    """Both example forms, three activities (two in Kara-Bulak) and the key of a phone
    scoped to Kara-Bulak."""
    publish_example(lists, "local_action_plan_activity")
    publish_example(lists, "update_lap_activity")
    actor, key = make_app_user(engine, lists.project_id, forms=("update_lap_activity",))
    _scope_officer(engine, lists.project_id, actor, ["kara-bulak"])
    add_activities(lists, {"Water committee": "kara-bulak", "Youth forum": "kyzyl-kiya",
                           "Clinic repair": "kara-bulak"})
    return key


def test_publishing_the_example_activity_form_creates_lap_activities(lists: Lists) -> None:
    publish_example(lists, "local_action_plan_activity")
    body = lists.client.get(lists.url("/lap_activities"), headers=lists.manager).json()
    names = [p["name"] for p in body["properties"]]
    assert {"ayil_aimak", "status", "progress", "budget_spent"} <= set(names)
    assert body["sourceForms"][0]["xmlFormId"] == "local_action_plan_activity"


def test_the_update_form_gets_lap_activities_csv_from_the_list(lists: Lists) -> None:
    publish_example(lists, "local_action_plan_activity")
    publish_example(lists, "update_lap_activity")
    add_activities(lists, {"Water committee": "kara-bulak"})
    base = f"/v1/projects/{lists.project_id}/forms/update_lap_activity"
    manifest = lists.client.get(base + "/manifest", headers={**lists.manager, **OPENROSA}).text
    assert '<mediaFile type="entityList"><filename>lap_activities.csv</filename>' in manifest
    assert "/datasets/lap_activities/integrity" in manifest
    download = lists.client.get(base + "/attachments/lap_activities.csv", headers=lists.manager)
    assert download.status_code == 200
    rows = list(csv.DictReader(io.StringIO(download.text)))
    assert [(r["label"], r["__version"], r["ayil_aimak"]) for r in rows] == [
        ("Water committee", "1", "kara-bulak")]
    assert list(rows[0])[:3] == ["name", "label", "__version"]
    again = lists.client.get(base + "/attachments/lap_activities.csv",
                             headers={**lists.manager, "If-None-Match": download.headers["etag"]})
    assert again.status_code == 304


def test_the_list_hash_changes_when_an_entity_changes(lists: Lists) -> None:
    publish_example(lists, "local_action_plan_activity")
    publish_example(lists, "update_lap_activity")
    add_activities(lists, {"Water committee": "kara-bulak"})
    url = f"/v1/projects/{lists.project_id}/forms/update_lap_activity/manifest"
    before = lists.client.get(url, headers={**lists.manager, **OPENROSA}).text
    [entity] = lists.client.get(lists.url("/lap_activities/entities"),
                                headers=lists.manager).json()
    lists.patch("lap_activities", entity["uuid"], {"data": {"status": "done"}}, baseVersion="1")
    after = lists.client.get(url, headers={**lists.manager, **OPENROSA}).text
    assert before != after


def test_an_officer_phone_gets_only_its_ayil_aimak(lists: Lists, engine: Any) -> None:
    key = _kara_bulak_phone(lists, engine)
    prefix = f"/v1/key/{key}/projects/{lists.project_id}/forms/update_lap_activity"
    download = lists.client.get(prefix + "/attachments/lap_activities.csv")
    assert download.status_code == 200, download.text
    labels = sorted(r["label"] for r in csv.DictReader(io.StringIO(download.text)))
    assert labels == ["Clinic repair", "Water committee"]
    everyone = lists.client.get(f"/v1/projects/{lists.project_id}/forms/update_lap_activity/"
                                "attachments/lap_activities.csv", headers=lists.manager)
    assert len(list(csv.DictReader(io.StringIO(everyone.text)))) == 3
    assert bearer(key)  # the same key works as a bearer token on REST reads
    manifest = lists.client.get(prefix + "/manifest", headers=OPENROSA).text
    manager_manifest = lists.client.get(
        f"/v1/projects/{lists.project_id}/forms/update_lap_activity/manifest",
        headers={**lists.manager, **OPENROSA}).text
    assert manifest != manager_manifest  # each view of the list has its own hash


def test_integrity_reports_deleted_entities(lists: Lists) -> None:
    lists.create_list("acts")
    kept = lists.create_entity("acts", "11111111-1111-4111-8111-111111111111", "Kept")
    gone = lists.create_entity("acts", "22222222-2222-4222-8222-222222222222", "Gone")
    lists.client.delete(lists.url(f"/acts/entities/{gone['uuid']}"), headers=lists.manager)
    response = lists.client.get(lists.url("/acts/integrity"), headers=lists.manager,
                                params={"id": f"{kept['uuid']},{gone['uuid']}"})
    assert response.status_code == 200
    assert f'<entity id="{kept["uuid"]}"><deleted>false</deleted></entity>' in response.text
    assert f'<entity id="{gone["uuid"]}"><deleted>true</deleted></entity>' in response.text


def _integrity(lists: Lists, url: str, ids: list[str] | None,
               headers: dict[str, str] | None = None) -> dict[str, str]:
    params = {"id": ",".join(ids)} if ids is not None else {}
    response = lists.client.get(url, params=params, headers={**OPENROSA, **(headers or {})})
    assert response.status_code == 200, response.text
    return dict(re.findall(r'<entity id="([^"]+)"><deleted>(true|false)</deleted>', response.text))


def test_integrity_tells_a_scoped_phone_to_drop_rows_that_left_its_scope(
        lists: Lists, engine: Any) -> None:
    key = _kara_bulak_phone(lists, engine)
    ids = _uuids_by_label(lists)
    lists.client.delete(lists.url(f"/lap_activities/entities/{ids['Clinic repair']}"),
                        headers=lists.manager)
    moved = lists.patch("lap_activities", ids["Water committee"],
                        {"data": {"ayil_aimak": "kyzyl-kiya"}}, baseVersion="1")
    assert moved.status_code == 200, moved.text
    asked = [ids["Water committee"], ids["Clinic repair"], ids["Youth forum"]]
    key_url = (f"/v1/key/{key}/projects/{lists.project_id}/datasets/lap_activities/integrity")
    rest_url = lists.url("/lap_activities/integrity")
    for url, headers in ((key_url, None), (rest_url, bearer(key))):
        assert _integrity(lists, url, asked, headers) == {
            ids["Water committee"]: "true",  # moved out of the officer's ayil aimak
            ids["Clinic repair"]: "true",  # deleted
            ids["Youth forum"]: "true",  # never in scope: the phone drops it if it has it
        }
        # Asked about nothing in particular, a phone learns nothing of other places' rows.
        assert ids["Youth forum"] not in _integrity(lists, url, None, headers)
    assert _integrity(lists, rest_url, asked, lists.manager) == {
        ids["Water committee"]: "false", ids["Clinic repair"]: "true",
        ids["Youth forum"]: "false"}


def _uuids_by_label(lists: Lists) -> dict[str, str]:
    listed = lists.client.get(lists.url("/lap_activities.svc/Entities"),
                              headers=lists.manager).json()["value"]
    return {row["label"]: row["__id"] for row in listed}
