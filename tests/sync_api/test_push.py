"""POST …/sync/push: statuses, replays, deferrals, quarantine, clock caps and gzip."""

from __future__ import annotations

import gzip
import hashlib
import json
import time

from tests.factories import headers_for, make_user
from tests.sync_api.conftest import FORM, PHOTO, V, W, new_record, publish


def test_a_new_submission_is_applied_and_its_replay_is_a_duplicate_with_the_same_version(
    world,
) -> None:
    phone = world.phone("phone-1")
    op = phone.op(new_record(), {V: "Ak-Sai", W: 12})
    first = phone.push(op)["results"][0]
    again = phone.push(op)["results"][0]
    assert (first["status"], first["version"]) == ("applied", 1)
    assert (again["status"], again["version"], again["op_id"]) == ("duplicate", 1, op["op_id"])
    changes, _ = phone.pull_all()
    assert len(changes) == 1 and changes[0]["version"] == 1


def test_an_empty_push_answers_the_server_clock(world) -> None:
    answer = world.phone("phone-1").push()
    assert answer["results"] == []
    wall, counter, node = answer["server_hlc"].split("-", 2)
    assert len(wall) == 13 and len(counter) == 5 and node == "server"


def test_a_gap_in_client_seq_is_deferred_until_the_missing_op_arrives(world) -> None:
    phone = world.phone("phone-1")
    first, second = phone.op(new_record(), {V: "A"}), phone.op(new_record(), {V: "B"})
    answer = phone.push(second)["results"][0]
    assert (answer["status"], answer["error"]["code"]) == ("deferred", "client_seq_gap")
    assert phone.push(second)["results"][0]["status"] == "deferred"
    statuses = [r["status"] for r in phone.push(first, second)["results"]]
    assert statuses == ["applied", "applied"]


def test_an_op_whose_attachment_is_not_uploaded_waits_and_blocks_the_devices_later_ops(
    world,
) -> None:
    phone = world.phone("phone-1")
    content = b"\x89PNG not really"
    sha = hashlib.sha256(content).hexdigest()
    record = new_record()
    with_photo = phone.op(record, {V: "A", PHOTO: "p.png"},
                          attachments=[{"name": "p.png", "sha256": sha}])
    later = phone.op(new_record(), {V: "B"})
    results = phone.push(with_photo, later)["results"]
    assert [(r["status"], r["error"]["code"]) for r in results] == [
        ("deferred", "blob_missing"), ("deferred", "waits_for_earlier_op")]
    url = f"/v1/projects/{world.project}/blobs/{sha}"
    assert world.client.put(url, content=content, headers=phone.headers).status_code == 201
    assert world.client.put(url, content=content, headers=phone.headers).status_code == 200
    assert [r["status"] for r in phone.push(with_photo, later)["results"]] == ["applied"] * 2
    files = world.client.get(
        f"/v1/projects/{world.project}/forms/{FORM}/submissions/{record}/attachments",
        headers=world.manager,
    ).json()
    assert files == [{"name": "p.png", "exists": True}]


def test_a_blob_whose_content_does_not_match_its_name_is_refused(world) -> None:
    url = f"/v1/projects/{world.project}/blobs/{'0' * 64}"
    response = world.client.put(url, content=b"other", headers=world.phone("p").headers)
    assert response.status_code == 400 and response.json()["code"] == "blob.hash_mismatch"


def test_an_op_for_a_form_not_assigned_to_the_phone_is_quarantined_and_later_ops_still_apply(
    world,
) -> None:
    publish(world.client, world.manager, world.project, form_id="other_form")
    phone = world.phone("phone-1")
    forbidden = phone.op(new_record(), {"/data/village": "X"}, form_id="other_form")
    allowed = phone.op(new_record(), {V: "Y"})
    results = phone.push(forbidden, allowed)["results"]
    assert [r["status"] for r in results] == ["rejected", "applied"]
    assert results[0]["error"]["code"] == "not_permitted"
    replay = phone.push(forbidden)["results"][0]
    assert replay["status"] == "duplicate" and replay["error"]["code"] == "not_permitted"
    url = f"/v1/projects/{world.project}/sync/quarantine"
    quarantined = world.client.get(url, headers=world.manager).json()
    assert [q["op"] for q in quarantined] == [forbidden]
    assert world.client.get(url, headers=phone.headers).status_code == 403


def test_malformed_and_unknown_ops_are_rejected_verbatim_without_failing_the_batch(world) -> None:
    phone = world.phone("phone-1")
    unknown_form = phone.op(new_record(), {V: "A"}, form_id="no_such_form")
    bad_hlc = {**phone.op(new_record(), {V: "B"}), "hlc": "yesterday"}
    outside_form = phone.op(new_record(), {"/elsewhere/x": 1})
    fine = phone.op(new_record(), {V: "C"})
    results = phone.push(unknown_form, bad_hlc, "not an op", outside_form, fine)["results"]
    assert [(r["status"], (r["error"] or {}).get("code")) for r in results] == [
        ("rejected", "form_unknown"), ("rejected", "hlc_invalid"), ("rejected", "op_invalid"),
        ("rejected", "field_invalid"), ("applied", None)]
    quarantined = world.client.get(f"/v1/projects/{world.project}/sync/quarantine",
                                   headers=world.manager).json()
    assert [q["op"] for q in quarantined] == [unknown_form, bad_hlc, "not an op", outside_form]


def test_a_body_that_is_not_a_push_is_a_400(world) -> None:
    url = f"/v1/projects/{world.project}/sync/push"
    headers = world.phone("p").headers
    assert world.client.post(url, json={"ops": []}, headers=headers).status_code == 400
    assert world.client.post(url, content=b"{", headers=headers).status_code == 400


def test_a_clock_a_year_ahead_is_capped_at_the_allowed_skew_and_the_device_marked_skewed(
    world, engine,
) -> None:
    from sqlmodel import Session

    from server.models import SyncDevice

    now_ms = int(time.time() * 1000)
    honest, ahead = world.phone("honest"), world.phone("ahead")
    honest.wall_ms, ahead.wall_ms = now_ms, now_ms + 365 * 24 * 3600 * 1000
    record = new_record()
    honest.push(honest.op(record, {V: "start"}))
    ahead.push(ahead.op(record, {V: "from the future"}, base=1))
    changes, _ = honest.pull_all()
    cap = int(time.time() * 1000) + world.app.state.settings.max_clock_skew_ms
    assert changes[0]["fields"][V] == "from the future"
    assert int(changes[0]["hlc"][:13]) <= cap
    with Session(engine) as session:
        assert session.get(SyncDevice, (world.project, "ahead")).skewed
        assert not session.get(SyncDevice, (world.project, "honest")).skewed


def test_gzip_request_and_response_bodies_are_understood(world) -> None:
    phone = world.phone("phone-1")
    ops = [phone.op(new_record(), {V: "village " * 20}) for _ in range(20)]
    body = gzip.compress(json.dumps({"device_id": "phone-1", "ops": ops}).encode())
    response = world.client.post(
        f"/v1/projects/{world.project}/sync/push", content=body,
        headers={**phone.headers, "Content-Encoding": "gzip", "Content-Type": "application/json",
                 "Accept-Encoding": "gzip"},
    )
    assert response.status_code == 200
    assert response.headers["content-encoding"] == "gzip"
    assert [r["status"] for r in response.json()["results"]] == ["applied"] * 20


def test_a_gzip_bomb_is_refused(world, app) -> None:
    app.state.settings.max_body_bytes = 10_000
    bomb = gzip.compress(b" " * 1_000_000)
    response = world.client.post(
        f"/v1/projects/{world.project}/sync/push", content=bomb,
        headers={**world.phone("p").headers, "Content-Encoding": "gzip"},
    )
    assert response.status_code == 413


def test_an_analyst_may_not_sync_but_a_collector_may(world) -> None:
    analyst = make_user(world.engine, "analyst@example.org", role="analyst", project=world.project)
    collector = make_user(world.engine, "col@example.org", role="collector", project=world.project)
    url = f"/v1/projects/{world.project}/sync/push"
    body = {"device_id": "laptop", "ops": []}
    refused = world.client.post(url, json=body, headers=headers_for(world.app, analyst))
    allowed = world.client.post(url, json=body, headers=headers_for(world.app, collector))
    assert (refused.status_code, allowed.status_code) == (403, 200)


def test_a_pushs_new_records_share_its_time_and_are_listed_newest_first(world) -> None:
    phone = world.phone("phone-1")
    first = [phone.op(new_record(), {V: f"A{n}"}) for n in range(5)]
    phone.push(*first)
    time.sleep(0.01)
    later = phone.op(new_record(), {V: "B"})
    phone.push(later)
    listed = world.client.get(f"/v1/projects/{world.project}/forms/{FORM}/submissions",
                              headers=world.manager).json()
    assert [s["instanceId"] for s in listed] == [
        op["record_id"] for op in reversed([*first, later])]
    times = [s["createdAt"] for s in listed]
    assert len(set(times[1:])) == 1  # one time per push, as now() is one per transaction
    assert times[0] > times[1]
