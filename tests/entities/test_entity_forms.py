"""Entities sheets in use: create_if / update_if, and the example LAP forms end to end.

ODK Collect evaluates `create_if` and `update_if` (calculates on the `create` and `update`
attributes of meta/entity) and sends the result, "true" or "false"; the server creates or
updates only when it is true, and a false one makes no entity request at all.
"""

from __future__ import annotations

import csv
import io
import re
import uuid as uuidlib
from typing import Any

from tests.entities.conftest import Lists
from tests.entities.forms import OPENROSA, publish, publish_example, submit
from tests.factories import make_app_user

CREATE_IF_MD = """
| survey |            |            |            |            |
|        | type       | name       | label      | save_to    |
|        | text       | title      | Title      |            |
|        | select_one yn | plan    | Plan it?   |            |
|        | text       | status     | Status     | status     |
| choices |           |            |            |            |
|        | list_name  | name       | label      |            |
|        | yn         | yes        | Yes        |            |
|        | yn         | no         | No         |            |
| entities |          |            |            |            |
|        | list_name  | label      | create_if  |            |
|        | acts       | ${title}   | ${plan} = 'yes' |       |
| settings |          |            |            |            |
|        | form_id    | version    |            |            |
|        | plan_act   | 1          |            |            |
"""

UPSERT_MD = """
| survey |            |            |            |            |            |
|        | type       | name       | label      | save_to    |            |
|        | text       | act        | Activity id |           |            |
|        | select_one mode | mode  | New or edit |           |            |
|        | text       | title      | Title      |            |            |
|        | text       | status     | Status     | status     |            |
| choices |           |            |            |            |            |
|        | list_name  | name       | label      |            |            |
|        | mode       | new        | New        |            |            |
|        | mode       | edit       | Edit       |            |            |
| entities |          |            |            |            |            |
|        | list_name  | entity_id  | label      | create_if  | update_if  |
|        | acts       | ${act}     | ${title}   | ${mode} = 'new' | ${mode} = 'edit' |
| settings |          |            |            |            |            |
|        | form_id    | version    |            |            |            |
|        | upsert_act | 1          |            |            |            |
"""


def _instance(lists: Lists, xml: str) -> str:
    body = xml.encode()
    submit(lists.client, lists.manager, lists.project_id, body)
    found = re.search(r"<instanceID>([^<]+)</instanceID>", xml)
    assert found is not None
    return found.group(1)


def _entity_rows(lists: Lists, form_id: str, instance_id: str) -> list[dict[str, Any]]:
    response = lists.client.get(
        f"/v1/projects/{lists.project_id}/forms/{form_id}/submissions/{instance_id}/entities",
        headers=lists.manager)
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


def _entities(lists: Lists, name: str = "acts") -> list[dict[str, Any]]:
    response = lists.client.get(lists.url(f"/{name}/entities"), headers=lists.manager)
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


def _plan(entity: str, title: str, plan: str, create: str) -> str:
    return (f'<data id="plan_act" version="1"><title>{title}</title><plan>{plan}</plan>'
            f'<status>planned</status><meta><entity dataset="acts" create="{create}" '
            f'id="{entity}"><label>{title}</label></entity>'
            f"<instanceID>uuid:{uuidlib.uuid4()}</instanceID></meta></data>")


def _upsert(entity: str, mode: str, status: str, *, create: str, update: str,
            base: str = "") -> str:
    return (f'<data id="upsert_act" version="1"><act>{entity}</act><mode>{mode}</mode>'
            f"<title>Water committee</title><status>{status}</status><meta>"
            f'<entity dataset="acts" create="{create}" update="{update}" baseVersion="{base}" '
            f'trunkVersion="{base}" branchId="" id="{entity}"><label>Water committee</label>'
            f"</entity><instanceID>uuid:{uuidlib.uuid4()}</instanceID></meta></data>")


def test_create_if_goes_to_the_phone_and_creates_only_when_true(lists: Lists) -> None:
    publish(lists.client, lists.manager, lists.project_id, CREATE_IF_MD)
    xform = lists.client.get(f"/v1/projects/{lists.project_id}/forms/plan_act.xml",
                             headers=lists.manager).text
    assert 'nodeset="/data/meta/entity/@create" calculate=" /data/plan  = \'yes\'"' in xform
    skipped_id, created_id = str(uuidlib.uuid4()), str(uuidlib.uuid4())
    skipped = _instance(lists, _plan(skipped_id, "Not now", "no", "false"))
    created = _instance(lists, _plan(created_id, "Water committee", "yes", "true"))
    assert [e["uuid"] for e in _entities(lists)] == [created_id]
    assert lists.get("acts", created_id)["currentVersion"]["data"] == {"status": "planned"}
    assert _entity_rows(lists, "plan_act", skipped) == []  # no request, no error
    assert [r["status"] for r in _entity_rows(lists, "plan_act", created)] == ["applied"]


def test_update_if_and_create_if_in_one_form_create_then_update(lists: Lists) -> None:
    publish(lists.client, lists.manager, lists.project_id, UPSERT_MD)
    xform = lists.client.get(f"/v1/projects/{lists.project_id}/forms/upsert_act.xml",
                             headers=lists.manager).text
    assert 'nodeset="/data/meta/entity/@update" calculate=" /data/mode  = \'edit\'"' in xform
    act = str(uuidlib.uuid4())
    first = _instance(lists, _upsert(act, "new", "planned", create="true", update="false"))
    assert lists.get("acts", act)["currentVersion"]["version"] == 1
    assert [r["action"] for r in _entity_rows(lists, "upsert_act", first)] == ["create"]
    neither = _instance(lists, _upsert(act, "", "cancelled", create="false", update="false",
                                       base="1"))
    assert _entity_rows(lists, "upsert_act", neither) == []
    assert lists.get("acts", act)["currentVersion"]["data"] == {"status": "planned"}
    edit = _instance(lists, _upsert(act, "edit", "started", create="false", update="true",
                                    base="1"))
    current = lists.get("acts", act)["currentVersion"]
    assert (current["version"], current["data"]) == (2, {"status": "started"})
    assert [(r["action"], r["status"]) for r in _entity_rows(lists, "upsert_act", edit)] == [
        ("update", "applied")]


def _form_version(lists: Lists, form_id: str) -> str:
    form = lists.client.get(f"/v1/projects/{lists.project_id}/forms/{form_id}",
                            headers=lists.manager).json()
    return str(form["version"])


def _send_from_phone(lists: Lists, key: str, xml: str) -> None:
    response = lists.client.post(
        f"/v1/key/{key}/projects/{lists.project_id}/submission", headers=OPENROSA,
        files={"xml_submission_file": ("submission.xml", xml.encode(), "text/xml")})
    assert response.status_code == 201, response.text


def _new_activity(version: str, activity: str, name: str) -> str:
    return (
        f'<data id="local_action_plan_activity" version="{version}"><location>'
        "<oblast>batken</oblast><rayon>batken_rayon</rayon><ayil_aimak>ak_say</ayil_aimak>"
        "<gps/></location><goal>goal_1</goal><task>task_1_1</task>"
        f"<activity_name>{name}</activity_name><responsible>lsg</responsible>"
        "<responsible_other/><due_date>2026-06-30</due_date>"
        "<budget_planned>50000</budget_planned><budget_spent>0</budget_spent>"
        "<status>planned</status><progress>0</progress>"
        "<women_participants>12</women_participants><evidence_photo/><meta>"
        f'<entity dataset="lap_activities" create="1" id="{activity}"><label>{name}</label>'
        f"</entity><instanceID>uuid:{uuidlib.uuid4()}</instanceID></meta></data>")


def _activity_update(version: str, activity: str, base: str) -> str:
    return (
        f'<data id="update_lap_activity" version="{version}"><activity>{activity}</activity>'
        f"<current_progress>0</current_progress><current_spent>0</current_spent>"
        "<current_note/><status>in_progress</status><progress>40</progress>"
        "<budget_spent>12500</budget_spent><update_note>Two meetings held</update_note>"
        '<evidence_photo/><meta><entity dataset="lap_activities" update="1" '
        f'baseVersion="{base}" trunkVersion="{base}" branchId="{uuidlib.uuid4()}" '
        f'id="{activity}"/><instanceID>uuid:{uuidlib.uuid4()}</instanceID></meta></data>')


def test_the_example_forms_create_then_update_an_activity_over_openrosa(
        lists: Lists, engine: Any) -> None:
    publish_example(lists, "local_action_plan_activity")
    publish_example(lists, "update_lap_activity")
    _, key = make_app_user(engine, lists.project_id,
                           forms=("local_action_plan_activity", "update_lap_activity"))
    activity = str(uuidlib.uuid4())
    _send_from_phone(lists, key, _new_activity(
        _form_version(lists, "local_action_plan_activity"), activity, "Women's water committee"))
    created = lists.get("lap_activities", activity)["currentVersion"]
    assert (created["version"], created["label"]) == (1, "Women's water committee")
    assert {k: created["data"][k] for k in ("ayil_aimak", "status", "progress", "budget_spent",
                                            "budget_planned", "goal", "task")} == {
        "ayil_aimak": "ak_say", "status": "planned", "progress": "0", "budget_spent": "0",
        "budget_planned": "50000", "goal": "goal_1", "task": "task_1_1"}

    # The phone gets the activity in the update form's list and edits it (Collect sends the
    # row's __version as baseVersion).
    csv_url = (f"/v1/key/{key}/projects/{lists.project_id}/forms/update_lap_activity/"
               "attachments/lap_activities.csv")
    [row] = list(csv.DictReader(io.StringIO(lists.client.get(csv_url).text)))
    assert (row["name"], row["__version"]) == (activity, "1")
    _send_from_phone(lists, key, _activity_update(
        _form_version(lists, "update_lap_activity"), activity, row["__version"]))

    entity = lists.get("lap_activities", activity)
    current = entity["currentVersion"]
    assert current["version"] == 2 and entity["conflict"] is None
    assert (current["data"]["status"], current["data"]["progress"],
            current["data"]["budget_spent"], current["data"]["last_note"]) == (
        "in_progress", "40", "12500", "Two meetings held")
    assert current["data"]["budget_planned"] == "50000"  # not in the update form: kept
    [after] = list(csv.DictReader(io.StringIO(lists.client.get(csv_url).text)))
    assert (after["__version"], after["status"], after["progress"]) == ("2", "in_progress", "40")
