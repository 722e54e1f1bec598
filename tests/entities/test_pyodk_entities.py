"""pyodk 1.3, unmodified, drives Kenesh's entity lists and entities over real HTTP."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pyodk.client import Client

from tests.factories import make_project, make_user
from tests.live_pyodk import live_pyodk_client


@pytest.fixture
def pyodk_client(app: Any, engine: Any, tmp_path: Path,
                 monkeypatch: pytest.MonkeyPatch) -> Iterator[Client]:
    """A pyodk Client configured through PYODK_CONFIG_FILE, signed in as a project manager."""
    project_id = make_project(engine, "Local action plans")
    user = "planner@example.org"
    make_user(engine, user, role="manager", project=project_id)
    with live_pyodk_client(app, tmp_path, monkeypatch, user, project_id) as client:
        yield client


def test_pyodk_creates_lists_and_entities_and_reads_them_back(pyodk_client: Client) -> None:
    client = pyodk_client
    created = client.entity_lists.create(entity_list_name="activities")
    assert created.name == "activities" and created.approvalRequired is False
    client.entity_lists.add_property(name="status", entity_list_name="activities")
    client.entity_lists.add_property(name="progress", entity_list_name="activities")
    listed = client.entity_lists.list()
    assert [e.name for e in listed] == ["activities"]
    fetched = client.entity_lists.get(entity_list_name="activities")
    assert [p.name for p in fetched.properties or []] == ["status", "progress"]

    one = client.entities.create(label="Water committee", data={"status": "planned"},
                                 entity_list_name="activities")
    assert one.currentVersion.version == 1 and one.currentVersion.data == {"status": "planned"}
    assert client.entities.create_many(
        data=[{"label": "Youth forum", "status": "planned", "progress": "0"},
              {"label": "Women's council", "status": "started", "progress": "20"}],
        entity_list_name="activities")
    entities = client.entities.list(entity_list_name="activities")
    assert sorted(e.currentVersion.label for e in entities) == [
        "Water committee", "Women's council", "Youth forum"]

    updated = client.entities.update(one.uuid, entity_list_name="activities",
                                     data={"progress": "50"}, base_version=1)
    assert updated.currentVersion.version == 2
    assert updated.currentVersion.data == {"status": "planned", "progress": "50"}

    table = client.entities.get_table(entity_list_name="activities")
    rows = {row["label"]: row for row in table["value"]}
    assert rows["Water committee"]["__system"]["version"] == 2
    assert rows["Water committee"]["progress"] == "50"
    assert client.entities.delete(one.uuid, entity_list_name="activities")
    labels = [r["label"] for r in client.entities.get_table(entity_list_name="activities")["value"]]
    assert sorted(labels) == ["Women's council", "Youth forum"]


def test_pyodk_merge_inserts_updates_and_deletes_not_matched(pyodk_client: Client) -> None:
    client = pyodk_client
    client.entity_lists.create(entity_list_name="plans")
    client.entities.merge(
        data=[{"label": "Road repair", "budget": "100"}, {"label": "School roof", "budget": "50"}],
        entity_list_name="plans")
    actions = client.entities.merge(
        data=[{"label": "Road repair", "budget": "120"}, {"label": "Clinic", "budget": "70"}],
        entity_list_name="plans", delete_not_matched=True)
    assert len(actions.to_update) == 1 and len(actions.to_delete) == 1
    table = client.entities.get_table(entity_list_name="plans", count=True)
    rows = {row["label"]: row for row in table["value"]}
    assert set(rows) == {"Road repair", "Clinic"} and table["@odata.count"] == 2
    assert rows["Road repair"]["budget"] == "120"
    assert rows["Road repair"]["__system"]["version"] == 2


def test_pyodk_update_with_an_old_base_version_gets_centrals_409(pyodk_client: Client) -> None:
    from pyodk.errors import PyODKError

    client = pyodk_client
    client.entity_lists.create(entity_list_name="activities")
    one = client.entities.create(label="Water committee", data={},
                                 entity_list_name="activities")
    client.entities.update(one.uuid, entity_list_name="activities", label="Water board",
                           base_version=1)
    with pytest.raises(PyODKError, match="409"):
        client.entities.update(one.uuid, entity_list_name="activities", label="Stale",
                               base_version=1)
