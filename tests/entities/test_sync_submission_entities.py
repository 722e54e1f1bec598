"""Form submissions pushed as JSON through the sync API create and update entities, as over
OpenRosa."""

from __future__ import annotations

import uuid
from typing import Any

from tests.entities.conftest import Lists
from tests.entities.forms import CREATE_MD, UPDATE_MD, publish


def test_a_json_pushed_submission_of_an_entity_form_creates_the_entity(lists: Lists) -> None:
    publish(lists.client, lists.manager, lists.project_id, CREATE_MD)
    entity_id = str(uuid.uuid4())
    op = {
        "op_id": str(uuid.uuid4()),
        "client_seq": 1,
        "type": "submission",
        "form_id": "create_act",
        "record_id": f"uuid:{uuid.uuid4()}",
        "base_version": None,
        "hlc": "1764450000000-00001-laptop-1",
        "deleted": False,
        "attachments": [],
        "fields": {
            "/data/title": "Women's council on water",
            "/data/status": "planned",
            "/data/progress": "0",
            "/data/ayil_aimak": "kara-bulak",
            "/data/meta/entity/@dataset": "acts",
            "/data/meta/entity/@id": entity_id,
            "/data/meta/entity/@create": "1",
            "/data/meta/entity/label": "Women's council on water",
        },
    }
    pushed = lists.client.post(
        f"/v1/projects/{lists.project_id}/sync/push",
        headers=lists.manager,
        json={"device_id": "laptop-1", "ops": [op]},
    )
    assert pushed.status_code == 200, pushed.text
    assert pushed.json()["results"][0]["status"] == "applied"
    entity = lists.get("acts", entity_id)
    assert entity["currentVersion"]["label"] == "Women's council on water"
    assert entity["currentVersion"]["data"]["status"] == "planned"


def _push_update(lists: Lists, entity_id: str, base: int, status: str, progress: str,
                 device: str, branch: str | None = None) -> dict[str, Any]:
    op = {
        "op_id": str(uuid.uuid4()), "client_seq": 1, "type": "submission",
        "form_id": "update_act", "record_id": f"uuid:{uuid.uuid4()}", "base_version": None,
        "hlc": f"1764450000000-00001-{device}", "deleted": False, "attachments": [],
        "fields": {
            "/data/act": entity_id,
            "/data/status": status,
            "/data/progress": progress,
            "/data/meta/entity/@dataset": "acts",
            "/data/meta/entity/@id": entity_id,
            "/data/meta/entity/@update": "1",
            "/data/meta/entity/@baseVersion": str(base),
            "/data/meta/entity/@trunkVersion": str(base),
            "/data/meta/entity/@branchId": branch or str(uuid.uuid4()),
        },
    }
    pushed = lists.client.post(f"/v1/projects/{lists.project_id}/sync/push",
                               headers=lists.manager, json={"device_id": device, "ops": [op]})
    assert pushed.status_code == 200, pushed.text
    [result] = pushed.json()["results"]
    assert result["status"] == "applied", result  # the submission itself is always accepted
    return op


def test_a_json_pushed_submission_of_an_update_form_updates_the_entity(lists: Lists) -> None:
    publish(lists.client, lists.manager, lists.project_id, CREATE_MD)
    publish(lists.client, lists.manager, lists.project_id, UPDATE_MD)
    entity_id = str(uuid.uuid4())
    lists.create_entity("acts", entity_id, "Women's council on water", status="planned",
                        progress="0", ayil_aimak="kara-bulak")
    op = _push_update(lists, entity_id, 1, "started", "30", device="laptop-1")
    entity = lists.get("acts", entity_id)
    current = entity["currentVersion"]
    assert current["version"] == 2 and entity["conflict"] is None
    assert current["data"] == {"status": "started", "progress": "30", "ayil_aimak": "kara-bulak"}
    assert current["baseVersion"] == 1
    assert current["source"]["type"] == "submission"
    rows = lists.client.get(
        f"/v1/projects/{lists.project_id}/forms/update_act/submissions/{op['record_id']}"
        "/entities", headers=lists.manager).json()
    assert [(r["action"], r["status"], r["version"]) for r in rows] == [("update", "applied", 2)]


def test_json_pushed_updates_of_one_property_from_two_devices_conflict(lists: Lists) -> None:
    publish(lists.client, lists.manager, lists.project_id, CREATE_MD)
    publish(lists.client, lists.manager, lists.project_id, UPDATE_MD)
    entity_id = str(uuid.uuid4())
    lists.create_entity("acts", entity_id, "Clinic repair", status="planned", progress="0",
                        ayil_aimak="kara-bulak")
    _push_update(lists, entity_id, 1, "done", "0", device="laptop-1")
    _push_update(lists, entity_id, 1, "stalled", "0", device="laptop-2")
    entity = lists.get("acts", entity_id)
    assert entity["conflict"] == "hard"
    assert entity["currentVersion"]["conflictingProperties"] == ["status"]
    [conflict] = lists.client.get(f"/v1/projects/{lists.project_id}/conflicts",
                                  headers=lists.manager).json()
    assert {conflict["kept"]["value"], conflict["other"]["value"]} == {"done", "stalled"}
