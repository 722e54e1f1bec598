"""The device client over a weak link: retries, lost answers, crashes, deferrals, rejections."""

from __future__ import annotations

import random
from pathlib import Path

import httpx
import pytest

from sync.client import SyncError, SyncUnavailableError
from tests.sync_client.conftest import MakeClient
from tests.sync_client.fake_server import FakeServer


class PhoneDied(Exception):
    """The app process was killed: nothing after this point ran on the phone."""


class RecordingRandom(random.Random):
    """A Random that remembers the bounds it was asked to draw between."""

    def __init__(self) -> None:
        super().__init__(1325)
        self.bounds: list[tuple[float, float]] = []
        self.drawn: list[float] = []

    def uniform(self, a: float, b: float) -> float:
        self.bounds.append((a, b))
        self.drawn.append(super().uniform(a, b))
        return self.drawn[-1]


def pushed_op_ids(server: FakeServer) -> list[list[str]]:
    return [[op["op_id"] for op in body["ops"]] for body in server.pushed_bodies()]


def test_a_lost_push_answer_is_resent_with_the_same_op_ids_and_applied_once(
    server: FakeServer, make_client: MakeClient
) -> None:
    phone = make_client()
    for women in (1, 2, 3):
        phone.create_submission("open_day", {"women": women})
    server.fail("sync/push", after=httpx.ReadTimeout("link dropped"))

    report = phone.sync()

    first, resent = pushed_op_ids(server)
    assert first == resent
    assert [r.status for r in report.results] == ["duplicate"] * 3
    assert [r.version for r in report.results] == [1, 1, 1]
    assert dict(server.applied) == {op_id: 1 for op_id in first}
    assert phone.pending() == []


def test_a_crash_after_the_server_applied_a_push_resumes_in_a_new_client_applying_once(
    server: FakeServer, make_client: MakeClient
) -> None:
    phone = make_client()
    record_id = phone.create_submission("open_day", {"women": 1})
    phone.edit("submission", "open_day", record_id, {"women": 2})
    server.fail("sync/push", after=PhoneDied())

    with pytest.raises(PhoneDied):
        phone.sync()
    phone.close()
    restarted = make_client()
    assert len(restarted.pending()) == 2
    report = restarted.sync()

    first, resent = pushed_op_ids(server)
    assert first == resent
    assert [r.status for r in report.results] == ["duplicate", "duplicate"]
    assert dict(server.applied) == {op_id: 1 for op_id in first}
    shown = restarted.record("submission", record_id)
    assert shown is not None
    assert (dict(shown.fields), shown.pending, shown.version) == ({"women": 2}, False, 2)


def test_a_crash_in_the_middle_of_a_pull_resumes_from_the_last_saved_page(
    server: FakeServer, make_client: MakeClient
) -> None:
    for number in range(5):
        server.write_as_office("submission", "open_day", f"uuid:r{number}", {"n": number})
    server.fail("sync/pull", skip=1, after=PhoneDied())
    phone = make_client(pull_limit=2)

    with pytest.raises(PhoneDied):
        phone.sync()
    phone.close()
    report = make_client(pull_limit=2).sync()

    cursors = [r.url.params.get("cursor") for r in server.requests]
    assert cursors == [None, "2", "2", "4"]
    assert report.pulled == 3
    numbers = [r.fields["n"] for r in make_client(pull_limit=2).records("submission")]
    assert numbers == [0, 1, 2, 3, 4]


def test_retries_back_off_exponentially_with_full_jitter(
    server: FakeServer, make_client: MakeClient, sleeps: list[float]
) -> None:
    rng = RecordingRandom()
    phone = make_client(rng=rng, backoff_base_s=0.5, backoff_cap_s=3.0, max_retries=5)
    phone.create_submission("open_day", {"women": 1})
    server.fail("sync/push", times=4, before=httpx.ConnectError("no signal"))

    report = phone.sync()

    assert rng.bounds == [(0.0, 0.5), (0.0, 1.0), (0.0, 2.0), (0.0, 3.0)]
    assert sleeps == rng.drawn
    upper_bounds = [b for _, b in rng.bounds]
    assert sleeps != upper_bounds and len(set(sleeps)) == 4
    assert [r.status for r in report.results] == ["applied"]


def test_overload_answers_are_retried_and_retry_after_is_honoured(
    server: FakeServer, make_client: MakeClient, sleeps: list[float]
) -> None:
    phone = make_client(backoff_base_s=0.5)
    phone.create_submission("open_day", {"women": 1})
    server.fail("sync/push", status=429, headers={"Retry-After": "7"})
    server.fail("sync/push", status=503)

    report = phone.sync()

    assert sleeps[0] == 7.0 and 0 <= sleeps[1] <= 1.0
    assert [r.status for r in report.results] == ["applied"]


def test_a_server_that_stays_unreachable_raises_after_bounded_retries_and_keeps_the_outbox(
    server: FakeServer, make_client: MakeClient, sleeps: list[float]
) -> None:
    phone = make_client(max_retries=3)
    phone.create_submission("open_day", {"women": 1})
    server.fail("sync/push", times=100, before=httpx.ConnectError("no signal"))

    with pytest.raises(SyncUnavailableError):
        phone.sync()

    assert (len(server.requests), len(sleeps)) == (4, 3)
    assert [p.op.client_seq for p in phone.pending()] == [1]
    assert not server.applied


def test_a_retry_after_longer_than_the_backoff_cap_ends_the_sync_for_later(
    server: FakeServer, make_client: MakeClient, sleeps: list[float]
) -> None:
    phone = make_client(backoff_cap_s=60.0)
    phone.create_submission("open_day", {"women": 1})
    server.fail("sync/push", status=503, headers={"Retry-After": "3600"})

    with pytest.raises(SyncUnavailableError):
        phone.sync()
    assert sleeps == []
    assert [r.status for r in phone.sync().results] == ["applied"]


def test_a_refused_request_raises_without_retrying_and_keeps_the_outbox(
    server: FakeServer, make_client: MakeClient, sleeps: list[float]
) -> None:
    phone = make_client(token="revoked-token")
    phone.create_submission("open_day", {"women": 1})

    with pytest.raises(SyncError) as refused:
        phone.sync()

    assert (refused.value.status, refused.value.body) == (401, {"code": "401.2"})
    assert (len(server.requests), sleeps, len(phone.pending())) == (1, [], 1)


def test_deferred_ops_stay_in_the_outbox_and_are_pushed_on_a_later_sync(
    server: FakeServer, make_client: MakeClient, tmp_path: Path
) -> None:
    photo = tmp_path / "broken_bridge.jpg"
    photo.write_bytes(b"a photo of the bridge")
    phone = make_client(max_retries=1)
    record_id = phone.create_submission("incident", {"photo": photo.name}, {photo.name: photo})
    phone.edit("submission", "incident", record_id, {"severity": "high"})
    server.fail("blobs/", times=2, status=503)  # the server's file store is down

    report = phone.sync()

    assert len(report.blob_errors) == 1 and "503" in report.blob_errors[0]
    assert [r.status for r in report.results] == ["deferred", "deferred"]
    assert [p.error for p in phone.pending()] == [
        {"code": "blob_missing"},
        {"code": "waits_for_earlier_op"},
    ]
    shown = phone.record("submission", record_id)
    assert shown is not None and dict(shown.fields) == {"photo": photo.name, "severity": "high"}

    later = phone.sync()

    assert (later.uploaded_blobs, [r.status for r in later.results]) == (1, ["applied"] * 2)
    assert dict(server.record("submission", record_id).fields) == dict(shown.fields)
    assert phone.pending() == []


def test_rejected_ops_are_kept_locally_with_the_servers_reason(
    server: FakeServer, make_client: MakeClient
) -> None:
    phone = make_client()
    lost = phone.create_submission("retired_form", {"women": 1})
    kept = phone.create_submission("open_day", {"women": 2})

    report = phone.sync()

    assert [r.status for r in report.results] == ["rejected", "applied"]
    [rejected] = phone.rejected()
    assert (rejected.op.record_id, rejected.op.form_id) == (lost, "retired_form")
    assert (rejected.error, dict(rejected.op.fields)) == ({"code": "form_unknown"}, {"women": 1})
    assert phone.record("submission", lost) is None
    assert [r.record_id for r in phone.records("submission")] == [kept]
    assert phone.pending() == []


def test_a_rejection_whose_answer_was_lost_is_still_kept_locally(
    server: FakeServer, make_client: MakeClient
) -> None:
    phone = make_client()
    lost = phone.create_submission("retired_form", {"women": 1})
    server.fail("sync/push", after=httpx.ReadTimeout("answer lost"))

    report = phone.sync()

    assert [r.status for r in report.results] == ["duplicate"]
    assert [(r.op.record_id, r.error) for r in phone.rejected()] == [
        (lost, {"code": "form_unknown"})
    ]
    assert (phone.pending(), phone.records("submission")) == ([], [])


def test_a_cursor_too_old_re_pulls_from_scratch_and_keeps_the_outbox(
    server: FakeServer, make_client: MakeClient
) -> None:
    server.write_as_office("submission", "open_day", "uuid:r1", {"women": 1})
    server.write_as_office("submission", "open_day", "uuid:r2", {"women": 2})
    phone = make_client()
    phone.sync()
    phone.edit("submission", "open_day", "uuid:r1", {"men": 5})
    server.write_as_office("submission", "open_day", "uuid:r2", {}, deleted=True)
    server.write_as_office("submission", "open_day", "uuid:r3", {"women": 3})
    server.forget_history()  # the delete of r2 is no longer in the feed

    report = phone.pull()

    assert (report.resynced, report.pulled) == (True, 2)
    shown = {r.record_id: (dict(r.fields), r.pending) for r in phone.records("submission")}
    assert shown == {"uuid:r1": ({"women": 1, "men": 5}, True), "uuid:r3": ({"women": 3}, False)}
    assert [r.status for r in phone.sync().results] == ["applied"]
    assert dict(server.record("submission", "uuid:r1").fields) == {"women": 1, "men": 5}


def test_large_push_bodies_are_gzipped_and_gzipped_answers_are_read(
    server: FakeServer, make_client: MakeClient
) -> None:
    phone = make_client(gzip_min_bytes=1024)
    for number in range(20):
        phone.create_submission("open_day", {"notes": f"consultation {number} " * 10})

    report = phone.sync()

    [push] = [r for r in server.requests if r.url.path.endswith("/sync/push")]
    assert push.headers["Content-Encoding"] == "gzip"
    assert len(server.pushed_bodies()[0]["ops"]) == 20
    assert [r.status for r in report.results] == ["applied"] * 20
    assert len(phone.records("submission")) == 20


def test_small_push_bodies_are_sent_plain(server: FakeServer, make_client: MakeClient) -> None:
    phone = make_client(gzip_min_bytes=1024)
    phone.create_submission("open_day", {"women": 1})

    phone.sync()

    [push] = [r for r in server.requests if r.url.path.endswith("/sync/push")]
    assert "Content-Encoding" not in push.headers


def test_the_outbox_is_pushed_in_batches_in_client_seq_order(
    server: FakeServer, make_client: MakeClient
) -> None:
    phone = make_client(batch_size=2)
    for women in range(5):
        phone.create_submission("open_day", {"women": women})

    report = phone.sync()

    batches = [[op["client_seq"] for op in body["ops"]] for body in server.pushed_bodies()]
    assert batches == [[1, 2], [3, 4], [5]]
    assert report.count("applied") == 5
