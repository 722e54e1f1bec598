"""An app user reaches only the entity lists of the forms assigned to it, on every path."""

from __future__ import annotations

import time
import uuid
from typing import Any

import pytest

from tests.entities.conftest import Lists
from tests.entities.forms import OPENROSA, add_activities, publish_example
from tests.factories import bearer, make_app_user

WATER_POINT = "5d0c7a1e-3b2f-4c6d-9e8f-a1b2c3d4e5f6"


@pytest.fixture
def phone_key(lists: Lists, engine: Any) -> str:
    """The key of an officer's phone assigned only the form that updates LAP activities."""
    publish_example(lists, "local_action_plan_activity")  # writes lap_activities
    publish_example(lists, "update_lap_activity")  # reads lap_activities.csv
    add_activities(lists, {"Water committee": "kara-bulak"})
    lists.create_list("water_points", ("village",))  # no assigned form uses it
    lists.create_entity("water_points", WATER_POINT, "Spring 3", village="Ak-Sai")
    _, key = make_app_user(engine, lists.project_id, forms=("update_lap_activity",))
    return key


@pytest.fixture
def phone(phone_key: str) -> dict[str, str]:
    """The phone's key as a bearer token on REST reads."""
    return bearer(phone_key)


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


HIDDEN_READS = ("", "/entities", "/entities.csv", f"/entities/{WATER_POINT}",
                f"/entities/{WATER_POINT}/versions", f"/integrity?id={WATER_POINT}",
                ".svc", ".svc/$metadata", ".svc/Entities",
                f".svc/Entities?$filter=__id eq '{WATER_POINT}'")


@pytest.mark.parametrize("suffix", HIDDEN_READS)
def test_every_read_of_a_list_no_assigned_form_uses_is_404_like_a_missing_list(
    lists: Lists, phone: dict[str, str], suffix: str
) -> None:
    hidden = lists.client.get(lists.url(f"/water_points{suffix}"), headers=phone)
    missing = lists.client.get(lists.url(f"/no_such_list{suffix}"), headers=phone)
    assert hidden.status_code == missing.status_code == 404, hidden.text
    assert "Spring 3" not in hidden.text and "Ak-Sai" not in hidden.text
    assert lists.client.get(lists.url(f"/water_points{suffix}"),
                            headers=lists.manager).status_code == 200


@pytest.mark.parametrize("suffix", (".svc", ".svc/$metadata", ".svc/Entities",
                                    "/integrity?id=" + WATER_POINT))
def test_the_phone_reads_its_own_list_over_odata_and_integrity(
    lists: Lists, phone: dict[str, str], suffix: str
) -> None:
    response = lists.client.get(lists.url(f"/lap_activities{suffix}"), headers=phone)
    assert response.status_code == 200, response.text


def test_the_entities_table_gives_the_phone_only_its_own_lists_rows(
    lists: Lists, phone: dict[str, str]
) -> None:
    rows = lists.client.get(lists.url("/lap_activities.svc/Entities"), headers=phone).json()
    assert [row["label"] for row in rows["value"]] == ["Water committee"]


def test_integrity_through_the_key_url_reaches_only_the_phones_lists(
    lists: Lists, phone_key: str
) -> None:
    base = f"/v1/key/{phone_key}/projects/{lists.project_id}/datasets"
    hidden = lists.client.get(f"{base}/water_points/integrity", params={"id": WATER_POINT},
                              headers=OPENROSA)
    assert hidden.status_code == 404
    assert WATER_POINT not in hidden.text
    own = lists.client.get(f"{base}/lap_activities/integrity", params={"id": WATER_POINT},
                           headers=OPENROSA)
    assert own.status_code == 200, own.text


def test_the_csv_attachment_comes_only_with_an_assigned_form(
    lists: Lists, phone_key: str
) -> None:
    base = f"/v1/key/{phone_key}/projects/{lists.project_id}/forms"
    own = lists.client.get(f"{base}/update_lap_activity/attachments/lap_activities.csv")
    assert own.status_code == 200, own.text
    assert "Water committee" in own.text
    other = lists.client.get(f"{base}/local_action_plan_activity/manifest", headers=OPENROSA)
    assert other.status_code in (403, 404)


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
