"""Entities through the sync API: pushed as `type: "entity"` ops, pulled in the change feed, and
the same merge as REST and ODK submissions (one conflict queue for all)."""

from __future__ import annotations

import uuid
from typing import Any

from tests.entities.conftest import Lists

ACT = "0b7c5d3e-8a41-4f7e-9c2d-6e1f0a9b8c7d"


def _op(device_seq: int, fields: dict[str, str], base: int | None, hlc: str) -> dict[str, Any]:
    return {"op_id": str(uuid.uuid4()), "client_seq": device_seq, "type": "entity",
            "dataset": "acts", "record_id": ACT, "base_version": base, "hlc": hlc,
            "fields": fields}


def _push(lists: Lists, device: str, *ops: dict[str, Any]) -> list[dict[str, Any]]:
    response = lists.client.post(f"/v1/projects/{lists.project_id}/sync/push",
                                 headers=lists.manager, json={"device_id": device, "ops": ops})
    assert response.status_code == 200, response.text
    return response.json()["results"]  # type: ignore[no-any-return]


def _pull(lists: Lists) -> list[dict[str, Any]]:
    response = lists.client.get(f"/v1/projects/{lists.project_id}/sync/pull",
                                headers=lists.manager)
    assert response.status_code == 200, response.text
    return [c for c in response.json()["changes"] if c["type"] == "entity"]


def test_an_entity_created_over_rest_is_in_the_feed_with_its_rest_version(lists: Lists) -> None:
    lists.create_list("acts", ("status",))
    lists.create_entity("acts", ACT, "Water committee", status="planned")
    [change] = _pull(lists)
    assert change["dataset"] == "acts" and change["record_id"] == ACT
    assert change["version"] == 1 and change["conflict"] is False
    assert change["fields"] == {"label": "Water committee", "status": "planned"}


def test_a_pushed_entity_op_is_a_new_version_seen_by_rest(lists: Lists) -> None:
    lists.create_list("acts", ("status",))
    lists.create_entity("acts", ACT, "Water committee", status="planned")
    [result] = _push(lists, "phone-1", _op(1, {"status": "started"}, 1,
                                           "1764450000000-00001-phone-1"))
    assert (result["status"], result["version"]) == ("applied", 2)
    current = lists.get("acts", ACT)["currentVersion"]
    assert (current["version"], current["data"]) == (2, {"status": "started"})
    assert _pull(lists)[0]["version"] == 2


def test_a_phone_and_rest_changing_the_same_property_share_one_conflict(lists: Lists) -> None:
    lists.create_list("acts", ("status",))
    lists.create_entity("acts", ACT, "Water committee", status="planned")
    assert lists.patch("acts", ACT, {"data": {"status": "done"}},
                       baseVersion="1").status_code == 200
    [result] = _push(lists, "phone-1", _op(1, {"status": "stalled"}, 1,
                                           "1764450000000-00001-phone-1"))
    assert result["status"] == "conflict"
    entity = lists.get("acts", ACT)
    assert entity["conflict"] == "hard" and entity["currentVersion"]["version"] == 3
    [conflict] = lists.client.get(f"/v1/projects/{lists.project_id}/conflicts",
                                  headers=lists.manager).json()
    assert {conflict["kept"]["value"], conflict["other"]["value"]} == {"done", "stalled"}
    resolved = lists.client.post(
        f"/v1/projects/{lists.project_id}/conflicts/{conflict['id']}/resolve",
        headers=lists.manager, json={"value": "done"})
    assert resolved.status_code == 200, resolved.text
    entity = lists.get("acts", ACT)
    assert entity["conflict"] is None
    assert entity["currentVersion"]["data"] == {"status": "done"}
    assert _pull(lists)[0]["conflict"] is False


def test_an_op_for_a_property_the_list_lacks_is_rejected(lists: Lists) -> None:
    lists.create_list("acts", ("status",))
    [result] = _push(lists, "phone-1", _op(1, {"colour": "red", "label": "x"}, None,
                                           "1764450000000-00001-phone-1"))
    assert result["status"] == "rejected" and result["error"]["code"] == "property_unknown"
