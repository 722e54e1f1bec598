"""An app user reaches only the entity lists of the forms assigned to it, on every path."""

from __future__ import annotations

import time
import uuid
from typing import Any

import pytest

from tests.entities.conftest import Lists
from tests.entities.test_entity_lists_on_phones import _activities, _publish_example
from tests.factories import bearer, make_app_user

WATER_POINT = "5d0c7a1e-3b2f-4c6d-9e8f-a1b2c3d4e5f6"


@pytest.fixture
def phone(lists: Lists, engine: Any) -> dict[str, str]:
    """An officer's phone assigned only the form that updates LAP activities."""
    _publish_example(lists, "local_action_plan_activity")  # writes lap_activities
    _publish_example(lists, "update_lap_activity")  # reads lap_activities.csv
    _activities(lists, {"Water committee": "kara-bulak"})
    lists.create_list("water_points", ("village",))  # no assigned form uses it
    lists.create_entity("water_points", WATER_POINT, "Spring 3", village="Ak-Sai")
    _, key = make_app_user(engine, lists.project_id, forms=("update_lap_activity",))
    return bearer(key)


def test_the_list_routes_show_an_app_user_only_its_forms_lists(
    lists: Lists, phone: dict[str, str]
) -> None:
    names = [d["name"] for d in lists.client.get(lists.url(), headers=phone).json()]
    assert names == ["lap_activities"]
    assert lists.client.get(lists.url("/lap_activities/entities"), headers=phone).status_code == 200
    for path in ("/water_points", "/water_points/entities", "/water_points/entities.csv",
                 f"/water_points/entities/{WATER_POINT}"):
        hidden = lists.client.get(lists.url(path), headers=phone)
        assert hidden.status_code == 404, path
    managers = [d["name"] for d in lists.client.get(lists.url(), headers=lists.manager).json()]
    assert managers == ["lap_activities", "water_points"]


def test_the_sync_feed_sends_an_app_user_only_its_forms_lists(
    lists: Lists, phone: dict[str, str]
) -> None:
    feed = f"/v1/projects/{lists.project_id}/sync/pull"
    changes = lists.client.get(feed, headers=phone).json()["changes"]
    assert {c["dataset"] for c in changes if c["type"] == "entity"} == {"lap_activities"}
    everything = lists.client.get(feed, headers=lists.manager).json()["changes"]
    assert {c["dataset"] for c in everything if c["type"] == "entity"} == {
        "lap_activities", "water_points"
    }


def test_a_push_to_a_list_no_assigned_form_uses_is_refused(
    lists: Lists, phone: dict[str, str]
) -> None:
    hlc = f"{int(time.time() * 1000):013d}-00000-phone-1"
    op = {"op_id": str(uuid.uuid4()), "client_seq": 1, "type": "entity",
          "dataset": "water_points", "record_id": WATER_POINT, "base_version": 1, "hlc": hlc,
          "fields": {"village": "Kara-Bak"}}
    pushed = lists.client.post(f"/v1/projects/{lists.project_id}/sync/push", headers=phone,
                               json={"device_id": "phone-1", "ops": [op]})
    assert pushed.status_code == 200, pushed.text
    [result] = pushed.json()["results"]
    assert result["status"] == "rejected"
    assert result["error"]["code"] == "dataset_unknown"
    entity = lists.get("water_points", WATER_POINT)
    assert entity["currentVersion"]["data"] == {"village": "Ak-Sai"}
