"""The device client edits offline, pushes its outbox and pulls the server's records back."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from sync.hlc import Timestamp
from tests.sync_client.conftest import MakeClient
from tests.sync_client.fake_server import FakeServer


def test_offline_edits_show_locally_and_are_pushed_then_pulled_back(
    server: FakeServer, make_client: MakeClient
) -> None:
    phone = make_client()
    record_id = phone.create_submission("open_day", {"village": "Kara-Suu", "women": 12})
    phone.edit("submission", "open_day", record_id, {"women": 14})

    before = phone.record("submission", record_id)
    assert before is not None
    assert (dict(before.fields), before.pending, before.version) == (
        {"village": "Kara-Suu", "women": 14},
        True,
        None,
    )
    assert not server.records

    report = phone.sync()

    assert [r.status for r in report.results] == ["applied", "applied"]
    assert dict(server.record("submission", record_id).fields) == {
        "village": "Kara-Suu",
        "women": 14,
    }
    after = phone.record("submission", record_id)
    assert after is not None
    assert (dict(after.fields), after.pending, after.version) == (dict(before.fields), False, 2)
    assert (report.pending, phone.pending()) == (0, [])


def test_a_new_submission_gets_an_instance_id_and_client_seq_counts_from_one(
    make_client: MakeClient,
) -> None:
    phone = make_client()
    first = phone.create_submission("open_day", {"women": 1})
    phone.create_submission("open_day", {"women": 2})

    assert first.startswith("uuid:")
    assert [p.op.client_seq for p in phone.pending()] == [1, 2]


def test_client_seq_continues_after_a_restart(server: FakeServer, make_client: MakeClient) -> None:
    phone = make_client()
    phone.create_submission("open_day", {"women": 1})
    phone.create_submission("open_day", {"women": 2})
    phone.close()

    reopened = make_client()
    reopened.create_submission("open_day", {"women": 3})

    assert [p.op.client_seq for p in reopened.pending()] == [1, 2, 3]
    report = reopened.sync()
    assert [r.status for r in report.results] == ["applied"] * 3
    assert server.last_seq["phone-1"] == 3


def test_an_edit_carries_the_version_the_device_last_pulled_as_base(
    server: FakeServer, make_client: MakeClient
) -> None:
    server.write_as_office("submission", "open_day", "uuid:r1", {"women": 3})
    server.write_as_office("submission", "open_day", "uuid:r1", {"men": 4})
    phone = make_client()
    phone.sync()

    phone.edit("submission", "open_day", "uuid:r1", {"women": 5})

    assert [p.op.base_version for p in phone.pending()] == [2]
    assert [r.status for r in phone.sync().results] == ["applied"]
    assert dict(server.record("submission", "uuid:r1").fields) == {"women": 5, "men": 4}


def test_pending_edits_stay_on_top_of_changes_pulled_from_the_server(
    server: FakeServer, make_client: MakeClient
) -> None:
    server.write_as_office("submission", "open_day", "uuid:r1", {"women": 3, "men": 4})
    phone = make_client()
    phone.sync()
    phone.edit("submission", "open_day", "uuid:r1", {"women": 5})
    server.write_as_office("submission", "open_day", "uuid:r1", {"men": 6, "youth": 2})

    phone.pull()

    shown = phone.record("submission", "uuid:r1")
    assert shown is not None
    assert (dict(shown.fields), shown.pending) == ({"women": 5, "men": 6, "youth": 2}, True)


def test_edits_of_different_fields_on_two_phones_merge_without_conflict(
    server: FakeServer, make_client: MakeClient
) -> None:
    server.write_as_office("submission", "open_day", "uuid:r1", {"women": 3, "men": 4})
    aigul, bakyt = make_client("phone-aigul"), make_client("phone-bakyt")
    aigul.sync()
    bakyt.sync()

    aigul.edit("submission", "open_day", "uuid:r1", {"women": 5})
    bakyt.edit("submission", "open_day", "uuid:r1", {"men": 7})
    aigul.sync()
    assert [r.status for r in bakyt.sync().results] == ["merged"]
    aigul.sync()

    for phone in (aigul, bakyt):
        shown = phone.record("submission", "uuid:r1")
        assert shown is not None
        assert (dict(shown.fields), shown.conflict) == ({"women": 5, "men": 7}, False)


def test_two_devices_editing_the_same_field_converge_and_flag_the_conflict(
    server: FakeServer, make_client: MakeClient
) -> None:
    aigul, bakyt = make_client("phone-aigul"), make_client("phone-bakyt")
    record_id = aigul.create_submission("incident", {"place": "market", "severity": "low"})
    aigul.sync()
    bakyt.sync()

    aigul.edit("submission", "incident", record_id, {"severity": "high", "place": "school"})
    bakyt.edit("submission", "incident", record_id, {"severity": "medium", "notes": "seen"})
    aigul.sync()
    bakyt_report = bakyt.sync()
    aigul.sync()

    assert [r.status for r in bakyt_report.results] == ["conflict"]
    assert [c["field"] for c in bakyt_report.results[0].conflicts] == ["severity"]
    server_fields = dict(server.record("submission", record_id).fields)
    # bakyt edited later by its HLC, so its value is kept; aigul's is the conflict's other side
    assert server_fields == {"place": "school", "severity": "medium", "notes": "seen"}
    for phone in (aigul, bakyt):
        shown = phone.record("submission", record_id)
        assert shown is not None
        assert (dict(shown.fields), shown.conflict) == (server_fields, True)


def test_a_delete_hides_the_record_locally_and_on_every_device_after_sync(
    make_client: MakeClient,
) -> None:
    aigul, bakyt = make_client("phone-aigul"), make_client("phone-bakyt")
    record_id = aigul.create_submission("open_day", {"women": 2})
    aigul.sync()
    bakyt.sync()

    aigul.delete("submission", "open_day", record_id)

    assert aigul.records("submission", "open_day") == []
    aigul.sync()
    bakyt.sync()
    assert bakyt.records("submission") == []
    deleted = bakyt.records("submission", include_deleted=True)
    assert [(r.record_id, r.deleted) for r in deleted] == [(record_id, True)]


def test_entities_are_created_and_edited_offline_and_synced(
    server: FakeServer, make_client: MakeClient
) -> None:
    phone = make_client()
    entity_id = phone.create_entity("activities", {"label": "Open day", "status": "planned"})
    phone.edit_entity("activities", entity_id, {"status": "done"})

    phone.sync()

    assert dict(server.record("entity", entity_id).fields) == {
        "label": "Open day",
        "status": "done",
    }
    [shown] = phone.records("entity", "activities")
    assert (shown.record_id, shown.dataset, shown.form_id) == (entity_id, "activities", None)


def test_attachments_are_uploaded_before_the_op_that_references_them(
    server: FakeServer, make_client: MakeClient, tmp_path: Path
) -> None:
    photo = tmp_path / "banner.jpg"
    photo.write_bytes(b"\xff\xd8 a banner at the open day")
    phone = make_client()
    phone.create_submission("open_day", {"photo": "banner.jpg"}, {"banner.jpg": photo})

    report = phone.sync()

    sha256 = hashlib.sha256(photo.read_bytes()).hexdigest()
    assert server.blobs[sha256] == photo.read_bytes()
    calls = [(r.method, r.url.path.split("/")[-2]) for r in server.requests]
    assert calls[:2] == [("PUT", "blobs"), ("POST", "sync")]
    assert (report.uploaded_blobs, [r.status for r in report.results]) == (1, ["applied"])
    pushed = server.pushed_bodies()[0]["ops"][0]
    assert pushed["attachments"] == [{"name": "banner.jpg", "sha256": sha256}]
    assert phone.sync().uploaded_blobs == 0


def test_the_device_clock_moves_past_the_server_clock_it_receives(
    server: FakeServer, make_client: MakeClient
) -> None:
    server.now_ms += 3_600_000  # the phone's clock runs an hour behind the server's
    phone = make_client()
    phone.create_submission("open_day", {"women": 1})

    phone.sync()
    answer_hlc = server.clock.last
    phone.create_submission("open_day", {"women": 2})

    assert Timestamp.parse(phone.pending()[0].op.hlc) > answer_hlc


def test_form_versions_announced_in_a_pull_are_kept(
    server: FakeServer, make_client: MakeClient
) -> None:
    server.publish_form("activity_update", "2025-01")
    phone = make_client()

    report = phone.sync()

    assert list(report.forms) == [{"form_id": "activity_update", "version": "2025-01"}]
    assert phone.forms() == [{"form_id": "activity_update", "version": "2025-01"}]


def test_a_store_of_another_device_is_refused(make_client: MakeClient, tmp_path: Path) -> None:
    make_client("phone-1").close()

    with pytest.raises(ValueError, match="phone-1"):
        make_client("phone-2", store_path=tmp_path / "phone-1.sqlite")


def test_editing_a_record_under_another_form_is_refused(make_client: MakeClient) -> None:
    phone = make_client()
    record_id = phone.create_submission("open_day", {"women": 1})

    with pytest.raises(ValueError, match="open_day"):
        phone.edit("submission", "incident", record_id, {"women": 2})
    assert [p.op.client_seq for p in phone.pending()] == [1]
