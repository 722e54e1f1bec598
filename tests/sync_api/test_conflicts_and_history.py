"""Concurrent edits through the API: merges, conflicts for review, resolutions, history."""

from __future__ import annotations

from tests.factories import bearer
from tests.odk.conftest import OPENROSA
from tests.sync_api.conftest import FORM, N, V, W, new_record


def _conflicts(world, status: str | None = None) -> list[dict]:
    params = {"status": status} if status else {}
    response = world.client.get(f"/v1/projects/{world.project}/conflicts", params=params,
                                headers=world.manager)
    assert response.status_code == 200, response.text
    return response.json()


def _shared_record(world) -> tuple[object, object, str]:
    a, b = world.phone("phone-a"), world.phone("phone-b")
    record = new_record()
    assert a.push(a.op(record, {V: "Ak-Sai", W: 10, N: ""}))["results"][0]["version"] == 1
    return a, b, record


def test_offline_edits_of_different_fields_merge_without_conflict(world) -> None:
    a, b, record = _shared_record(world)
    assert a.push(a.op(record, {W: 11}, base=1))["results"][0]["status"] == "applied"
    result = b.push(b.op(record, {N: "roof leaks"}, base=1))["results"][0]
    assert (result["status"], result["version"], result["conflicts"]) == ("merged", 3, [])
    changes, _ = b.pull_all()
    assert changes[0]["fields"] == {V: "Ak-Sai", W: 11, N: "roof leaks"}
    assert changes[0]["conflict"] is False and _conflicts(world) == []


def test_the_same_field_changed_on_two_phones_keeps_both_values_in_a_conflict(world) -> None:
    a, b, record = _shared_record(world)
    a.push(a.op(record, {W: 11}, base=1))
    result = b.push(b.op(record, {W: 12}, base=1))["results"][0]
    assert result["status"] == "conflict"
    [conflict] = _conflicts(world, "open")
    assert conflict == result["conflicts"][0] | {"id": conflict["id"]}
    assert (conflict["record_id"], conflict["field"], conflict["status"]) == (record, W, "open")
    assert {conflict["kept"]["value"], conflict["other"]["value"]} == {11, 12}
    assert {conflict["kept"]["device"], conflict["other"]["device"]} == {"phone-a", "phone-b"}
    changes, _ = a.pull_all()
    assert changes[0]["conflict"] is True
    assert changes[0]["fields"][W] == conflict["kept"]["value"]


def test_resolving_with_the_other_value_makes_a_new_version_every_device_pulls(world) -> None:
    a, b, record = _shared_record(world)
    a.push(a.op(record, {W: 11}, base=1))
    b.push(b.op(record, {W: 12}, base=1))
    _, cursor = a.pull_all()
    [conflict] = _conflicts(world)
    url = f"/v1/projects/{world.project}/conflicts/{conflict['id']}/resolve"
    response = world.client.post(url, json={"choose": "other"}, headers=world.manager)
    assert response.status_code == 200, response.text
    assert response.json()["resolution"]["version"] == 4
    changes, _ = a.pull_all(cursor)
    assert [(c["version"], c["fields"][W], c["conflict"]) for c in changes] == [
        (4, conflict["other"]["value"], False)]
    assert _conflicts(world, "open") == [] and len(_conflicts(world, "resolved")) == 1
    again = world.client.post(url, json={"choose": "kept"}, headers=world.manager)
    assert again.status_code == 409 and again.json()["code"] == "conflict.already_resolved"
    audits = world.client.get("/v1/audits", params={"action": "conflict.resolve"},
                              headers=world.manager)
    assert audits.status_code in (200, 403)


def test_keeping_the_current_value_closes_the_conflict_without_a_new_version(world) -> None:
    a, b, record = _shared_record(world)
    a.push(a.op(record, {W: 11}, base=1))
    b.push(b.op(record, {W: 12}, base=1))
    _, cursor = a.pull_all()
    [conflict] = _conflicts(world)
    url = f"/v1/projects/{world.project}/conflicts/{conflict['id']}/resolve"
    response = world.client.post(url, json={"choose": "kept"}, headers=world.manager)
    assert response.json()["resolution"]["version"] is None
    changes, _ = a.pull_all(cursor)
    assert [(c["version"], c["conflict"]) for c in changes] == [(3, False)]


def test_a_resolution_needs_a_choice_and_a_manager(world) -> None:
    a, b, record = _shared_record(world)
    a.push(a.op(record, {W: 11}, base=1))
    b.push(b.op(record, {W: 12}, base=1))
    [conflict] = _conflicts(world)
    url = f"/v1/projects/{world.project}/conflicts/{conflict['id']}/resolve"
    assert world.client.post(url, json={"choose": "both"}, headers=world.manager).status_code == 400
    assert world.client.post(url, json={"value": 13}, headers=a.headers).status_code == 403
    chosen = world.client.post(url, json={"value": 13}, headers=world.manager)
    assert chosen.status_code == 200 and chosen.json()["resolution"]["value"] == 13


def test_a_delete_concurrent_with_an_edit_keeps_the_edit_and_opens_a_conflict(world) -> None:
    a, b, record = _shared_record(world)
    a.push(a.op(record, {}, base=1, deleted=True))
    result = b.push(b.op(record, {W: 20}, base=1))["results"][0]
    assert result["status"] == "conflict"
    changes, _ = a.pull_all()
    assert (changes[0]["deleted"], changes[0]["fields"][W]) == (False, 20)
    assert [c["field"] for c in _conflicts(world)] == ["__deleted"]


def test_a_delete_seen_by_no_one_else_removes_the_record_from_odk_lists(world) -> None:
    a, _b, record = _shared_record(world)
    assert a.push(a.op(record, {}, base=1, deleted=True))["results"][0]["status"] == "applied"
    changes, _ = a.pull_all()
    assert changes[0]["deleted"] is True
    listed = world.client.get(f"/v1/projects/{world.project}/forms/{FORM}/submissions",
                              headers=world.manager).json()
    assert listed == []


def test_a_synced_edit_is_a_new_odk_version_with_instance_xml_and_validation(world) -> None:
    a, _b, record = _shared_record(world)
    a.push(a.op(record, {W: -3}, base=1))
    base = f"/v1/projects/{world.project}/forms/{FORM}/submissions/{record}"
    xml = world.client.get(base + ".xml", headers=world.manager).text
    assert "<women>-3</women>" in xml and f"<deprecatedID>{record}</deprecatedID>" in xml
    submission = world.client.get(base, headers=world.manager).json()
    assert submission["validation"]["status"] == "invalid"
    assert submission["version"] == 2


def test_a_submission_sent_over_openrosa_is_in_the_feed_and_merges_with_sync_edits(world) -> None:
    from tests.odk.conftest import instance_xml

    record = new_record()
    xml = instance_xml(FORM, instance_id=record, village="Kara-Suu", women=7, recs=())
    response = world.client.post(
        f"/v1/projects/{world.project}/submission", files={"xml_submission_file": xml},
        headers={**bearer(world.key), **OPENROSA},
    )
    assert response.status_code == 201, response.text
    phone = world.phone("phone-a")
    changes, _ = phone.pull_all()
    assert changes[0]["record_id"] == record and changes[0]["fields"][V] == "Kara-Suu"
    assert changes[0]["hlc"].endswith("-server")
    result = phone.push(phone.op(record, {W: 8}, base=1))["results"][0]
    assert (result["status"], result["version"]) == ("applied", 2)


def test_history_lists_every_version_however_it_was_made(world) -> None:
    from tests.odk.conftest import instance_xml

    record = new_record()
    xml = instance_xml(FORM, instance_id=record, village="Kara-Suu", women=7, recs=())
    world.client.post(f"/v1/projects/{world.project}/submission",
                      files={"xml_submission_file": xml},
                      headers={**bearer(world.key), **OPENROSA})
    phone = world.phone("phone-a")
    phone.push(phone.op(record, {W: 8}, base=1))
    url = f"/v1/projects/{world.project}/records/submission/{record}/versions"
    history = world.client.get(url, headers=world.manager).json()
    assert [(h["version"], h["via"], h["changed"]) for h in history] == [
        (1, "odk", [V, W, "/data/photo"]), (2, "sync", [W])]
    assert history[1]["deviceId"] == "phone-a" and history[1]["fields"] == {W: 8}
    assert history[1]["actorId"] == world.app_user_id and history[1]["hlc"]
    assert world.client.get(url, headers=phone.headers).status_code == 404  # as if missing
    missing = f"/v1/projects/{world.project}/records/submission/uuid:nope/versions"
    assert world.client.get(missing, headers=world.manager).status_code == 404
