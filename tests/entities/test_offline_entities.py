"""ODK's offline entity scenarios: creates and updates from submissions, branches, the backlog."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from server.models.base import utcnow
from server.services.entity_backlog import run_due_backlog
from tests.entities.conftest import Lists
from tests.entities.forms import CREATE_MD, UPDATE_MD, create_xml, publish, submit, update_xml
from tests.factories import make_app_user

ACT = "0b7c5d3e-8a41-4f7e-9c2d-6e1f0a9b8c7d"


@pytest.fixture
def acts(lists: Lists) -> Lists:
    publish(lists.client, lists.manager, lists.project_id, CREATE_MD)
    publish(lists.client, lists.manager, lists.project_id, UPDATE_MD)
    submit(lists.client, lists.manager, lists.project_id, create_xml(ACT, "Water committee"))
    return lists


def _send(lists: Lists, xml: bytes) -> None:
    submit(lists.client, lists.manager, lists.project_id, xml)


def _entity(lists: Lists) -> dict[str, Any]:
    return lists.get("acts", ACT)


def test_publishing_a_form_with_an_entities_sheet_creates_its_list_and_properties(
        lists: Lists) -> None:
    publish(lists.client, lists.manager, lists.project_id, CREATE_MD)
    body = lists.client.get(lists.url("/acts"), headers=lists.manager).json()
    assert [p["name"] for p in body["properties"]] == ["status", "progress", "ayil_aimak"]
    assert body["sourceForms"] == [{"xmlFormId": "create_act", "name": "create_act"}]


def test_a_create_submission_makes_an_entity_with_its_label_and_properties(acts: Lists) -> None:
    current = _entity(acts)["currentVersion"]
    assert (current["version"], current["label"]) == (1, "Water committee")
    assert current["data"] == {"status": "planned", "progress": "0", "ayil_aimak": "kara-bulak"}


def test_offline_updates_in_order_apply_one_after_the_other(acts: Lists) -> None:
    _send(acts, update_xml(ACT, status="started", progress="0", base=1, trunk=1, branch="b1"))
    _send(acts, update_xml(ACT, status="started", progress="40", base=2, trunk=1, branch="b1"))
    entity = _entity(acts)
    assert entity["currentVersion"]["version"] == 3 and entity["conflict"] is None
    assert entity["currentVersion"]["data"]["progress"] == "40"
    assert entity["currentVersion"]["data"]["status"] == "started"


def test_an_update_that_arrives_before_its_predecessor_waits_then_applies(acts: Lists) -> None:
    _send(acts, update_xml(ACT, status="started", progress="40", base=2, trunk=1, branch="b1"))
    assert _entity(acts)["currentVersion"]["version"] == 1  # held in the backlog
    _send(acts, update_xml(ACT, status="started", progress="0", base=1, trunk=1, branch="b1"))
    entity = _entity(acts)
    assert entity["currentVersion"]["version"] == 3 and entity["conflict"] is None
    assert entity["currentVersion"]["data"]["progress"] == "40"


def test_an_update_before_the_create_waits_for_the_create(lists: Lists) -> None:
    publish(lists.client, lists.manager, lists.project_id, CREATE_MD)
    publish(lists.client, lists.manager, lists.project_id, UPDATE_MD)
    _send(lists, update_xml(ACT, status="started", progress="10", base=1, branch="b1"))
    assert lists.client.get(lists.url(f"/acts/entities/{ACT}"),
                            headers=lists.manager).status_code == 404
    _send(lists, create_xml(ACT, "Water committee"))
    current = _entity(lists)["currentVersion"]
    assert current["version"] == 2 and current["data"]["status"] == "started"


def test_two_phones_editing_different_properties_merge_without_conflict(acts: Lists) -> None:
    _send(acts, update_xml(ACT, status="done", progress="0", base=1, trunk=1, branch="phone-a"))
    _send(acts, update_xml(ACT, status="planned", progress="80", base=1, trunk=1, branch="phone-b"))
    entity = _entity(acts)
    assert entity["currentVersion"]["data"]["status"] == "done"
    assert entity["currentVersion"]["data"]["progress"] == "80"
    assert entity["conflict"] == "soft"  # as Central says; no Kenesh conflict is opened
    assert entity["currentVersion"]["conflictingProperties"] is None
    conflicts = acts.client.get(f"/v1/projects/{acts.project_id}/conflicts",
                                headers=acts.manager)
    assert conflicts.status_code == 200, conflicts.text
    assert conflicts.json() == []
    [change] = _feed_entities(acts)
    assert change["record_id"] == ACT and change["version"] == 3
    assert change["conflict"] is False
    assert (change["fields"]["status"], change["fields"]["progress"]) == ("done", "80")


def test_two_phones_changing_the_same_property_conflict_and_keep_both_values(
        acts: Lists) -> None:
    _send(acts, update_xml(ACT, status="done", progress="0", base=1, trunk=1, branch="phone-a"))
    _send(acts, update_xml(ACT, status="stalled", progress="0", base=1, trunk=1, branch="phone-b"))
    entity = _entity(acts)
    assert entity["conflict"] == "hard"
    assert entity["currentVersion"]["conflictingProperties"] == ["status"]
    versions = acts.client.get(acts.url(f"/acts/entities/{ACT}/versions"),
                               headers=acts.manager).json()
    assert {v["dataReceived"]["status"] for v in versions[1:]} == {"done", "stalled"}
    conflicts = acts.client.get(f"/v1/projects/{acts.project_id}/conflicts",
                                headers=acts.manager)
    assert conflicts.status_code == 200, conflicts.text
    [conflict] = conflicts.json()
    assert (conflict["type"], conflict["record_id"], conflict["field"]) == ("entity", ACT, "status")
    assert {conflict["kept"]["value"], conflict["other"]["value"]} == {"done", "stalled"}
    [change] = _feed_entities(acts)
    assert change["conflict"] is True


def test_a_conflict_resolved_through_the_api_reaches_the_phones(acts: Lists) -> None:
    _send(acts, update_xml(ACT, status="done", progress="0", base=1, trunk=1, branch="phone-a"))
    _send(acts, update_xml(ACT, status="stalled", progress="0", base=1, trunk=1, branch="phone-b"))
    resolved = acts.patch("acts", ACT, {"data": {"status": "done"}}, baseVersion="3",
                          resolve="true")
    assert resolved.status_code == 200, resolved.text
    assert resolved.json()["conflict"] is None
    assert resolved.json()["currentVersion"]["version"] == 4
    csv = acts.client.get(acts.url("/acts/entities.csv"), headers=acts.manager).text
    assert csv.splitlines()[1].startswith(f"{ACT},Water committee,4,done,")


def test_an_update_without_base_version_is_an_error_on_the_accepted_submission(
        acts: Lists) -> None:
    _send(acts, update_xml(ACT, status="done", progress="0", base=None))
    assert _entity(acts)["currentVersion"]["version"] == 1
    status = _statuses(acts, "update_act")
    assert status == [("error", "base_version_missing")]


def test_an_update_without_branch_on_an_old_base_version_merges_on_the_latest(
        acts: Lists, engine: Any) -> None:
    first = acts.patch("acts", ACT, {"data": {"progress": "20"}}, baseVersion="1")
    assert first.status_code == 200, first.text  # version 2: progress changed on the server
    # A phone made it on version 1, without a branch (an older Collect, a stale list).
    _, key = make_app_user(engine, acts.project_id, forms=("update_act",))
    phone = acts.client.post(
        f"/v1/key/{key}/projects/{acts.project_id}/submission",
        headers={"X-OpenRosa-Version": "1.0"},
        files={"xml_submission_file": (
            "submission.xml", update_xml(ACT, status="started", progress="0", base=1),
            "text/xml")})
    assert phone.status_code == 201, phone.text
    entity = _entity(acts)
    assert entity["currentVersion"]["version"] == 3
    assert entity["currentVersion"]["baseVersion"] == 1
    # Only what the phone changed against version 1 is written: progress "0" was already
    # there, so the server's "20" stays; status is new.
    assert entity["currentVersion"]["data"]["status"] == "started"
    assert entity["currentVersion"]["data"]["progress"] == "20"
    assert entity["conflict"] == "soft"
    assert _statuses(acts, "update_act") == [("applied", None)]


def test_an_update_without_branch_on_a_base_version_that_never_existed_is_an_error(
        acts: Lists) -> None:
    _send(acts, update_xml(ACT, status="started", progress="0", base=7))
    assert _entity(acts)["currentVersion"]["version"] == 1
    assert _statuses(acts, "update_act") == [("error", "base_version_not_found")]


def test_an_update_whose_trunk_is_ahead_of_the_server_is_an_error(acts: Lists) -> None:
    _send(acts, update_xml(ACT, status="done", progress="0", base=9, trunk=9, branch="b1"))
    assert _entity(acts)["currentVersion"]["version"] == 1
    assert _statuses(acts, "update_act") == [("error", "trunk_version_ahead")]


def test_a_held_update_is_applied_on_the_latest_version_after_the_timeout(
        acts: Lists, engine: Any) -> None:
    _send(acts, update_xml(ACT, status="started", progress="40", base=2, trunk=1, branch="b1"))
    five_days = timedelta(days=5)
    assert run_due_backlog(engine, five_days, now=utcnow()) == 0
    assert run_due_backlog(engine, five_days, now=utcnow() + timedelta(days=6)) == 1
    entity = _entity(acts)
    assert entity["currentVersion"]["version"] == 2 and entity["conflict"] == "soft"
    assert entity["currentVersion"]["data"]["progress"] == "40"


def test_approval_required_lists_create_entities_only_when_approved(lists: Lists) -> None:
    lists.create_list("acts", approval_required=True)
    publish(lists.client, lists.manager, lists.project_id, CREATE_MD)
    other = "1c2d3e4f-5a6b-4c7d-8e9f-0a1b2c3d4e5f"
    _send(lists, create_xml(ACT, "Approved one"))
    _send(lists, create_xml(other, "Rejected one"))
    assert lists.client.get(lists.url("/acts/entities"), headers=lists.manager).json() == []
    subs = lists.client.get(f"/v1/projects/{lists.project_id}/forms/create_act/submissions",
                            headers=lists.manager).json()
    for sub in subs:
        xml = lists.client.get(
            f"/v1/projects/{lists.project_id}/forms/create_act/submissions/"
            f"{sub['instanceId']}.xml", headers=lists.manager).text
        state = "approved" if ACT in xml else "rejected"
        lists.client.patch(f"/v1/projects/{lists.project_id}/forms/create_act/submissions/"
                           f"{sub['instanceId']}", headers=lists.manager,
                           json={"reviewState": state})
    listed = lists.client.get(lists.url("/acts/entities"), headers=lists.manager).json()
    assert [e["uuid"] for e in listed] == [ACT]


def _feed_entities(lists: Lists) -> list[dict[str, Any]]:
    """The entity changes of the sync feed (what JSON-sync phones receive)."""
    feed = lists.client.get(f"/v1/projects/{lists.project_id}/sync/pull", headers=lists.manager)
    assert feed.status_code == 200, feed.text
    return [c for c in feed.json()["changes"] if c["type"] == "entity"]


def _statuses(lists: Lists, form_id: str) -> list[tuple[str, str | None]]:
    subs = lists.client.get(f"/v1/projects/{lists.project_id}/forms/{form_id}/submissions",
                            headers=lists.manager).json()
    out = []
    for sub in subs:
        rows = lists.client.get(
            f"/v1/projects/{lists.project_id}/forms/{form_id}/submissions/"
            f"{sub['instanceId']}/entities", headers=lists.manager).json()
        out += [(r["status"], (r["error"] or {}).get("code")) for r in rows]
    return out


def test_with_the_default_timeout_an_entity_read_leaves_a_held_update_waiting(
        acts: Lists) -> None:
    _send(acts, update_xml(ACT, status="started", progress="40", base=2, trunk=1, branch="b1"))
    assert _entity(acts)["currentVersion"]["version"] == 1
    assert acts.client.get(acts.url("/acts.svc/Entities"), headers=acts.manager).status_code == 200
    assert _entity(acts)["currentVersion"]["version"] == 1
    assert _statuses(acts, "update_act") == [("held", None)]
