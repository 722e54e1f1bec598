"""ODK Central's entity list and entity REST routes: shapes, versions, Central's 409/400 rules."""

from __future__ import annotations

from typing import Any

from tests.entities.conftest import Lists

TREE = "12345678-1234-4123-8123-123456789abc"


def test_a_new_entity_list_has_central_keys_and_its_properties(lists: Lists) -> None:
    lists.create_list("trees", ("species", "height"))
    body = lists.client.get(lists.url("/trees"), headers=lists.manager).json()
    assert body["name"] == "trees" and body["projectId"] == lists.project_id
    assert body["approvalRequired"] is False and body["createdAt"].endswith("Z")
    assert [(p["name"], p["odataName"], p["forms"]) for p in body["properties"]] == [
        ("species", "species", []), ("height", "height", [])]
    listed = lists.client.get(lists.url(), headers=lists.manager).json()
    assert [d["name"] for d in listed] == ["trees"]


def test_a_list_name_taken_in_another_capitalisation_is_a_conflict(lists: Lists) -> None:
    lists.create_list("trees")
    again = lists.client.post(lists.url(), headers=lists.manager, json={"name": "Trees"})
    assert again.status_code == 409
    bad = lists.client.post(lists.url(), headers=lists.manager, json={"name": "__bad"})
    assert bad.status_code == 400


def test_reserved_or_duplicate_property_names_are_refused(lists: Lists) -> None:
    lists.create_list("trees", ("species",))
    for name, status in (("label", 400), ("__id", 400), ("species", 409)):
        response = lists.client.post(lists.url("/trees/properties"), headers=lists.manager,
                                     json={"name": name})
        assert response.status_code == status, name


def test_a_created_entity_reads_back_at_version_1_with_its_data(lists: Lists) -> None:
    lists.create_list("trees", ("species",))
    created = lists.create_entity("trees", TREE, "Oak by the school", species="oak")
    assert created["uuid"] == TREE and created["conflict"] is None
    current = created["currentVersion"]
    assert (current["version"], current["label"], current["data"]) == (
        1, "Oak by the school", {"species": "oak"})
    assert current["creatorId"] == lists.manager_id and current["baseVersion"] is None
    assert lists.get("trees", TREE)["currentVersion"]["data"] == {"species": "oak"}


def test_data_for_a_property_the_list_lacks_is_refused(lists: Lists) -> None:
    lists.create_list("trees", ("species",))
    response = lists.client.post(lists.url("/trees/entities"), headers=lists.manager,
                                 json={"uuid": TREE, "label": "x", "data": {"colour": "red"}})
    assert response.status_code == 400
    assert response.json()["code"] == "entity.invalid"


def test_the_same_uuid_twice_is_a_conflict(lists: Lists) -> None:
    lists.create_list("trees")
    lists.create_entity("trees", TREE, "Oak")
    again = lists.client.post(lists.url("/trees/entities"), headers=lists.manager,
                              json={"uuid": TREE, "label": "Oak"})
    assert again.status_code == 409


def test_patch_without_base_version_or_with_an_old_one_is_409(lists: Lists) -> None:
    lists.create_list("trees", ("species",))
    lists.create_entity("trees", TREE, "Oak", species="oak")
    assert lists.patch("trees", TREE, {"data": {"species": "elm"}}).status_code == 409
    stale = lists.patch("trees", TREE, {"data": {"species": "elm"}}, baseVersion="7")
    assert stale.status_code == 409 and stale.json()["code"] == "entity.version_conflict"
    assert lists.get("trees", TREE)["currentVersion"]["version"] == 1


def test_patch_with_the_current_base_version_makes_version_2(lists: Lists) -> None:
    lists.create_list("trees", ("species", "height"))
    lists.create_entity("trees", TREE, "Oak", species="oak", height="3")
    response = lists.patch("trees", TREE, {"label": "Old oak", "data": {"height": "4"}},
                           baseVersion="1")
    assert response.status_code == 200, response.text
    current = response.json()["currentVersion"]
    assert (current["version"], current["label"], current["baseVersion"]) == (2, "Old oak", 1)
    assert current["data"] == {"species": "oak", "height": "4"}
    forced = lists.patch("trees", TREE, {"data": {"height": "5"}}, force="true")
    assert forced.json()["currentVersion"]["version"] == 3


def test_resolving_an_entity_without_a_conflict_is_400(lists: Lists) -> None:
    lists.create_list("trees")
    lists.create_entity("trees", TREE, "Oak")
    response = lists.patch("trees", TREE, {}, baseVersion="1", resolve="true")
    assert response.status_code == 400 and response.json()["code"] == "entity.no_conflict"


def test_a_deleted_entity_leaves_the_list_and_restore_brings_it_back(lists: Lists) -> None:
    lists.create_list("trees")
    lists.create_entity("trees", TREE, "Oak")
    gone = lists.client.delete(lists.url(f"/trees/entities/{TREE}"), headers=lists.manager)
    assert gone.json() == {"success": True}
    assert lists.client.get(lists.url(f"/trees/entities/{TREE}"),
                            headers=lists.manager).status_code == 404
    deleted = lists.client.get(lists.url("/trees/entities"), headers=lists.manager,
                               params={"deleted": "true"}).json()
    assert [e["uuid"] for e in deleted] == [TREE]
    reuse = lists.client.post(lists.url("/trees/entities"), headers=lists.manager,
                              json={"uuid": TREE, "label": "Oak"})
    assert reuse.status_code == 409 and reuse.json()["code"] == "entity.uuid_deleted"
    lists.client.post(lists.url(f"/trees/entities/{TREE}/restore"), headers=lists.manager)
    assert lists.get("trees", TREE)["currentVersion"]["label"] == "Oak"


def test_versions_list_every_version_with_who_and_what_changed(lists: Lists) -> None:
    lists.create_list("trees", ("species",))
    lists.create_entity("trees", TREE, "Oak", species="oak")
    lists.patch("trees", TREE, {"data": {"species": "elm"}}, baseVersion="1")
    versions: list[dict[str, Any]] = lists.client.get(
        lists.url(f"/trees/entities/{TREE}/versions"), headers=lists.manager).json()
    assert [v["version"] for v in versions] == [1, 2]
    assert [v["current"] for v in versions] == [False, True]
    assert versions[1]["changed"] == ["species"] and versions[1]["actorId"] == lists.manager_id
    assert versions[0]["data"] == {"species": "oak"}


def test_bulk_create_makes_every_entity_or_none(lists: Lists) -> None:
    lists.create_list("trees", ("species",))
    body = {"entities": [{"label": "A", "data": {"species": "oak"}},
                         {"label": "B", "data": {"species": "elm"}}], "source": {"name": "x.csv"}}
    response = lists.client.post(lists.url("/trees/entities"), headers=lists.manager, json=body)
    assert response.json() == {"success": True}
    bad = {"entities": [{"label": "C"}, {"label": ""}], "source": {"name": "y.csv"}}
    assert lists.client.post(lists.url("/trees/entities"), headers=lists.manager,
                             json=bad).status_code == 400
    listed = lists.client.get(lists.url("/trees/entities"), headers=lists.manager).json()
    assert sorted(e["currentVersion"]["label"] for e in listed) == ["A", "B"]
