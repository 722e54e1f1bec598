"""Ops as devices push them, and which ops of a push apply, wait or are replays."""

from __future__ import annotations

from typing import Any

import pytest

from sync.ops import Attachment, InvalidOpError, Op, parse_op, plan_push, with_capped_clock
from sync.records import DELETION
from tests.sync.factories import hlc, make_op

BLOB = "a" * 64


def decisions(ops: list[Op], **kwargs: Any) -> list[str]:
    arguments: dict[str, Any] = {
        "last_seq_by_device": {},
        "known_op_ids": set(),
        "available_blobs": set(),
    }
    arguments.update(kwargs)
    return [planned.decision for planned in plan_push(ops, **arguments)]


def seq(*numbers: int, device_id: str = "phone-1") -> list[Op]:
    return [make_op(device_id=device_id, client_seq=n) for n in numbers]


def test_ops_in_client_seq_order_all_apply() -> None:
    assert decisions(seq(1, 2, 3)) == ["apply", "apply", "apply"]


def test_ops_continue_after_the_last_applied_seq() -> None:
    assert decisions(seq(5, 6), last_seq_by_device={"phone-1": 4}) == ["apply", "apply"]


def test_a_known_op_is_a_duplicate() -> None:
    ops = seq(1, 2)
    assert decisions(ops, known_op_ids={ops[0].op_id}, last_seq_by_device={"phone-1": 1}) == [
        "duplicate",
        "apply",
    ]


def test_an_op_sent_twice_in_one_batch_applies_once() -> None:
    [op] = seq(1)
    assert decisions([op, op]) == ["apply", "duplicate"]


def test_a_gap_in_client_seq_defers_the_op_and_every_later_op_of_the_device() -> None:
    plan = plan_push(seq(2, 3), {}, set(), set())

    assert [(p.decision, p.reason) for p in plan] == [
        ("deferred", "client_seq_gap"),
        ("deferred", "waits_for_earlier_op"),
    ]


def test_a_missing_blob_defers_the_op_and_the_ops_after_it() -> None:
    needs_blob = make_op(client_seq=1, attachments=(Attachment("photo.jpg", BLOB),))
    after = make_op(client_seq=2)

    plan = plan_push([needs_blob, after], {}, set(), set())

    assert [(p.decision, p.reason) for p in plan] == [
        ("deferred", "blob_missing"),
        ("deferred", "waits_for_earlier_op"),
    ]


def test_an_op_whose_blob_was_uploaded_applies() -> None:
    op = make_op(client_seq=1, attachments=(Attachment("photo.jpg", BLOB),))
    assert decisions([op], available_blobs={BLOB}) == ["apply"]


def test_a_deferred_op_resent_in_the_same_batch_is_deferred_again() -> None:
    [late] = seq(3)
    assert decisions([late, late]) == ["deferred", "deferred"]


def test_another_devices_ops_are_not_held_up_by_a_deferred_op() -> None:
    ops = [*seq(2, device_id="phone-1"), *seq(1, device_id="phone-2")]
    assert decisions(ops) == ["deferred", "apply"]


def test_a_new_op_reusing_an_applied_client_seq_is_rejected() -> None:
    plan = plan_push(seq(3), {"phone-1": 3}, set(), set())
    assert (plan[0].decision, plan[0].reason) == ("rejected", "client_seq_reused")


def test_an_op_parses_from_its_push_json() -> None:
    op = parse_op(
        "phone-1",
        {
            "op_id": "6f1c",
            "client_seq": 4,
            "type": "entity",
            "dataset": "activities",
            "record_id": "e1",
            "base_version": 2,
            "hlc": hlc(0),
            "fields": {"status": "done"},
            "deleted": False,
            "attachments": [{"name": "photo.jpg", "sha256": BLOB}],
        },
    )

    assert (op.device_id, op.client_seq, op.dataset, op.base_version) == (
        "phone-1",
        4,
        "activities",
        2,
    )
    assert op.attachments[0].sha256 == BLOB
    assert op.timestamp.node_id == "phone-1"


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"client_seq": 0}, "op_invalid"),
        ({"client_seq": "1"}, "op_invalid"),
        ({"op_id": ""}, "op_invalid"),
        ({"type": "form"}, "op_invalid"),
        ({"form_id": None}, "op_invalid"),
        ({"dataset": "activities"}, "op_invalid"),
        ({"hlc": "now"}, "hlc_invalid"),
        ({"base_version": -1}, "op_invalid"),
        ({"fields": {DELETION: True}}, "field_reserved"),
        ({"fields": ["status"]}, "op_invalid"),
        ({"deleted": "yes"}, "op_invalid"),
        ({"attachments": [{"name": "a.jpg", "sha256": "ABC"}]}, "attachment_invalid"),
    ],
)
def test_a_malformed_op_is_refused_with_a_code(change: dict[str, Any], code: str) -> None:
    raw: dict[str, Any] = {
        "op_id": "op-x",
        "client_seq": 1,
        "type": "submission",
        "form_id": "lap_activity",
        "record_id": "r1",
        "hlc": hlc(0),
        "fields": {},
    }
    raw.update(change)

    with pytest.raises(InvalidOpError) as error:
        parse_op("phone-1", raw)

    assert error.value.code == code


def test_an_op_from_a_device_a_year_ahead_is_stamped_at_the_servers_limit() -> None:
    op = make_op(hlc=hlc(365 * 86_400_000, counter=3))

    capped, skewed = with_capped_clock(op, server_now_ms=1764450000000)

    assert skewed
    assert capped.hlc == hlc(300_000, counter=3)
    assert capped.op_id == op.op_id


def test_an_op_with_a_sane_clock_keeps_its_timestamp() -> None:
    op = make_op(hlc=hlc(1_000))

    assert with_capped_clock(op, server_now_ms=1764450000000) == (op, False)
